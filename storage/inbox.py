"""The durable inbox: webhook events are committed here before the platform gets its 200.

Concurrent webhook requests are grouped into one transaction (group commit), so
the cost of a durable write is shared by everything that arrived meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from storage import leases
from storage.models import InboundEvent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event as a webhook received it, before it is stored."""

    event_id: str
    channel: str
    user_key: str
    payload: dict[str, Any]
    received_at: float


class InboxWriter:
    """Batches concurrent inserts into one commit; `store` returns once the batch is durable."""

    def __init__(self, max_batch: int = 500) -> None:
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[list[NewEvent], asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the background writer."""
        self._task = asyncio.create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task:
            while not self._queue.empty():
                await asyncio.sleep(0.01)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def store(self, events: list[NewEvent]) -> None:
        """Durably store events (duplicates by event_id are ignored)."""
        if not events:
            return
        if self._task is None:  # CLI and tests without a running writer
            await write_events(events)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((events, done))
        await done

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            size = len(first[0])
            while size < self.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                batch.append(item)
                size += len(item[0])
            try:
                await write_events([e for events, _ in batch for e in events])
            except Exception as exc:  # every waiter gets the error; their webhook answers 500
                logger.exception("inbox write failed for %d events", size)
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
            else:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(None)


async def write_events(events: list[NewEvent]) -> None:
    """Insert events in one transaction, skipping ids that are already stored."""
    async with in_transaction():
        await InboundEvent.bulk_create(
            [
                InboundEvent(
                    event_id=e.event_id,
                    channel=e.channel,
                    user_key=e.user_key,
                    payload=e.payload,
                    received_at=e.received_at,
                )
                for e in events
            ],
            ignore_conflicts=True,
        )


@dataclass(slots=True)
class Claimed:
    """What one claim found: events to handle now, and events given up on (dead letters)."""

    rows: list[InboundEvent]
    dead: list[InboundEvent]


async def claim_batch(limit: int = 50) -> Claimed:
    """Lease up to `limit` pending events, oldest first; another process skips leased ones.

    An event found free after MAX_ATTEMPTS begun handlings was never finished by
    anyone: its handling failed each time, or killed the process holding it. It goes to
    the dead letters instead of being claimed again, so one poison event cannot make a
    crash loop. Attempts are counted by `begin`, not here, so the events claimed in the
    same batch as a poison one are not charged for the crashes it causes.
    """
    now = time.time()
    free = Q(status="pending") & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    candidates = await InboundEvent.filter(free).order_by("id").limit(limit)
    found = Claimed([], [])
    live = []
    for row in candidates:
        if row.attempts < MAX_ATTEMPTS:
            live.append(row)
        elif await InboundEvent.filter(free, id=row.id).update(
            status="failed", error="gave up: never finished", lease_until=None, lease_owner=None
        ):
            row.status = "failed"
            found.dead.append(row)
    if not live:
        return found
    # The conditional update is the claim: only one process can move a lease. One statement
    # for the whole batch, then one read of which rows it moved (another process may have
    # taken some in between): two round trips however many events, not one per event.
    until = leases.lease_until(now)
    ids = [row.id for row in live]
    if await InboundEvent.filter(free, id__in=ids).update(lease_until=until, lease_owner=leases.OWNER):
        won = set(
            await InboundEvent.filter(id__in=ids, status="pending", lease_owner=leases.OWNER).values_list(
                "id", flat=True
            )
        )
        for row in live:
            if row.id in won:
                row.lease_until, row.lease_owner = until, leases.OWNER
                found.rows.append(row)
    return found


async def begin(row: InboundEvent) -> bool:
    """Count an attempt, committed before handling starts; false if the lease was lost meanwhile."""
    won = await InboundEvent.filter(id=row.id, status="pending", lease_owner=leases.OWNER).update(
        attempts=F("attempts") + 1
    )
    if won:
        row.attempts += 1
    return bool(won)


async def begin_many(rows: list[InboundEvent]) -> bool:
    """`begin` for events handled together in one transaction, in one statement.

    False, with nothing counted, if any lease was lost meanwhile: the caller then
    begins them one by one.
    """
    if not rows:
        return True
    try:
        async with in_transaction():
            won = await InboundEvent.filter(
                id__in=[row.id for row in rows], status="pending", lease_owner=leases.OWNER
            ).update(attempts=F("attempts") + 1)
            if won != len(rows):
                raise _LostLease
    except _LostLease:
        return False
    for row in rows:
        row.attempts += 1
    return True


class _LostLease(Exception):
    """Rolls `begin_many` back when it did not find every event still ours."""


async def hold(row_ids: list[int]) -> None:
    """Renew this process's leases on these events: the first statement of a handling transaction.

    On SQLite a transaction that reads first and writes later fails with "database is
    locked", without waiting, when another process (the web process storing events)
    committed in between; one whose first statement writes waits its turn for the lock.
    """
    await InboundEvent.filter(id__in=row_ids, lease_owner=leases.OWNER).update(lease_until=leases.lease_until())


async def mark_done_many(row_ids: list[int]) -> bool:
    """Inside the handlers' transaction: finish these events; false if any was already finished."""
    if not row_ids:
        return True
    return (
        await InboundEvent.filter(id__in=row_ids, status="pending").update(
            status="done", processed_at=time.time(), lease_until=None, lease_owner=None
        )
    ) == len(row_ids)


async def mark_done(row_id: int) -> bool:
    """Inside the handler's transaction: finish the event, false if it was already finished."""
    return bool(
        await InboundEvent.filter(id=row_id, status="pending").update(
            status="done", processed_at=time.time(), lease_until=None, lease_owner=None
        )
    )


async def record_failure(row: InboundEvent, error: str) -> bool:
    """After a failed attempt: retry later, or give up after MAX_ATTEMPTS (returns True then)."""
    final = row.attempts >= MAX_ATTEMPTS
    await InboundEvent.filter(id=row.id, status="pending").update(
        status="failed" if final else "pending",
        error=error[:200],
        lease_until=None if final else time.time() + 2.0 * row.attempts,
        lease_owner=None,
    )
    return final


async def pending_count() -> int:
    """How many events wait to be processed."""
    return await InboundEvent.filter(status="pending").count()


async def failed_count() -> int:
    """How many events are in the dead letters."""
    return await InboundEvent.filter(status="failed").count()


async def failed_events(limit: int = 200) -> list[InboundEvent]:
    """The dead letters, oldest first (for the operator's `events failed`)."""
    return await InboundEvent.filter(status="failed").order_by("id").limit(limit)


async def retry(row_id: int) -> bool:
    """Put a dead letter back in the queue with a fresh attempt count; false if it is not one."""
    return bool(
        await InboundEvent.filter(id=row_id, status="failed").update(
            status="pending", attempts=0, error=None, lease_until=None, lease_owner=None
        )
    )
