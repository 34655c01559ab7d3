"""The outbox: replies stored with the state change they report, delivered afterwards."""

from __future__ import annotations

import time
from typing import Any

from tortoise.expressions import Q

from storage import leases
from storage.models import OutboxMessage

MAX_ATTEMPTS = 8


async def add(
    channel: str,
    chat: str,
    replies: list[dict[str, Any]],
    *,
    reply_token: str | None = None,
    reply_token_at: float | None = None,
    source_event: str | None = None,
) -> OutboxMessage:
    """Queue replies for one chat (call inside the turn's transaction)."""
    return await OutboxMessage.create(
        channel=channel,
        chat=chat,
        payload=replies,
        reply_token=reply_token,
        reply_token_at=reply_token_at,
        source_event=source_event,
        created_at=time.time(),
    )


async def claim(message_id: int) -> OutboxMessage | None:
    """Lease one message for delivery; None if another worker holds it or it was sent."""
    now = time.time()
    free = Q(status="pending") & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    won = await OutboxMessage.filter(free, id=message_id).update(
        lease_until=leases.lease_until(now), lease_owner=leases.OWNER
    )
    return await OutboxMessage.get_or_none(id=message_id) if won else None


async def due_ids(limit: int = 100) -> list[int]:
    """Messages whose delivery is due (new ones and retries)."""
    now = time.time()
    return await (
        OutboxMessage.filter(
            Q(status="pending"),
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


async def platform_ids(message_id: int) -> list[str]:
    """The platform's ids of a sent outbox message (empty if not sent or not editable)."""
    row = await OutboxMessage.get_or_none(id=message_id, status="sent").only("id", "platform_ids")
    return list(row.platform_ids or []) if row else []


async def mark_failed(message: OutboxMessage, error: str, *, permanent: bool) -> None:
    """Delivery failed: back off and retry, or give up."""
    attempts = message.attempts + 1
    final = permanent or attempts >= MAX_ATTEMPTS
    await OutboxMessage.filter(id=message.id).update(
        status="failed" if final else "pending",
        attempts=attempts,
        last_error=error[:200],
        lease_until=None,
        lease_owner=None,
        next_attempt_at=time.time() + min(300.0, 2.0**attempts),
        reply_token=None,  # a failed reply token is spent; retries push
    )
