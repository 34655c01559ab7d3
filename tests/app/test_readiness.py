"""/readyz: ready while the database answers, the schema is current, the loops turn and the disk has room."""

from __future__ import annotations

import asyncio

from tortoise import connections

from bot.app import SERVICES, create_app
from tests.builders.databases import drop_database
from tests.builders.roster import ROSTER_CSV, load_roster

NAMES = ("สมชาย", "สมหญิง", "E001", "E005")  # roster names and codes: never in the body


async def _readyz(client) -> tuple[int, dict]:
    response = await client.get("/readyz")
    return response.status, await response.json()


async def test_a_running_service_is_ready_and_says_nothing_personal(client):
    await load_roster(ROSTER_CSV)
    response = await client.get("/readyz")
    text = await response.text()
    assert response.status == 200, text
    body = await response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "workers": "ok", "disk": "ok"}
    assert not any(name in text for name in NAMES)


async def test_disk_below_its_floor_is_not_ready(aiohttp_client, settings, reader_pool):
    client = await aiohttp_client(
        create_app(settings.model_copy(update={"min_free_disk_mb": 1024**3}), reader_pool=reader_pool)
    )
    status, body = await _readyz(client)
    assert status == 503
    assert body["failed"] == ["disk"]
    assert body["checks"]["disk"] == "below MIN_FREE_DISK_MB"


async def test_a_database_gone_is_not_ready(client, database_url):
    assert (await _readyz(client))[0] == 200
    if database_url.startswith("postgres"):
        # The server drops the database and every connection to it.
        await drop_database(database_url, database_url.rpartition("/")[2])
    else:
        # The files under the open connection are no database any more (a failed disk, a bad copy over
        # them); the shared-memory index too, or the connection goes on from the pages it holds.
        path = database_url.removeprefix("sqlite://")
        for part in (path, f"{path}-wal", f"{path}-shm"):
            with open(part, "r+b") as fh:
                size = fh.seek(0, 2)
                fh.seek(0)
                fh.write(b"\0" * size)
    status, body = await _readyz(client)
    assert status == 503, body
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] in ("unreachable", "timed out")
    assert body["checks"]["migrations"] == "not checked"


async def test_a_pending_migration_is_not_ready(client):
    # As after an upgrade with MIGRATE_ON_START=false before `python -m bot migrate` ran.
    await connections.get("default").execute_query(
        "DELETE FROM tortoise_migrations WHERE name = '0007_notices'"
    )
    status, body = await _readyz(client)
    assert status == 503
    assert body["failed"] == ["migrations"]
    assert body["checks"]["migrations"].startswith("pending: 0007_notices")


async def test_a_stalled_event_loop_is_not_ready(aiohttp_client, settings, reader_pool):
    client = await aiohttp_client(
        create_app(settings.model_copy(update={"worker_stale_seconds": 1.0}), reader_pool=reader_pool)
    )
    await client.server.app[SERVICES].processor.stop()  # the loop no longer turns
    await asyncio.sleep(1.5)
    status, body = await _readyz(client)
    assert status == 503
    assert "workers" in body["failed"]
    assert "events" in body["checks"]["workers"]


async def test_a_web_process_does_not_judge_workers_elsewhere(aiohttp_client, settings, reader_pool):
    client = await aiohttp_client(
        create_app(settings.model_copy(update={"process_role": "web", "worker_stale_seconds": 0.001}), reader_pool=reader_pool)
    )
    await asyncio.sleep(0.05)
    status, body = await _readyz(client)
    assert status == 200, body
    assert body["checks"]["workers"] == "elsewhere"
