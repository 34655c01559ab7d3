"""Repairs of misread digits in hours and date lines, judged by the line network.

Tesseract loses a thin 1, takes a heavy 0 for 9 or a digit for a symbol, and
drops a small decimal point; the line network (``line_recognizer``) reads
the line's crop on its own and judges which candidate reading was printed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np

from ..decimal_points import WHOLE_NUMBER, with_point_seen
from ..line_recognizer import encode, greedy, log_probs, log_probs_views
from ..spelling_check import best_spelling, likelihood
from ..thai_digits import SURE_LATIN_DIGIT, latin_digits_in
from ..thai_text import THAI_DIGITS
from . import LineUnderRepair, repair, text_repair
from .lookalikes import AS_ROUND_BRACKETS, DIGIT_LOOKALIKES, DIGIT_SYMBOLS, ONE_LOOKALIKE_CLASS

# The 0/9 check's margin (nats) for a number the line network itself reads (see checked_digits).
SEEN_DIGITS_MARGIN = 1.0
# How much likelier (nats) an hours number read alike on both the network's views must be (see with_number_seen_twice).
SEEN_TWICE_MARGIN = 3.0
# How much less likely (nats) a number with a digit the network sees and Tesseract lost may be (see with_lost_digit).
LOST_DIGIT_SLACK = 1.0
DIGIT_RUN = re.compile(r"\d+")
LATIN_DIGIT = re.compile(r"[0-9]")
# A lone "1" standing before the hours unit: "(รวมระยะเวลาทั้งสิ้น ] ชั่วโมง)".
_ONE_BEFORE_UNIT = re.compile(rf"(?<=\s){ONE_LOOKALIKE_CLASS}(?=\s*ช)")


# --- registered repairs -------------------------------------------------------------------


@text_repair(roles=("hours",), order=10)
def one_before_hours_unit(text: str) -> str:
    """A lone 1 before the hours unit, read as a bracket or bar, made a 1 again.

    Faces with a flat-footed one (K2D, Kanit) print "ทั้งสิ้น 1 ชั่วโมง" that
    comes back "ทั้งสิ้น ] ชั่วโมง".  Only standing alone before the unit.
    """
    return _ONE_BEFORE_UNIT.sub("1", text)


@repair(roles=("hours", "date"), order=110)
def digits_checked(line: LineUnderRepair) -> str:
    """A digit of an hours or date line the line network finds misread, mended (Mitr's 0 read as 9: "20" as "29").

    Only where the text holds Latin digits.  Thai digits reach the text as
    the digit classifier's Latin ones, and the network's 0/9 check on "๑๐"
    "mended" 10 to 19: a line flagged as Thai print is checked only where the
    network reads Latin digits in it (:func:`checked_flagged_digits`).
    """
    if not line.digits_parsed or not LATIN_DIGIT.search(line.text):
        return line.text
    if line.thai_digits:
        return checked_flagged_digits(line.crop, line.text, line.page_text)
    return checked_digits(line.crop, line.text, line.page_text, lost_digits=True)


@repair(roles=("hours", "date"), order=112)
def letter_seen_as_digit(line: LineUnderRepair) -> str:
    """A digit Tesseract read as a letter against its number ("า8.5" for 18.5), as the digit classifier sees it.

    The line network, on a face it never saw, may read that digit as a
    letter too.  Taken only where the classifier reads every Latin digit of
    the line, each surely, as the text with that letter a digit has them.
    Lines in Thai digits are the classifier's already.
    """
    if not line.digits_parsed or line.thai_digits or not LATIN_DIGIT.search(line.text):
        return line.text
    candidates = letters_beside_digits(line.text)
    if not candidates:
        return line.text
    seen = latin_digits_in(line.crop)
    if not seen or any(p < SURE_LATIN_DIGIT for _, p in seen):
        return line.text
    digits = "".join(d for d, _ in seen)
    found = {c for c in candidates if "".join(DIGIT_RUN.findall(c)) == digits}
    return found.pop() if len(found) == 1 else line.text


@repair(roles=("hours", "date"), order=113)
def numbers_seen_by_both_readers(line: LineUnderRepair) -> str:
    """A number Tesseract misread beyond any one-digit mend ("3" for a TlwgTypist "60"), as both other readers see it.

    Taken where the line network reads the same numbers on both its views
    and the digit classifier reads every Latin digit of the line as they
    have them, each surely: two readers trained apart, agreeing digit by digit.
    """
    if not line.digits_parsed or not LATIN_DIGIT.search(line.text) or scorable(line.text) != line.text:
        return line.text
    views = log_probs_views(line.crop)
    reads = {tuple(DIGIT_RUN.findall(greedy(v))) for v in views}
    if len(views) < 2 or len(reads) != 1:
        return line.text
    theirs, ours = list(reads.pop()), DIGIT_RUN.findall(line.text)
    if len(theirs) != len(ours) or theirs == ours:
        return line.text
    candidate = numbers_replaced(line.text, theirs)
    return candidate if glyphs_confirm(line.crop, candidate) else line.text


@repair(roles=("hours",), order=115)
def hours_seen_on_both_views(line: LineUnderRepair) -> str:
    """An hours digit misread as one no look-alike pair covers (Niramit's 3 read as 5), as the network reads it.

    See :func:`with_number_seen_twice`.  Lines in Thai digits are left to the digit classifier.  Not where the
    digit classifier surely sees the digits read (:func:`glyphs_confirm`): the network read TlwgTypo's "45" as
    "25" and Laksaman's "24" as "20" on both views.
    """
    if not line.digits_parsed or line.thai_digits or not LATIN_DIGIT.search(line.text):
        return line.text
    seen = with_number_seen_twice(line.crop, line.text)
    return line.text if seen != line.text and glyphs_confirm(line.crop, line.text) else seen


@repair(roles=("hours",), order=120)
def point_seen(line: LineUnderRepair) -> str:
    """A decimal point Tesseract lost from the hours ("65" for 6.5), put back where the ink shows one.

    See ``decimal_points``; lines in Thai digits are left to the digit classifier.
    """
    if line.thai_digits or not LATIN_DIGIT.search(line.text):
        return line.text
    return with_point_seen(line.crop, line.text, scorable(line.text))


# --- candidates and checks ------------------------------------------------------------------


def numbers_seen(crop: np.ndarray, before: str, after: str) -> bool:
    """Whether every number ``after`` has and ``before`` lacks shows in the line network's own reading of ``crop``."""
    lp = log_probs(crop)
    seen = set(DIGIT_RUN.findall(greedy(lp))) if lp is not None else set()
    return set(DIGIT_RUN.findall(after)) - set(DIGIT_RUN.findall(before)) <= seen


def stray_digits(text: str) -> list[str]:
    """``text`` without one digit of a three-digit number, or of two after a point: a stroke or bracket Tesseract took for one.

    Mostly a 1 ("214" for 24), on a heavy face a 9 ("309" for 30), a 0 in a
    monospace face's wide point ("3.05" for 3.5).  No day, month or year has
    three digits, hardly any course that many hours, and hours come in
    halves; the line network judges which digit, if any, is not printed.
    """
    out = []
    for run in DIGIT_RUN.finditer(text):
        after_point = run.start() >= 2 and text[run.start() - 1] == "." and text[run.start() - 2].isdigit()
        if len(run.group()) != (2 if after_point else 3):
            continue
        for k in range(run.start(), run.end()):
            out.append(text[:k] + text[k + 1:])
    return list(dict.fromkeys(out))


def checked_flagged_digits(crop: np.ndarray, text: str, page_text: str = "") -> str:
    """``text`` of a line flagged as showing Thai digits, checked as Latin print where the line network reads Latin digits.

    The flag also marks a Latin line whose "]8" or "2ณ" the digit classifier
    mended: there the network reads as many numbers as the text holds.
    A change must show in the network's own reading: on the bench the one it
    made unseen was wrong (๙ read 9, "mended" to 0).
    Thai print is left as the classifier read it: the shipped
    network never learnt Thai digits, and one retrained on them judged them
    no better than the classifier on the bench.
    """
    lp = log_probs(crop)
    if lp is None or not reads_latin_numbers(greedy(lp), text):
        return text
    checked = checked_digits(crop, text, page_text)
    # The network may read Thai print as some Latin number ("๑๐" as "ล3") and
    # still favour a swap ("10" to "19"): here it must read the new number itself.
    return checked if checked == text or numbers_seen(crop, text, checked) else text


def reads_latin_numbers(network_read: str, text: str) -> bool:
    """Whether the line network reads the numbers of ``text`` as Latin print: as many, and no Thai digit.

    On Thai print it reads a stray Latin digit or none ("๒๙ … ๒๕๖๖" as "ผ … ษละ3").
    """
    if any(ch in THAI_DIGITS for ch in network_read) or not LATIN_DIGIT.search(network_read):
        return False
    return len(DIGIT_RUN.findall(network_read)) == len(DIGIT_RUN.findall(text))


def digit_symbols(text: str) -> list[str]:
    """``text`` with a symbol glued to a number read as each digit in turn ("3@" for 30).

    Tesseract takes a heavy or blurred digit for a symbol ("@", "]"); a
    symbol right against a digit is no part of a date or hours, so the line
    network judges which digit it was, if any.
    """
    out = []
    for k, ch in enumerate(text):
        if ch in DIGIT_SYMBOLS and ((k > 0 and text[k - 1].isdigit()) or (k + 1 < len(text) and text[k + 1].isdigit())):
            out += [text[:k] + d + text[k + 1:] for d in "0123456789"]
    return out


def letters_beside_digits(text: str) -> list[str]:
    """``text`` with a letter right against a number read as each digit in turn ("ว2" for 22).

    Tesseract reads the first of two equal digits as a letter of the word
    before it when no space parts them ("วันที่ ว2กุมภาพันธ์"); only where the
    line network reads the digit there is one taken (:func:`with_lost_digit`).
    """
    out = []
    for run in DIGIT_RUN.finditer(text):
        for k in (run.start() - 1, run.end()):
            if 0 <= k < len(text) and text[k].isalpha():
                out += [text[:k] + d + text[k + 1:] for d in "0123456789"]
    return out


def decimal_points(text: str) -> list[str]:
    """``text`` with a point put back before the last digit of a two- or three-digit number ("65" for 6.5).

    Certificates give half hours ("6.5 ชั่วโมง"), and the point is small
    enough for Tesseract to lose; the line network judges whether it is printed.
    """
    return [text[: m.end() - 1] + "." + text[m.end() - 1:] for m in WHOLE_NUMBER.finditer(text)]


def digit_repairs(text: str) -> list[str]:
    """Candidate readings of a digit line beyond the look-alike swaps, for the line network to judge."""
    return list(dict.fromkeys(stray_digits(text) + digit_symbols(text) + decimal_points(text)))


def numbers_replaced(text: str, numbers: Sequence[str]) -> str:
    """``text`` with its digit runs replaced, in order, by ``numbers`` (as many)."""
    replacements = iter(numbers)
    return DIGIT_RUN.sub(lambda _: next(replacements), text)


def with_numbers_of(text: str, other: str) -> list[str]:
    """``text`` with its numbers as ``other`` reads them, when both show as many ([] when no different).

    The page reading of a line may hold a digit its re-read lost ("27" re-read
    as "2ณ"); whichever the line network finds likelier stands.
    """
    ours, theirs = DIGIT_RUN.findall(text), DIGIT_RUN.findall(other)
    if len(ours) != len(theirs) or ours == theirs:
        return []
    return [numbers_replaced(text, theirs)]


def scorable(text: str) -> str:
    """``text`` as the line network can spell it: brackets as parentheses, Latin letters and other symbols left out.

    A symbol against a digit stays: it may be the digit (see :func:`digit_symbols`).
    """
    out = []
    for k, ch in enumerate(text):
        against_digit = (k > 0 and text[k - 1].isdigit()) or (k + 1 < len(text) and text[k + 1].isdigit())
        if not (ch in DIGIT_SYMBOLS and against_digit):
            ch = ch.translate(AS_ROUND_BRACKETS)
        if ch.isspace() or (ch in DIGIT_SYMBOLS and against_digit) or encode(ch) is not None:
            out.append(ch)
    return "".join(out)


def checked_digits(crop: np.ndarray, text: str, page_text: str = "",
                    swaps: tuple[tuple[str, str], ...] = DIGIT_LOOKALIKES, lost_digits: bool = False) -> str:
    """``text`` with a digit the line network finds misread mended (Mitr's 0 reads as 9: "20" as "29").

    Candidates: look-alikes swapped (``swaps``: 0/9), a stray digit
    dropped, a symbol read as a digit, a lost point put back
    (:func:`digit_repairs`) and the numbers of the page reading
    ``page_text`` (:func:`with_numbers_of`); with ``lost_digits`` (lines
    printed in Latin digits), a digit the network reads and Tesseract lost
    (:func:`with_lost_digit`).  A line holding what the network cannot
    spell (brackets, Latin junk for "พ.ศ.") is checked for a lost digit only,
    scored without what it cannot spell.
    A number the network's own reading of the line also shows needs less
    margin: its likelihood is summed over a whole line it may read poorly
    elsewhere, while its digits are sharp ("19" scored 2.6 nats worse than
    the "10" it read).  The page reading's numbers are taken only so.
    """
    spelt = scorable(text)
    if spelt != text:
        # Scored as the network can spell it, and only its numbers taken back;
        # only a lost digit: the swaps, scored so, took 5 for 3 on two pages
        # in Latin print and mended none.
        if not lost_digits or not spelt:
            return text
        return (with_numbers_of(text, with_lost_digit(crop, spelt)) or [text])[0]
    page = with_numbers_of(text, page_text)
    checked = best_spelling(crop, text, page, swaps=swaps, repairs=digit_repairs, margin=SEEN_DIGITS_MARGIN)
    if checked != text and not numbers_seen(crop, text, checked):
        # The page reading's numbers only where the network sees them: on Thai print
        # it has no digits to see, and took the page's "9&" for a right "๑๕".
        checked = best_spelling(crop, text, [], swaps=swaps, repairs=digit_repairs)
    if lost_digits and checked == text:
        checked = with_lost_digit(crop, text)
    return checked


def with_number_seen_twice(crop: np.ndarray, text: str) -> str:
    """``text`` with one digit as the line network reads it on both its views, when clearly likelier, else ``text``.

    The network's numbers are no evidence against a number that could be
    right when it reads them once (on the bench they broke more than they
    mended); read alike on both views, one digit apart from Tesseract's, and
    likelier by :data:`SEEN_TWICE_MARGIN`, they are ("3" printed in Niramit,
    read "5" by Tesseract and "3" on both views, 5 nats likelier).
    """
    spelt = scorable(text)
    views = log_probs_views(crop)
    if spelt != text or len(views) < 2:
        return text
    reads = {tuple(DIGIT_RUN.findall(greedy(v))) for v in views}
    ours = DIGIT_RUN.findall(text)
    if len(reads) != 1:
        return text
    (theirs,) = reads
    if [len(n) for n in theirs] != [len(n) for n in ours]:
        return text
    if sum(a != b for a, b in zip("".join(ours), "".join(theirs))) != 1:
        return text
    candidate = numbers_replaced(text, theirs)
    return candidate if likelihood(views, candidate) > likelihood(views, text) + SEEN_TWICE_MARGIN else text


def glyphs_confirm(crop: np.ndarray, text: str) -> bool:
    """Whether the digit classifier reads the crop's Latin digits as ``text`` has them, each surely."""
    seen = latin_digits_in(crop)
    return "".join(d for d, _ in seen) == "".join(DIGIT_RUN.findall(text)) and all(p >= SURE_LATIN_DIGIT for _, p in seen)


def with_lost_digit(crop: np.ndarray, text: str) -> str:
    """``text`` with a digit put back that the line network reads and Tesseract lost or took for a symbol, else ``text``.

    A thin Latin 1 beside another digit is the digit Tesseract loses most
    (read "1", "]]" or "71" for 11; "3)" for 31).  Candidates: the numbers as
    the network's best path reads them where that only adds a digit ("2565"
    for 2563 is a misread, not a loss), and a symbol beside a digit read as
    the digit the network sees.  The network's likelihood summed over all
    paths may favour the shorter number by a hair (a thin 1 beside another:
    "11" scored 0.2 nats below "1"): nearly as likely is enough.  Each of
    the network's two views is read: one may read the lost digit as a letter
    ("1อ" for the 1 of "19") where the other reads it.
    """
    views = log_probs_views(crop)
    if not views:
        return text
    ours = DIGIT_RUN.findall(text)
    lost_readings, as_seen = [], []
    for network_read in dict.fromkeys(greedy(v) for v in views):
        theirs = DIGIT_RUN.findall(network_read)
        # The network may read a number more than Tesseract, from a bracket ("ชม.9" for "ชม.)"):
        # each choice of its numbers, in order, is matched against ours.
        for chosen in itertools.combinations(theirs, len(ours)):
            lost = [b if len(b) == len(a) + 1 and any(b[:k] + b[k + 1:] == a for k in range(len(b))) else a
                    for a, b in zip(ours, chosen)]
            if lost != ours:
                lost_readings.append(numbers_replaced(text, lost))
        # A thin 1 read as a symbol beside its digit ("2)" for 21), or a digit as a letter ("ว2" for 22),
        # is put back the same way.
        as_seen += [c for c in digit_symbols(text) + letters_beside_digits(text) if DIGIT_RUN.findall(c) == theirs]
    for candidate in list(dict.fromkeys(lost_readings + as_seen)):
        if likelihood(views, candidate) > likelihood(views, text) - LOST_DIGIT_SLACK:
            return candidate
    return text


def keep_digits(thai_read: str, mixed_read: str) -> str:
    """The Thai-only reading with the digits of the Thai+English one, where their numbers line up.

    The Thai model misreads Latin digits ("2564" as "2566") that the English
    model reads right; Thai digits are classified separately in both.
    """
    ours, theirs = DIGIT_RUN.findall(thai_read), DIGIT_RUN.findall(mixed_read)
    if len(ours) != len(theirs) or any(len(a) != len(b) for a, b in zip(ours, theirs)):
        return thai_read
    return numbers_replaced(thai_read, theirs)


