"""Repairs of date lines: a day or month misread past parsing, put back as the line network sees it."""

from __future__ import annotations

import re

import numpy as np

from ..line_recognizer import greedy, log_probs_views
from ..ocr import MONTH_START
from ..spelling_check import best_spelling, likelihood
from ..thai_dates import FULL_MONTHS, SHORT_MONTHS, find_dates
from . import LineUnderRepair, repair
from .digits import DIGIT_RUN, numbers_seen, scorable
from .lookalikes import DIGIT_LOOKALIKES, ONE_STROKES

# How much likelier (nats) the month put into a date line must be than any other month (see with_month_filled).
MONTH_MARGIN = 3.0
# The margin by which a month the line network puts into a date line needs no day it reads as well.
SURE_MONTH_MARGIN = 10.0
# A day, what stands where its month should (no digit run of its own), and the year with its era maybe.
# The era may be misread too ("ตุฉาคม พุต. 2565"): then it is part of what is replaced.
_MONTH_GAP = re.compile(r"(?<!\d)(\d{1,2})\s*(\S[^\n]{0,13}?)\s*(?=(?:[พค]\s*\.?\s*ศ\s*\.?\s*)?(?:\d{4}|\d{2})(?!\d))")
# What stands between "วันที่" (its mark may be lost) and the month word when it holds no digit.
_DAY_GAP = re.compile(rf"(?:วันที่|วันที|วนที่|วันทึ)(\D{{0,3}}?)(?=\s*{MONTH_START})")


# --- registered repairs -------------------------------------------------------------------


@repair(roles=("date",), order=100)
def day_filled(line: LineUnderRepair) -> str:
    """The day of a date line no date was parsed from, where Tesseract read none: as the line network sees it.

    A thin Latin 1 set close to "ที่" is read as part of it ("วันที] พฤษภาคม").
    Only on the line most like the date's wording when the page gave no date,
    re-read plainly, in Latin digits (see :func:`with_day_filled`).
    """
    if not line.unparsed_date or line.reread != "plain" or line.thai_digits or find_dates(line.text):
        return line.text
    return with_day_filled(line.crop, line.text)


@repair(roles=("date",), order=130)
def month_filled(line: LineUnderRepair) -> str:
    """A month misread past matching ("14 ๓.ค. 63" on Mitr), put back as the line network sees it (see :func:`with_month_filled`)."""
    if find_dates(line.text):
        return line.text
    return with_month_filled(line.crop, line.text)


@repair(roles=("date",), order=140)
def impossible_day_mended(line: LineUnderRepair) -> str:
    """A day that is no day ("50": Niramit's 3 read as 5), taken as the line network reads it (see :func:`with_impossible_day_mended`)."""
    if find_dates(line.text):
        return line.text
    return with_impossible_day_mended(line.crop, line.text)


# --- the mends ------------------------------------------------------------------------------


def day_fills(text: str) -> list[str]:
    """``text`` with each day 1–31 put between "วันที่" and the month word, where no number stands there.

    A thin Latin 1 set close to "ที่" is read as part of it ("วันที] พฤษภาคม").
    """
    m = _DAY_GAP.search(text)
    if m is None:
        return []
    return [f"{text[:m.start(1)]} {day} {text[m.end(1):].lstrip()}" for day in range(1, 32)]


def with_day_filled(crop: np.ndarray, text: str) -> str:
    """``text`` of a date line whose day was not read, with the day the line network sees there.

    The day must be likeliest among all 31, clearly likelier than the line
    as read, and in the network's own reading of the line: a day cut off the
    picture is not made up.  A line with a day is left alone: a look-alike
    swap here once "mended" a day read right ("13" to "15", on Niramit).
    Strokes alone where the day stands are 1s, seen or not.
    """
    fills = day_fills(text)
    if not fills:
        return text
    # Strokes alone where the day stands ("วันที่] ตุลาคม") are thin 1s, as many
    # as Tesseract saw: the network may read one as a mark, or two as one.
    strokes = _DAY_GAP.search(text).group(1).strip()
    if strokes and len(strokes) <= 2 and set(strokes) <= ONE_STROKES:
        return fills[int("1" * len(strokes)) - 1]
    filled = best_spelling(crop, text, fills, swaps=DIGIT_LOOKALIKES)
    return filled if filled != text and numbers_seen(crop, text, filled) else text


def with_impossible_day_mended(crop: np.ndarray, text: str) -> str:
    """``text`` of a date line whose day is no day ("50"), with the day the line network reads there.

    Niramit's 3 reads as 5 ("30" as "50"), and the line then holds no date at
    all.  The network's own numbers are no evidence against a number that
    could be right (on the bench they broke more than they mended), but
    against one that cannot be, the day it reads is taken, when its other
    numbers agree with the line's.  Its reading can collapse a doubled digit
    ("11" read "1", where Tesseract read Bai Jamjuree's "11" as "71"), so
    where Tesseract saw two digits, the days one digit away from the
    impossible one compete with the network's, by likelihood, and a day of
    one digit is taken only when no day of two fits.
    """
    views = log_probs_views(crop)
    if not views:
        return text
    ours, theirs = DIGIT_RUN.findall(text), DIGIT_RUN.findall(greedy(views[0]))
    if len(ours) != 2 or len(theirs) != 2 or ours[1] != theirs[1]:
        return text
    if 1 <= int(ours[0]) <= 31 or not 1 <= int(theirs[0]) <= 31:
        return text
    days = {theirs[0], *one_digit_days(ours[0])}
    mended = [m for m in (DIGIT_RUN.sub(day, text, count=1) for day in sorted(days)) if find_dates(m)]
    as_long = [m for m in mended if len(DIGIT_RUN.findall(m)[0]) == len(ours[0])]
    if not (as_long or mended):
        return text
    return max(as_long or mended, key=lambda m: likelihood(views, scorable(m)))


def one_digit_days(number: str) -> list[str]:
    """The days of the month (1–31) that differ from the two-digit ``number`` in one digit ("71": 01, 11, 21, 31)."""
    if len(number) != 2:
        return []
    out = []
    for k in range(2):
        for d in "0123456789":
            day = number[:k] + d + number[k + 1:]
            if day != number and 1 <= int(day) <= 31:
                out.append(day)
    return out


def with_month_filled(crop: np.ndarray, text: str) -> str:
    """``text`` of a date line whose month was misread past matching, with the month the line network sees there.

    Mitr's ต comes back as the digit ๓ ("14 ๓.ค. 63"), a dot as a vowel
    ("21 กคุย. 2563"): every month's full and short form is put between
    the day and the year in turn.  The likeliest month must beat every other
    month by :data:`MONTH_MARGIN`, and the day must show in the network's
    own reading (a month is not made up, nor a day taken from debris),
    or the month win by :data:`SURE_MONTH_MARGIN` and no day the network
    reads fit better.
    """
    m = _MONTH_GAP.search(text)
    if m is None:
        return text
    views = log_probs_views(crop)
    if not views:
        return text
    by_month: dict[int, tuple[float, str]] = {}
    for forms in (FULL_MONTHS, SHORT_MONTHS):
        for month, form in enumerate(forms, start=1):
            candidate = f"{text[:m.start(2)]}{form} {text[m.end(2):].lstrip()}"
            score = likelihood(views, scorable(candidate))
            if month not in by_month or score > by_month[month][0]:
                by_month[month] = (score, candidate)
    ranked = sorted(by_month.values(), reverse=True)
    (best, filled), (second, _) = ranked[0], ranked[1]
    if best < second + MONTH_MARGIN or not find_dates(filled):
        return text
    if numbers_seen(crop, "", m.group(1)):
        return filled
    # A face whose digits the network misreads ("10" as "6ด") may still show it
    # the month beyond doubt ("ก.ย." read "ภุย.", 16 nats ahead of "พ.ย."); the
    # day read must then fit no worse than each day the network reads instead.
    if best < second + SURE_MONTH_MARGIN:
        return text
    for day in DIGIT_RUN.findall(greedy(views[0])):
        if 1 <= int(day) <= 31 and likelihood(views, scorable(filled[:m.start(1)] + day + filled[m.end(1):])) > best:
            return text
    return filled


