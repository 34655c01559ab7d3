"""Database connection set-up and schema migrations (Tortoise's own migration engine)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

logger = logging.getLogger(__name__)

APP_LABEL = "models"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config for one database URL (sqlite://… or postgres://…)."""
    return {
        "connections": {"default": _with_sqlite_pragmas(database_url)},
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


def _with_sqlite_pragmas(url: str) -> str | dict[str, Any]:
    if not url.startswith("sqlite://"):
        return url
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


async def migrate_schema(database_url: str) -> None:
    """Apply every pending schema migration."""
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


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

