"""PostgreSQL: a pooled connection goes back to the pool without a reset round trip, and still clean.

asyncpg resets each connection a pool gets back (`SELECT pg_advisory_unlock_all(); CLOSE ALL;
UNLISTEN *; RESET ALL`), which Tortoise triggers after every query outside a transaction; we
leave no session state behind, so the pool is opened without that round trip (storage/db.py).
"""

from __future__ import annotations

import asyncpg
import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from storage.db import close_db, open_db


async def _last_statement(url: str, pid: int) -> str:
    """What the server says backend `pid` ran last, asked over a connection of our own."""
    watcher = await asyncpg.connect(url)
    try:
        return await watcher.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await watcher.close()


async def test_a_query_outside_a_transaction_costs_one_round_trip(database_url):
    if not database_url.startswith("postgres"):
        pytest.skip("asyncpg's pool reset exists only on PostgreSQL")
    ctx = await open_db(database_url)
    try:
        db = connections.get("default")
        pid = (await db.execute_query_dict("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        # Released by now: with asyncpg's default reset, the backend's last statement would be the reset.
        assert await _last_statement(database_url, pid) == "SELECT pg_backend_pid() AS pid"
    finally:
        await close_db(ctx)


async def test_a_failed_transaction_leaves_no_transaction_behind(database_url):
    if not database_url.startswith("postgres"):
        pytest.skip("asyncpg's pool reset exists only on PostgreSQL")
    ctx = await open_db(database_url)
    try:
        with pytest.raises(IntegrityError):
            async with in_transaction() as conn:
                await conn.execute_query("CREATE TEMP TABLE probe (id int PRIMARY KEY) ON COMMIT DROP")
                await conn.execute_query("INSERT INTO probe VALUES (1), (1)")
        await connections.get("default").execute_query("SELECT 1")
        watcher = await asyncpg.connect(database_url)
        try:
            states = await watcher.fetch(
                "SELECT state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await watcher.close()
        assert states and all(row["state"] in ("idle", "active") for row in states), states
    finally:
        await close_db(ctx)
