"""Dates and times as the bot shows them to people: Thai month names, Buddhist Era years, Bangkok time.

The one place every card, prompt, progress view and report formats a date.
Reading dates off certificates is the reader's business (`certificates.thai_dates`);
this module only writes them.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BE_OFFSET = 543
BANGKOK = ZoneInfo("Asia/Bangkok")

FULL_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
SHORT_MONTHS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)


def long_date(day: dt.date) -> str:
    """As a certificate prints it: "13 ธันวาคม พ.ศ. 2566"."""
    return f"{day.day} {FULL_MONTHS[day.month - 1]} พ.ศ. {day.year + BE_OFFSET}"


def short_date(day: dt.date) -> str:
    """Compact, for lists and chat lines: "13 ธ.ค. 66"."""
    return f"{day.day} {SHORT_MONTHS[day.month - 1]} {(day.year + BE_OFFSET) % 100:02d}"


def official_date(day: dt.date) -> str:
    """A short month with the full year, as HR writes deadlines and reports: "31 มี.ค. 2570"."""
    return f"{day.day} {SHORT_MONTHS[day.month - 1]} {day.year + BE_OFFSET}"


def short_datetime(when: dt.datetime) -> str:
    """A moment as Bangkok wall time: "13 ธ.ค. 66 14:05 น."."""
    local = when.astimezone(BANGKOK)
    return f"{short_date(local.date())} {local:%H:%M} น."
