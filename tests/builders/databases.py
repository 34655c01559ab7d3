"""Empty databases for tests that migrate or restore from nothing (the suite's own are pre-migrated copies)."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg


async def empty_database(database_url: str, tmp_path: Path, label: str) -> tuple[str, str | None]:
    """A URL to a new, empty database of the run's kind, and the PostgreSQL name to drop (None for SQLite)."""
    if not database_url.startswith("postgres"):
        (tmp_path / label).mkdir(parents=True, exist_ok=True)
        return f"sqlite://{tmp_path / label / 'bot.sqlite3'}", None
    base, _, _ = database_url.rpartition("/")
    name = f"bot_{label}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return f"{base}/{name}", name


async def drop_database(database_url: str, name: str) -> None:
    """Drop a database `empty_database` made, even with connections still open to it."""
    base, _, _ = database_url.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()
