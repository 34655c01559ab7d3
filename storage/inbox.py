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
from tortoise.functions import Min
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


async def claim_batch(limit: int = 50, *, owner: str | None = None) -> Claimed:
    """Lease up to `limit` pending events, oldest first; another process skips leased ones.

    One person's events are handled in the order they came, whichever process handles
    them: an event is claimed only with every older pending event of its sender, or
    once those are finished. An older one leased by another process, or waiting out a
    retry after a failure, holds the sender's later events back; a dead letter does not.
    Events without a sender (`user_key` empty) have no order to keep.

    An event found free after MAX_ATTEMPTS begun handlings was never finished by
    anyone: its handling failed each time, or killed the process holding it. It goes to
    the dead letters instead of being claimed again, so one poison event cannot make a
    crash loop. Attempts are counted by `begin`, not here, so the events claimed in the
    same batch as a poison one are not charged for the crashes it causes.

    `owner` names the claiming process (this one's, unless a test plays another).
    """
    owner = owner or leases.OWNER
    now = time.time()
    free = Q(status="pending") & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    # A sender with a pending event that is not free (a process holds it, or it waits out a
    # retry) waits as a whole: none of their events is a candidate, and others' events fill
    # the batch instead of the waiting sender's backlog. Every other sender's free events
    # older than a candidate are candidates too, so they are claimed together, in order.
    waiting = (
        await InboundEvent.filter(status="pending", lease_until__gte=now)
        .exclude(user_key="")
        .distinct()
        .values_list("user_key", flat=True)
    )
    query = InboundEvent.filter(free)
    if waiting:
        query = query.exclude(user_key__in=list(waiting))
    candidates = await query.order_by("id").limit(limit)
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
    if not await InboundEvent.filter(free, id__in=ids).update(lease_until=until, lease_owner=owner):
        return found
    won_ids = set(
        await InboundEvent.filter(id__in=ids, status="pending", lease_owner=owner).values_list("id", flat=True)
    )
    won = [row for row in live if row.id in won_ids]
    # Two processes claiming at the same instant can split a sender's events (one wins the
    # first, the other a later one; or one took the first between this one's two reads):
    # whoever holds a later event than a pending one it does not hold gives it back.
    other = Q(lease_owner__isnull=True) | ~Q(lease_owner=owner)
    ahead = await _oldest_pending(won, other)
    given_back = [row.id for row in won if row.user_key in ahead and ahead[row.user_key] < row.id]
    if given_back:
        await hand_back(given_back, owner=owner)
    for row in won:
        if row.id not in given_back:
            row.lease_until, row.lease_owner = until, owner
            found.rows.append(row)
    return found


async def _oldest_pending(rows: list[InboundEvent], among: Q) -> dict[str, int]:
    """For the senders of `rows`: the id of each one's oldest pending event matching `among`,
    where that is older than the newest of `rows` (one grouped query)."""
    keys = {row.user_key for row in rows if row.user_key}
    if not keys:
        return {}
    newest = max(row.id for row in rows if row.user_key)
    found = (
        await InboundEvent.filter(among, status="pending", user_key__in=keys, id__lt=newest)
        .annotate(first=Min("id"))
        .group_by("user_key")
        .values_list("user_key", "first")
    )
    return {key: first for key, first in found}


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


async def hand_back(row_ids: list[int], begun: list[int] | None = None, *, owner: str | None = None) -> int:
    """Free claimed events this process will not handle (it is stopping, or an older event of
    their sender must go first), so any process takes them now instead of after the lease.

    Only events still pending and leased by `owner` (this process) are touched. `begun`
    names those whose handling had begun: a handling cut short is not the event's fault,
    so its attempt is taken back. Returns how many were freed.
    """
    owner = owner or leases.OWNER
    begun_ids = set(begun or ()) & set(row_ids)
    freed = 0
    if begun_ids:
        freed += await InboundEvent.filter(id__in=list(begun_ids), status="pending", lease_owner=owner).update(
            lease_until=None, lease_owner=None, attempts=F("attempts") - 1
        )
    rest = [row_id for row_id in row_ids if row_id not in begun_ids]
    if rest:
        freed += await InboundEvent.filter(id__in=rest, status="pending", lease_owner=owner).update(
            lease_until=None, lease_owner=None
        )
    return freed
