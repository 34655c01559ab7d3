"""Reminder bookkeeping: claims that make each reminder go out once, and per-round pauses.

Every function answers for everyone at once (one query), so a sweep over the whole
agency costs the same handful of queries as one over a team.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from storage.models import ChatIdentity, ReminderChoice, ReminderKindOff, ReminderPause, ReminderSent, Staff

CLAIM_BATCH = 1000

# The kinds of scheduled message admins can switch off agency-wide (the claim rows' `kind`).
STAFF_KIND = "staff"  # staff below target, before a round deadline
DIGEST_KIND = "digest"  # supervisors' digests, before deadlines and weekly
REPORT_KIND = "deadline_report"  # admins' report the morning after a deadline
SWITCHABLE_KINDS = (STAFF_KIND, DIGEST_KIND, REPORT_KIND)


def _id(staff: Staff | int) -> int:
    return staff if isinstance(staff, int) else staff.id


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
    staff_id = _id(staff)
    _, created = await ReminderPause.get_or_create(staff_id=staff_id, fiscal_year=fy, round=round_number)
    return created


async def choices() -> dict[int, str]:
    """The channel each person chose for reminders (people who did not choose get them on every linked chat)."""
    return dict(await ReminderChoice.all().values_list("staff_id", "channel"))


async def choose(staff: Staff | int, channel: str | None) -> None:
    """Send a person's reminders to one channel, or (None) to every chat they linked."""
    staff_id = _id(staff)
    if channel is None:
        await ReminderChoice.filter(staff_id=staff_id).delete()
        return
    await ReminderChoice.update_or_create(defaults={"channel": channel}, staff_id=staff_id)


async def resume(staff: Staff | int, fy: int, round_number: int) -> bool:
    """Undo a pause for one round; False when the round was not paused."""
    staff_id = _id(staff)
    return bool(await ReminderPause.filter(staff_id=staff_id, fiscal_year=fy, round=round_number).delete())


async def kinds_off() -> set[str]:
    """The kinds of reminder admins turned off for the whole agency."""
    return set(await ReminderKindOff.all().values_list("kind", flat=True))


async def switch_kind(kind: str, on: bool, by: Staff | None = None) -> None:
    """Turn one kind of reminder on or off for the whole agency."""
    if on:
        await ReminderKindOff.filter(kind=kind).delete()
    else:
        await ReminderKindOff.get_or_create(kind=kind, defaults={"turned_off_by": by})


async def choice_of(staff: Staff | int) -> str | None:
    """The channel one person chose for reminders, or None (every linked chat)."""
    staff_id = _id(staff)
    row = await ReminderChoice.get_or_none(staff_id=staff_id)
    return row.channel if row else None


async def is_paused(staff: Staff | int, fy: int, round_number: int) -> bool:
    """Whether one person paused reminders for this round."""
    staff_id = _id(staff)
    return await ReminderPause.exists(staff_id=staff_id, fiscal_year=fy, round=round_number)
