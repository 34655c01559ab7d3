"""Thai calendar dates as printed on certificates: "13 ธันวาคม พ.ศ. 2566", "13 ธ.ค. 66".

Pure functions: month-name matching tolerant of OCR noise, Buddhist Era to
Common Era conversion and validation of real calendar dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .thai_text import normalize_thai, squash

BE_OFFSET = 543

FULL_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
SHORT_MONTHS = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
# Common misspellings/OCR forms that fuzzy matching alone scores too low.
_EXTRA_FORMS = {
    "กรกฏาคม": 7,
    "พฤศจิกายน": 11,
    "กุมภาพันธ": 2,
}

# A day number; the month word and year are looked for just after it.  OCR
# may split a number with a space ("1 1 เมษายน", "25 65"): one space between
# its digits is allowed.
_DAY_RE = re.compile(r"(?<!\d)([0-3] ?\d|\d)(?!\d)")
_YEAR_RE = re.compile(r"(?<!\d)(\d(?: ?\d){3}|\d{2})(?!\d)")
# The era marker and its OCR forms: "พ.ศ.", "พ.ศ", "พ ศ.", "พ.ศ,", "ค.ศ.".
_ERA_RE = re.compile(r"([พค])\s*[.,]?\s*ศ\s*[.,]?")
_MONTH_CHARS = re.compile(r"[^\u0e01-\u0e4e.]")


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found in text, with how sure the month match was (0–1)."""

    value: dt.date
    confidence: float
    start: int
    end: int


def match_month(word: str) -> tuple[int, float] | None:
    """Map a Thai month word (full or abbreviated, noisy) to (1–12, score 0–1)."""
    word = squash(normalize_thai(word))
    if not word:
        return None
    for form, month in _EXTRA_FORMS.items():
        if word == form:
            return month, 0.95
    bare = word.replace(".", "").replace(",", "")
    best: tuple[int, float] | None = None
    # Abbreviations are compared without dots: OCR drops or doubles them, or
    # reads a dot under the line as a below vowel ("ธุค." for "ธ.ค.").
    undotted = re.sub("[\u0e38\u0e39]", "", bare) if len(bare) <= 4 else bare
    for month, short in enumerate(SHORT_MONTHS, start=1):
        if bare == short.replace(".", ""):
            return month, 1.0
        if undotted == short.replace(".", ""):
            return month, 0.85
    # Two letters printed with the abbreviation's dots ("ม.ด.") are one too.
    dotted_pair = len(bare) == 2 and word.count(".") >= 1
    if 3 <= len(bare) <= 4 or dotted_pair:
        # One letter off a single abbreviation ("ธรค" for "ธค", "ม.ด." for
        # "ม.ค.") is that month; one letter off two ("กข": "กพ", "กค", "กย")
        # is no month.  Undotted, two letters are too few to tell.
        near = [m for m, short in enumerate(SHORT_MONTHS, start=1)
                if Levenshtein.distance(undotted, short.replace(".", "")) == 1]
        if len(near) == 1:
            return near[0], 0.7 if not dotted_pair else 0.6
    if len(bare) <= 3:
        return None  # too short to fuzzy-match safely ("กพ" vs "กค" is one letter apart)
    for month, full in enumerate(FULL_MONTHS, start=1):
        if bare == full:
            return month, 1.0
        score = fuzz.ratio(bare, full) / 100.0
        if best is None or score > best[1]:
            best = (month, score)
    if best is not None and best[1] >= 0.75:
        return best
    return None


def be_year_to_ce(year: int, *, era: str | None = None) -> int | None:
    """Convert a printed year (4-digit BE/CE or 2-digit BE) to a CE year, or None if implausible."""
    if year < 100:
        # Two-digit years on Thai documents are BE ("66" = 2566).
        year += 2500
    if era and "ค" in era:
        ce = year
    elif year >= 2400:
        ce = year - BE_OFFSET
    else:
        ce = year
    # A development certificate is from this century's e-learning era, or a
    # year or so ahead at most (a clock or typo); anything else is a misread
    # (a year left out of the line's box read as "33", 2533: 1990).
    if 2000 <= ce <= dt.date.today().year + 1:
        return ce
    return None


def make_date(day: int, month: int, ce_year: int) -> dt.date | None:
    """A real calendar date or None (31 กุมภาพันธ์ is rejected)."""
    try:
        return dt.date(ce_year, month, day)
    except ValueError:
        return None


def _split_month_and_era(middle: str) -> tuple[str, str | None]:
    """Separate the month word from an era marker in the text between day and year."""
    era = None
    m = _ERA_RE.search(middle)
    if m and m.start() > 0:
        era = m.group(1)
        middle = middle[: m.start()]
    return _MONTH_CHARS.sub("", middle), era


def find_dates(text: str) -> list[DateMatch]:
    """All valid Thai dates in normalised text, in order of appearance."""
    found: list[DateMatch] = []
    pos = 0
    while True:
        day_m = _DAY_RE.search(text, pos)
        if day_m is None:
            break
        pos = day_m.end()
        # The month and year follow within a short window on the same line.
        window_end = text.find("\n", day_m.end())
        window_end = len(text) if window_end < 0 else window_end
        window_end = min(window_end, day_m.end() + 32)
        year_m = _YEAR_RE.search(text, day_m.end(), window_end)
        if year_m is None:
            continue
        month_word, era = _split_month_and_era(text[day_m.end() : year_m.start()])
        month = match_month(month_word)
        if month is None:
            continue
        ce = be_year_to_ce(int(year_m.group(1).replace(" ", "")), era=era)
        if ce is None:
            continue
        value = make_date(int(day_m.group(1).replace(" ", "")), month[0], ce)
        if value is None:
            continue
        conf = month[1]
        if len(year_m.group(1)) == 2:
            conf *= 0.9  # a two-digit year is a guess at the century
        found.append(DateMatch(value, conf, day_m.start(), year_m.end()))
        pos = year_m.end()
    return found


def parse_thai_date(text: str) -> dt.date | None:
    """Parse the first valid Thai date in text (BE or CE), or None."""
    dates = find_dates(normalize_thai(text))
    return dates[0].value if dates else None
