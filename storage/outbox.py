"""The outbox: replies stored with the state change they report, delivered afterwards."""

from __future__ import annotations

import json
import time
from typing import Any

from tortoise.expressions import F, Q

from storage import leases
from storage.models import OutboxMessage

MAX_ATTEMPTS = 8
BULK_ROWS = 1000  # rows per INSERT: well under PostgreSQL's 32,767 parameters


def build(
    channel: str,
    chat: str,
    replies: list[dict[str, Any]],
    *,
    reply_token: str | None = None,
    reply_token_at: float | None = None,
    source_event: str | None = None,
    leased: bool = False,
    row_id: int | None = None,
) -> OutboxMessage:
    """One chat's queued replies as a row, not yet written (the caller saves it, or `add_built` many).

    `leased` writes the row already leased to this process, which delivers it from
    memory after the commit without claiming it first; if the process dies, the lease
    lapses and the retry sweep delivers it.
    """
    now = time.time()
    given = {"id": row_id} if row_id is not None else {}  # an explicit id marks the row's id as ours to insert
    return OutboxMessage(
        **given,
        channel=channel,
        chat=chat,
        payload=replies,
        reply_token=reply_token,
        reply_token_at=reply_token_at,
        source_event=source_event,
        created_at=now,
        lease_until=leases.lease_until(now) if leased else None,
        lease_owner=leases.OWNER if leased else None,
    )


async def add(row: OutboxMessage) -> None:
    """Write one row from `build` (inside the transaction that changed what it reports)."""
    await row.save(force_create=True)


async def reserve_ids(count: int) -> list[int]:
    """Ids for `count` rows written together by `add_built`, in order.

    Call only inside a transaction whose first statement wrote: on SQLite the one writer
    then holds the database until the commit, so the ids above the largest one are
    nobody else's; PostgreSQL hands them out from the table's sequence.
    """
    if count <= 0:
        return []
    db = OutboxMessage._meta.db
    table = OutboxMessage._meta.db_table
    if db.capabilities.dialect == "postgres":
        _, found = await db.execute_query(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, $1)", [count]
        )
        return sorted(row["id"] for row in found)
    _, found = await db.execute_query(f"SELECT COALESCE(MAX(id), 0) AS id FROM {table}")
    last = found[0]["id"]
    return list(range(last + 1, last + 1 + count))


async def add_built(rows: list[OutboxMessage]) -> None:
    """Write rows from `build`, each given its id by `reserve_ids`, in bulk inserts."""
    if rows:
        await OutboxMessage.bulk_create(rows, batch_size=BULK_ROWS)


async def add_many(rows: list[tuple[str, str, list[dict[str, Any]]]], batch: str) -> dict[tuple[str, str], int]:
    """Queue replies for many chats in bulk inserts (call inside the job's transaction); returns each chat's row id.

    `batch` marks the rows (as their source) so their ids can be read back: bulk
    inserts do not return them on every database. Each (channel, chat) appears once.
    """
    now = time.time()
    # Our rows get ids above every id handed out before this point: reading back from there
    # stays a short primary-key range scan however large the outbox grows.
    last = await OutboxMessage.all().order_by("-id").limit(1).values_list("id", flat=True)
    await OutboxMessage.bulk_create(
        [
            OutboxMessage(channel=channel, chat=chat, payload=replies, source_event=batch, created_at=now)
            for channel, chat, replies in rows
        ],
        batch_size=BULK_ROWS,
    )
    found = await OutboxMessage.filter(id__gt=last[0] if last else 0, source_event=batch).values_list(
        "channel", "chat", "id"
    )
    return {(channel, chat): message_id for channel, chat, message_id in found}


async def claim(message_id: int) -> OutboxMessage | None:
    """Lease one message for delivery; None if another worker holds it or it was sent."""
    now = time.time()
    free = Q(status="pending") & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    won = await OutboxMessage.filter(free, id=message_id).update(
        lease_until=leases.lease_until(now), lease_owner=leases.OWNER
    )
    return await OutboxMessage.get_or_none(id=message_id) if won else None


async def due_ids(limit: int = 100) -> list[int]:
    """Messages whose delivery is due (new ones and retries); a notice's rows are the broadcast's to send."""
    now = time.time()
    return await (
        OutboxMessage.filter(
            Q(status="pending"),
            Q(notice_id__isnull=True),
            Q(next_attempt_at__lte=now),
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        )
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )


async def mark_sent(message: OutboxMessage, platform_ids: list[str]) -> None:
    """Delivery succeeded; keep the platform's message ids for later edits."""
    await OutboxMessage.filter(id=message.id).update(
        status="sent",
        sent_at=time.time(),
        lease_until=None,
        lease_owner=None,
        attempts=message.attempts + 1,
        platform_ids=platform_ids,
    )


# `mark_sent` as one prepared statement run for many rows: the ORM builds an UPDATE per row in Python.
_MARK_SENT = (
    "UPDATE outbox_message SET status='sent', sent_at={}, lease_until=NULL, lease_owner=NULL,"
    " attempts={}, platform_ids={} WHERE id={}"
)


async def mark_sent_many(sent: list[tuple[OutboxMessage, list[str]]]) -> None:
    """`mark_sent` for many deliveries in one statement and one commit."""
    if not sent:
        return
    db = OutboxMessage._meta.db
    if db.capabilities.dialect == "postgres":
        query = _MARK_SENT.format("$1", "$2", "$3::jsonb", "$4")
    else:
        query = _MARK_SENT.format("?", "?", "?", "?")
    now = time.time()
    # In id order: two processes marking at once then lock shared rows in the same order (no deadlock).
    rows = sorted(sent, key=lambda pair: pair[0].id)
    await db.execute_many(query, [[now, m.attempts + 1, json.dumps(ids), m.id] for m, ids in rows])


async def platform_ids(message_id: int) -> list[str]:
    """The platform's ids of a sent outbox message (empty if not sent or not editable)."""
    row = await OutboxMessage.get_or_none(id=message_id, status="sent").only("id", "platform_ids")
    return list(row.platform_ids or []) if row else []


async def mark_failed(message: OutboxMessage, error: str, *, permanent: bool, wait: float | None = None) -> None:
    """Delivery failed: back off and retry, or give up.

    `wait`: the platform refused for its rate and said how long to wait. That is the
    platform's flow control, not a failed attempt: the message tries again then, and
    however often that happens it is never given up on for it.
    """
    attempts = message.attempts + (0 if wait is not None and not permanent else 1)
    final = permanent or attempts >= MAX_ATTEMPTS
    await OutboxMessage.filter(id=message.id).update(
        status="failed" if final else "pending",
        attempts=attempts,
        last_error=error[:200],
        lease_until=None,
        lease_owner=None,
        next_attempt_at=time.time() + (wait if wait is not None else min(300.0, 2.0**attempts)),
        reply_token=None,  # a failed reply token is spent; retries push
    )


# --- a circular notice's rows: written in bulk, sent by the broadcast dispatcher --------------------


async def add_notice_rows(notice_id: int, rows: list[tuple[str, str, int, str | None]]) -> int:
    """Queue a notice for (channel, chat, recipient id, request key) rows; the content is the notice's."""
    now = time.time()
    await OutboxMessage.bulk_create(
        [
            OutboxMessage(
                channel=channel, chat=chat, payload=[], notice_id=notice_id, recipient_id=recipient,
                request_key=key, created_at=now,
            )
            for channel, chat, recipient, key in rows
        ],
        batch_size=BULK_ROWS,
    )
    return len(rows)


def _free(now: float) -> Q:
    return Q(status="pending") & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))


async def due_notice_rows(limit: int) -> list[tuple[int, str, str | None]]:
    """(id, channel, request key) of notice rows due now, oldest first."""
    now = time.time()
    rows = await (
        OutboxMessage.filter(_free(now), Q(notice_id__isnull=False), Q(next_attempt_at__lte=now))
        .order_by("id")
        .limit(limit)
        .values_list("id", "channel", "request_key")
    )
    return list(rows)


async def claim_many(ids: list[int]) -> list[OutboxMessage]:
    """Lease these rows for this process in one statement; returns the ones it won."""
    now = time.time()
    until = leases.lease_until(now)
    await OutboxMessage.filter(_free(now), id__in=ids).update(lease_until=until, lease_owner=leases.OWNER)
    return await OutboxMessage.filter(id__in=ids, lease_owner=leases.OWNER, lease_until=until, status="pending")


async def claim_request(request_key: str) -> list[OutboxMessage]:
    """Lease every pending row of one platform request at once (all or none: they share a retry key)."""
    now = time.time()
    until = leases.lease_until(now)
    taken = Q(status="pending") & Q(lease_until__gte=now) & ~Q(lease_owner=leases.OWNER)
    if await OutboxMessage.filter(taken, request_key=request_key).exists():
        return []  # another process is sending this request
    await OutboxMessage.filter(_free(now), request_key=request_key).update(lease_until=until, lease_owner=leases.OWNER)
    return await OutboxMessage.filter(request_key=request_key, lease_owner=leases.OWNER, lease_until=until, status="pending")


async def mark_many_sent(ids: list[int], payloads: dict[int, list[dict[str, Any]]] | None = None) -> None:
    """Rows a platform accepted; `payloads` keeps what a simulator row showed (the page reads it back)."""
    now = time.time()
    for start in range(0, len(ids), BULK_ROWS):
        chunk = ids[start : start + BULK_ROWS]
        await OutboxMessage.filter(id__in=chunk).update(
            status="sent", sent_at=now, lease_until=None, lease_owner=None
        )
    for message_id, payload in (payloads or {}).items():
        await OutboxMessage.filter(id=message_id).update(payload=payload)


async def note_progress(message_id: int, parts_sent: int) -> None:
    """How many of a row's messages went out: a retry after a crash starts after them."""
    await OutboxMessage.filter(id=message_id).update(platform_ids=[str(i) for i in range(parts_sent)])


async def retry_later(ids: list[int], delay: float, error: str, *, count: bool = True) -> None:
    """A platform fault: try again after `delay`. A rate refusal (`count=False`) is not an attempt."""
    now = time.time()
    counted = {"attempts": F("attempts") + 1, "last_error": error[:200]} if count else {}
    for start in range(0, len(ids), BULK_ROWS):
        await OutboxMessage.filter(id__in=ids[start : start + BULK_ROWS]).update(
            next_attempt_at=now + delay, lease_until=None, lease_owner=None, **counted
        )


async def fail_many(ids: list[int], error: str) -> None:
    """Rows that can never be delivered (blocked, refused, the month's allowance spent)."""
    for start in range(0, len(ids), BULK_ROWS):
        await OutboxMessage.filter(id__in=ids[start : start + BULK_ROWS]).update(
            status="failed", last_error=error[:200], lease_until=None, lease_owner=None
        )


async def pending_notice_rows(notice_id: int) -> int:
    """How many of a notice's rows are not sent or failed yet."""
    return await OutboxMessage.filter(notice_id=notice_id, status="pending").count()
