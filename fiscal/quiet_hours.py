"""Quiet hours: a span of the clock, possibly across midnight, in which nothing scheduled goes out."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

QuietSpan = tuple[dt.time, dt.time]


def is_quiet(when: dt.datetime, span: QuietSpan | None, zone: ZoneInfo) -> bool:
    """Whether `when` falls inside the span, read on the clock of `zone`."""
    if span is None:
        return False
    start, end = span
    clock = when.astimezone(zone).time()
    return start <= clock < end if start < end else clock >= start or clock < end


def quiet_release(when: dt.datetime, span: QuietSpan | None, zone: ZoneInfo) -> dt.datetime | None:
    """When the quiet hours that `when` falls in end, or None if it is outside them."""
    if span is None or not is_quiet(when, span, zone):
        return None
    local = when.astimezone(zone)
    release = dt.datetime.combine(local.date(), span[1], zone)
    return release if release > local else release + dt.timedelta(days=1)
