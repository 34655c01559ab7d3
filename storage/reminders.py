"""Reminder bookkeeping: claims that make each reminder go out once, and per-round pauses.

Every function answers for everyone at once (one query), so a sweep over the whole
agency costs the same handful of queries as one over a team.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from storage.models import ChatIdentity, ReminderPause, ReminderSent, Staff

CLAIM_BATCH = 1000


async def linked_channels() -> dict[int, list[str]]:
    """Each active staff member who linked a chat, with the channels they linked."""
    rows = await ChatIdentity.filter(staff__active=True).values_list("staff_id", "channel")
    found: dict[int, list[str]] = {}
    for staff_id, channel in rows:
        found.setdefault(staff_id, []).append(channel)
    return found


async def paused(fy: int, round_number: int) -> set[int]:
    """Who paused reminders for this round."""
    return set(await ReminderPause.filter(fiscal_year=fy, round=round_number).values_list("staff_id", flat=True))


async def already_claimed(fy: int, round_number: int, kind: str, offset_days: int) -> set[int]:
    """Who already has this reminder (sent or being sent)."""
    rows = ReminderSent.filter(fiscal_year=fy, round=round_number, kind=kind, offset_days=offset_days)
    return set(await rows.values_list("staff_id", flat=True))


async def claim(
    staff_ids: Iterable[int], fy: int, round_number: int, kind: str, offset_days: int, at: dt.datetime
) -> set[int]:
    """Claim the reminder for these people; returns those this call claimed (call inside the sending transaction).

    Rows another sweep holds are skipped by the unique key (on PostgreSQL the insert waits
    for that sweep's transaction, then skips); the sweep's own token tells which rows are its.
    """
    token = uuid.uuid4().hex
    rows = [
        ReminderSent(
            staff_id=staff_id, fiscal_year=fy, round=round_number, kind=kind, offset_days=offset_days,
            sweep=token, sent_at=at,
        )
        for staff_id in staff_ids
    ]
    if not rows:
        return set()
    await ReminderSent.bulk_create(rows, batch_size=CLAIM_BATCH, ignore_conflicts=True)
    return set(await ReminderSent.filter(sweep=token).values_list("staff_id", flat=True))


async def pause(staff: Staff | int, fy: int, round_number: int) -> bool:
    """Stop reminders to a person for one round; False when they had already paused it."""
    staff_id = staff if isinstance(staff, int) else staff.id
    _, created = await ReminderPause.get_or_create(staff_id=staff_id, fiscal_year=fy, round=round_number)
    return created
