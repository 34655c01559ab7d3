"""Database connection set-up and schema migrations (Tortoise's own migration engine)."""

from __future__ import annotations

import logging
import pkgutil
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

logger = logging.getLogger(__name__)

APP_LABEL = "models"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config for one database URL (sqlite://… or postgres://…)."""
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            APP_LABEL: {
                "models": ["storage.models"],
                "migrations": "storage.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(url: str) -> str | dict[str, Any]:
    if url.startswith("sqlite://"):
        return _with_sqlite_pragmas(url)
    config = expand_db_url(url)
    if config["engine"] == "tortoise.backends.asyncpg":
        config["credentials"]["reset"] = _keep_session
    return config


async def _keep_session(connection: Any) -> None:
    """asyncpg's pool reset hook, which hands a connection back without asyncpg's session reset.

    asyncpg resets every connection returned to its pool (`SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL`), and Tortoise returns one after every query outside a transaction: under an
    acknowledgement storm that was more round trips than all our own statements together. We leave
    no session state behind to reset (no session advisory locks, cursors, LISTEN or SET), and an
    open transaction is still rolled back on release by asyncpg itself, before this hook runs.
    """


def _with_sqlite_pragmas(url: str) -> dict[str, Any]:
    path = url.removeprefix("sqlite://")
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers proceed during writes; synchronous=NORMAL in WAL mode keeps
    # every committed transaction across a process crash (only an OS crash can lose
    # the last commits), which is the durability the webhook acknowledgement needs.
    return {
        "engine": "tortoise.backends.sqlite",
        "credentials": {
            "file_path": path,
            "journal_mode": "WAL",
            "synchronous": "NORMAL",
            "foreign_keys": "ON",
            "busy_timeout": 10000,
        },
    }


async def migrate_schema(database_url: str) -> list[str]:
    """Apply every pending schema migration; returns the names applied, in order."""
    applied: list[str] = []

    def note(event: str, app_label: str, name: str) -> None:
        if event == "apply_done" and app_label == APP_LABEL:
            applied.append(name)
            logger.info("migration applied: %s", name)

    await migrate(config=tortoise_config(database_url), progress=note)
    await Tortoise.close_connections()
    return applied


def migrations_on_disk() -> list[str]:
    """The migrations this version ships, by name (`0007_notices`), in order."""
    from storage import migrations

    # Tortoise's loader takes the same modules: every non-package module not starting with _ or ~.
    found = pkgutil.iter_modules(migrations.__path__)
    return sorted(name for _, name, is_pkg in found if not is_pkg and name[0] not in "_~")


async def ping() -> None:
    """One round trip that reads the database itself (readiness).

    SQLite answers `SELECT 1` without reading its file; the schema version is in the file's header.
    """
    conn = connections.get("default")
    await conn.execute_query("PRAGMA schema_version" if conn.capabilities.dialect == "sqlite" else "SELECT 1")


async def migrations_applied() -> list[str]:
    """The migrations the open database records as applied (a cheap read of Tortoise's own table)."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT name FROM tortoise_migrations WHERE app = 'models'"
    )
    return sorted(row["name"] for row in rows)


async def open_db(database_url: str, *, run_migrations: bool = True) -> TortoiseContext:
    """Migrate (by default) and open the ORM connections.

    The ORM state lives in a context variable: tasks started after this call see
    it, and `close_db` must be given the returned context (aiohttp may run the
    cleanup in another task).
    """
    if run_migrations:
        await migrate_schema(database_url)
    ctx = await Tortoise.init(config=tortoise_config(database_url))
    logger.info("database ready (%s)", database_url.split(":", 1)[0])
    return ctx


async def close_db(ctx: TortoiseContext | None = None) -> None:
    """Close every ORM connection."""
    if ctx is not None:
        await ctx.close_connections()
    else:
        await connections.close_all()

