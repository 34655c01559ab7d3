"""Fiscal years (1 Oct – 30 Sep, named by the BE year of the end) and assessment rounds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fiscal.thai_dates import BANGKOK, BE_OFFSET


@dataclass(frozen=True, slots=True)
class Period:
    """A fiscal year, or one round of it."""

    fiscal_year: int  # BE, e.g. 2569
    round: int | None  # 1, 2, or None for the whole year
    start: dt.date
    end: dt.date  # inclusive

    def contains(self, day: dt.date) -> bool:
        """Whether a date falls in this period."""
        return self.start <= day <= self.end


def today_bangkok(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Asia/Bangkok."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(BANGKOK).date()


def fiscal_year_of(day: dt.date) -> int:
    """The BE fiscal year a date belongs to: October starts the next year's FY."""
    ce = day.year + 1 if day.month >= 10 else day.year
    return ce + BE_OFFSET


def fiscal_year(fy_be: int) -> Period:
    """The whole fiscal year: FY 2569 is 1 Oct 2025 – 30 Sep 2026."""
    ce_end = fy_be - BE_OFFSET
    return Period(fy_be, None, dt.date(ce_end - 1, 10, 1), dt.date(ce_end, 9, 30))


def assessment_round(fy_be: int, number: int) -> Period:
    """Round 1 is 1 Oct – 31 Mar, round 2 is 1 Apr – 30 Sep."""
    ce_end = fy_be - BE_OFFSET
    if number == 1:
        return Period(fy_be, 1, dt.date(ce_end - 1, 10, 1), dt.date(ce_end, 3, 31))
    if number == 2:
        return Period(fy_be, 2, dt.date(ce_end, 4, 1), dt.date(ce_end, 9, 30))
    raise ValueError("a fiscal year has rounds 1 and 2")


def round_of(day: dt.date) -> Period:
    """The assessment round a date falls in."""
    fy = fiscal_year_of(day)
    return assessment_round(fy, 1 if day.month >= 10 or day.month <= 3 else 2)


def accepted_window(today: dt.date, *, reporting_deadline: tuple[int, int] = (12, 31)) -> tuple[dt.date, dt.date]:
    """Completion dates accepted today: this FY, plus the previous FY until its reporting deadline.

    Agencies report a closed FY to OCSC by December, so certificates of the
    previous year are still useful until then (month, day of the deadline).
    """
    current = fiscal_year(fiscal_year_of(today))
    month, day = reporting_deadline
    deadline = dt.date(current.start.year, month, day)
    start = fiscal_year(current.fiscal_year - 1).start if today <= deadline else current.start
    return start, today

