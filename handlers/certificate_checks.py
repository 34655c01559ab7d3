"""Checks shown before a certificate is confirmed: name, duplicates, date window, catalog."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapidfuzz import fuzz

from certificates.person_names import split_name
from certificates.thai_text import normalize_thai
from fiscal.calendar import accepted_window, fiscal_year_of, round_of, today_bangkok
from storage import submissions
from storage.models import Staff, Submission

NAME_MATCH_THRESHOLD = 85.0
LOW_CONFIDENCE = 0.6


def _bare_name(text: str) -> str:
    """First and last name without titles, for comparing a printed name with the roster."""
    parsed = split_name(normalize_thai(text))
    if parsed is None:
        return text.replace(" ", "")
    return f"{parsed.first}{parsed.last}".replace(" ", "")


def name_matches(read: str, staff: Staff) -> bool:
    """Whether the printed name is the staff member's, tolerating OCR noise; titles are ignored."""
    roster = f"{staff.first_name}{staff.last_name}".replace(" ", "")
    return fuzz.ratio(_bare_name(read), roster) >= NAME_MATCH_THRESHOLD


def missing_fields(submission: Submission) -> list[str]:
    """Fields a submission cannot be confirmed without."""
    missing = []
    if not submission.course_title:
        missing.append("course")
    if submission.hours is None or submission.hours <= 0:
        missing.append("hours")
    if submission.completed_on is None:
        missing.append("date")
    return missing


async def check(submission: Submission, staff: Staff, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Recompute the period and the warnings of a read (or corrected) submission."""
    today = today or today_bangkok()
    warnings: list[dict[str, Any]] = []
    if submission.completed_on:
        submission.fiscal_year = fiscal_year_of(submission.completed_on)
        submission.round = round_of(submission.completed_on).round
    else:
        submission.fiscal_year = submission.round = None
    if submission.name_read and not name_matches(submission.name_read, staff):
        warnings.append({"code": "name_mismatch", "read": submission.name_read, "roster": staff.display_name})
    warnings.extend({"code": code} for code in await submissions.duplicates_of(submission))
    start, end = accepted_window(today)
    if submission.completed_on and not (start <= submission.completed_on <= end):
        warnings.append({"code": "outside_window", "start": start.isoformat(), "end": end.isoformat()})
    if submission.course_title and not submission.course_id:
        warnings.append({"code": "course_not_in_catalog"})
    if submission.confidence is not None and submission.confidence < LOW_CONFIDENCE:
        warnings.append({"code": "low_confidence"})
    missing = missing_fields(submission)
    if missing:
        warnings.append({"code": "missing_fields", "fields": missing})
    submission.warnings = warnings
    return warnings
