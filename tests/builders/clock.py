"""A fake clock for the scheduled jobs: Bangkok wall-clock moments, and one reminder sweep as of one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from scheduler.reminders import send_reminders

BANGKOK = ZoneInfo("Asia/Bangkok")


def at(text: str) -> dt.datetime:
    """A Bangkok wall-clock moment: at("2027-03-24 09:00")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=BANGKOK)


async def sweep(services, now: dt.datetime) -> int:
    """One scheduled reminder sweep at `now`, then wait until what it queued is delivered."""
    queued = await send_reminders(services, now)
    await services.notifier.drain()
    return queued
