"""GET /readyz: whether this process can do its work now, for load balancers and monitoring.

`/healthz` says the process is alive; `/readyz` says it is ready: the database answers,
its schema is at this version's migrations, the loops this process runs (event processor,
certificate reader, scheduler) turned recently, and `DATA_DIR` has more free space than
`MIN_FREE_DISK_MB`. 200 with `{"status": "ready", ...}`, else 503 naming the failed checks.

Each process reports on the loops it runs itself, from a heartbeat each loop keeps in
memory: a worker's (or an all-in-one process's) /readyz fails when one of them stalls.
A `PROCESS_ROLE=web` process runs none and does not judge workers on other machines: a load
balancer that took web processes out because a worker stalled would turn webhooks that are
stored and handled later into webhooks refused. Monitor each worker's own /readyz (workers
serve /healthz, /readyz and /metrics on their port), and the queue gauges in /metrics.

It is polled, so it is cheap: a `SELECT 1`, one read of the migrations table (a few rows,
remembered for a minute once current), `statvfs` on the data directory. The body holds check
names and words, nothing about people.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from storage import db as database
from storage.files import FileStore

logger = logging.getLogger(__name__)

DATABASE_TIMEOUT_SECONDS = 3.0
# Migrations only move forward while processes run: once current, read them again a minute later.
MIGRATIONS_RECHECK_SECONDS = 60.0


class Beat:
    """A loop's last sign of life, in monotonic seconds, kept in memory by the loop itself."""

    def __init__(self) -> None:
        self.beat_at = time.monotonic()

    def beat(self) -> None:
        """The loop turned."""
        self.beat_at = time.monotonic()


@dataclass(frozen=True, slots=True)
class Loop:
    """One loop this process runs: where its heartbeat is read, and when it counts as stalled."""

    name: str
    beat_at: Callable[[], float]
    stale_after: float


class Readiness:
    """The /readyz route: checks database, schema, this process's loops and free disk."""

    def __init__(self, files: FileStore, min_free_mb: int, loops: list[Loop]) -> None:
        self.files = files
        self.min_free_bytes = min_free_mb * 1024 * 1024
        self.loops = loops
        self.expected = database.migrations_on_disk()
        self._migrations_ok_at = -MIGRATIONS_RECHECK_SECONDS

    async def checks(self) -> dict[str, str]:
        """Each check's outcome: "ok", or a few words on what is wrong."""
        result = {"database": await self._database()}
        result["migrations"] = await self._migrations() if result["database"] == "ok" else "not checked"
        result["workers"] = self._loops()
        result["disk"] = await self._disk()
        return result

    async def __call__(self, request: web.Request) -> web.Response:
        """200 when every check passes, else 503 with the failed ones."""
        checks = await self.checks()
        failed = [name for name, outcome in checks.items() if outcome not in ("ok", "elsewhere", "not checked")]
        body = {"status": "not ready" if failed else "ready", "checks": checks}
        if failed:
            body["failed"] = failed
            logger.warning("not ready: %s", ", ".join(f"{name}={checks[name]}" for name in failed))
        return web.json_response(body, status=503 if failed else 200, headers={"Cache-Control": "no-store"})

    async def _database(self) -> str:
        try:
            await asyncio.wait_for(database.ping(), DATABASE_TIMEOUT_SECONDS)
        except TimeoutError:
            return "timed out"
        except Exception as exc:
            logger.warning("readiness: database unreachable (%s)", type(exc).__name__)
            return "unreachable"
        return "ok"

    async def _migrations(self) -> str:
        if time.monotonic() - self._migrations_ok_at < MIGRATIONS_RECHECK_SECONDS:
            return "ok"
        try:
            applied = await asyncio.wait_for(database.migrations_applied(), DATABASE_TIMEOUT_SECONDS)
        except Exception as exc:
            logger.warning("readiness: migrations unreadable (%s)", type(exc).__name__)
            return "unreadable"
        missing = sorted(set(self.expected) - set(applied))
        unknown = sorted(set(applied) - set(self.expected))
        if missing:
            return f"pending: {', '.join(missing)} (run python -m bot migrate)"
        if unknown:
            return f"database is newer than this version: {', '.join(unknown)}"
        self._migrations_ok_at = time.monotonic()
        return "ok"

    def _loops(self) -> str:
        if not self.loops:
            return "elsewhere"  # PROCESS_ROLE=web: see the module docstring
        now = time.monotonic()
        stalled = [loop.name for loop in self.loops if now - loop.beat_at() > loop.stale_after]
        return f"stalled: {', '.join(stalled)}" if stalled else "ok"

    async def _disk(self) -> str:
        if not self.min_free_bytes:
            return "ok"
        try:
            free = await self.files.free_bytes()
        except OSError as exc:
            return f"unreadable ({type(exc).__name__})"
        if free is None:
            return "ok"  # an object store: no disk of ours fills up
        return "ok" if free >= self.min_free_bytes else "below MIN_FREE_DISK_MB"
