"""Read a certificate upload into an :class:`Extraction`.

``read_certificate`` is synchronous and CPU-bound (Tesseract): call it from
the worker pool in ``pool.py``, never on the asyncio event loop.

For each page (one for an image, up to ``max_pdf_pages`` for a PDF):

1. a PDF text layer is parsed directly when present;
2. otherwise the page is rasterised, the sheet is found and flattened
   (photos; read unflattened as well when the flattened page misses a
   field, since the outline found may be wrong), UI bars cut
   (screenshots), light evened, and the orientation
   taken from Tesseract OSD, checked by whether the OCR text reads as a
   certificate (OSD is unreliable on Thai, so other orientations are tried
   when it does not);
3. the lines holding the fields are re-read one at a time from padded
   crops ("second look"): the name at five scales with a letter-wise vote
   in which a minority letter wins where it makes the line read more like a
   name (``known_names.name_line_cost``), then checked against readings by
   Tesseract's Thai-script model (its own vote replaces an unsure one that
   reads less like a name; a given or family name off PyThaiNLP's name
   lists gives way to a listed spelling another reading saw, see
   ``known_names``); the title lines likewise with
   the page reading, disputes settled by which option reads as dictionary
   words; hours and date lines when unsure; Thai digits are classified by
   ``thai_digits`` because Tesseract's Thai model cannot read them; the
   line network (``spelling_check``) then checks names, titles and the
   digits of hours and dates, a point lost from the hours is looked for
   in the ink (``decimal_points``), and a name's spaces follow the
   print's word gaps (``word_gaps``): between given and family name where
   OCR ran them together, and after the title;
4. a field still missing gets one or two more page passes (larger scale,
   single-column layout), which only fill gaps.  A name the parser took
   from above the intro phrase (the issuer, with the name row unread) is
   dropped once the orientation is chosen, so these look for the real one.

The first page that reads as a certificate is returned; if none does,
:class:`NotACertificate` is raised.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
from collections.abc import Callable, Sequence
import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import preprocessing as pre
from .catalog import CatalogMatch, default_catalog, match_course
from .consensus import consensus_by_words, respace
from .decimal_points import WHOLE_NUMBER, with_point_seen
from .errors import NotACertificate, TooLarge
from .extraction import Extraction
from .fields import (
    COMPLETION_PHRASES,
    DATE_PHRASES,
    HOURS_PHRASES,
    INTRO_PHRASES,
    Field,
    ParsedFields,
    TextLine,
    find_phrase,
    join_wrapped,
    lines_from_text,
    parse_fields,
)
from .limits import DEFAULT_LIMITS, ReaderLimits
from .loading import Page, iter_pages
from .missed_lines import missed_rows, missed_title_line, row_duplicates, row_fragments, union_box, widened_to_row
from .known_names import is_listed_name, name_line_cost, prefer_listed_name, space_run_together
from .line_recognizer import encode, greedy, log_probs, log_probs_views
from .ocr import (
    ENGLISH_ONLY,
    MONTH_START,
    SCRIPT_LANG,
    THAI_ONLY,
    OcrUnavailable,
    detect_orientation,
    line_crop,
    line_words,
    ocr_lines,
    ocr_single_line,
)
from .person_names import leading_title
from .spelling_check import DIGIT_LOOKALIKES, TITLE_LOOKALIKES, best_spelling, likelihood
from .stacked_marks import restore_tone_over_sara_am
from .thai_dates import FULL_MONTHS, SHORT_MONTHS, find_dates
from .thai_text import (
    THAI_DIGITS,
    drop_stray_consonants,
    is_thai_char,
    is_thai_letter,
    one_letter_word_repairs,
    squash,
    thai_ratio,
    thai_word_cost,
    title_word_cost,
    title_word_costs,
)
from .twin_letters import mend_twin_letters
from .word_gaps import spaced_after_title, spaced_at_gap
from .wrapped_names import side_by_side

logger = logging.getLogger(__name__)

CORE_FIELDS = ("name", "title", "hours", "completed_on")
# A field read with less confidence than this triggers another OCR pass.
RETRY_BELOW = 0.8
LOW_CONFIDENCE = 0.6
# Line heights (px) the learner's name is re-read at for a letter-wise vote:
# at different scales Tesseract errs on different letters, which is what a
# vote needs.  Five scales outvote a letter that two of them misread; thinned
# or blurred crops added no votes that the scales did not.
NAME_READ_HEIGHTS = (20, 24, 28, 32, 36)
# Line heights of the second witness for names, Tesseract's Thai-script model.
NAME_SCRIPT_READS = (28, 36, 48)
# How much the name cost counts beside the line network's likelihood (see
# spelling_check): a swap the network likes that breaks a word ("ธรรม" to
# "รรรม") is held back.
NAME_PRIOR_WEIGHT = 2.0
TITLE_READ_HEIGHTS = (28, 36)
# How far (in line heights) ink may stand from an hours or date line's box and
# still be part of its row (see widened_to_row): TlwgTypist's word gap is 1.4.
SMALL_PRINT_REACH = 2.0
# The 0/9 check's margin (nats) for a number the line network itself reads (see _checked_digits).
SEEN_DIGITS_MARGIN = 1.0
# How much likelier (nats) the month put into a date line must be than any other month (see _with_month_filled).
MONTH_MARGIN = 3.0
# The margin by which a month the line network puts into a date line needs no day it reads as well.
SURE_MONTH_MARGIN = 10.0
# How much less likely (nats) a number with a digit the network sees and Tesseract lost may be (see _with_lost_digit).
LOST_DIGIT_SLACK = 1.0
# Letters two pieces of a row cut by layout analysis may both hold (see _joined_pieces):
# fewer could be a real repeat ("หลักการ|การสื่อสาร").
_MIN_OVERLAP, _MAX_OVERLAP = 4, 12
# The title word cost's weight beside the line network's likelihood, for title lines.
TITLE_PRIOR_WEIGHT = 2.0
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_LATIN_DIGIT = re.compile(r"[0-9]")
# A Latin word as printed in a title: "(Advanced)", "Skill)", "Google".
_LATIN_WORD = re.compile(r"[(\[]?[A-Za-z][A-Za-z'&-]+[)\]]?[.,:]?")
# How sure the English model must be of a Latin word to take it (0–100); on
# Thai letters it reads junk at 0–70.
LATIN_WORD_CONFIDENCE = 85.0


@dataclass(slots=True)
class _Reading:
    """The fields parsed from one OCR pass (or text layer) and the lines they came from."""

    fields: ParsedFields
    lines: list[TextLine]

    @property
    def quality(self) -> float:
        """How certificate-like and complete this reading is (for choosing orientation)."""
        f = self.fields
        total = sum(getattr(f, n).confidence for n in CORE_FIELDS if getattr(f, n) is not None)
        return total + 0.25 * f.anchors

    def is_certificate(self) -> bool:
        """Enough certificate wording or fields to be one."""
        return self.fields.anchors >= 2 and self.fields.found() >= 2 or self.fields.found() >= 3

    def turned(self) -> bool:
        """Most lines run down the picture: Tesseract read a page lying on its side as vertical text.

        It can, well enough to parse three fields of a page turned a quarter
        (bench 2589 web/clean_015), but not the large bold name, and the
        parser then takes the date line for it.
        """
        lines = [line for line in self.lines if line.box is not None and len(line.text) >= 5]
        return sum(line.box[3] > line.box[2] for line in lines) > len(lines) / 2

    def rank(self) -> tuple[bool, float]:
        """For choosing the orientation: a certificate read across beats any read down, then quality.

        Only a certificate: Tesseract reads some photos better down than
        across, and a page read across that is no certificate must not win
        over one that is (bench 2592 tlwg/photo_015).
        """
        return self.is_certificate() and not self.turned(), self.quality

    def complete(self) -> bool:
        """All core fields found and each sure enough that another pass would not help."""
        return all(
            getattr(self.fields, n) is not None and getattr(self.fields, n).confidence >= RETRY_BELOW
            for n in CORE_FIELDS
        )


def _vote(readings: Sequence[_Reading], attr: str) -> Field[Any] | None:
    """Pick a field's value across passes: confidences of equal values add up."""
    totals: dict[Any, float] = {}
    best_single: dict[Any, Field[Any]] = {}
    for r in readings:
        f = getattr(r.fields, attr)
        if f is None:
            continue
        key = squash(f.value) if isinstance(f.value, str) else (tuple(f.value) if isinstance(f.value, list) else f.value)
        totals[key] = totals.get(key, 0.0) + f.confidence
        if key not in best_single or f.confidence > best_single[key].confidence:
            best_single[key] = f
    if not totals:
        return None
    if attr == "hours":
        # "6.5" and "65" are one reading, its dot lost in the blur of one pass (a dot is not invented).
        for whole in [k for k in totals if any(_dot_lost(k, d) for d in totals)]:
            decimal = next(d for d in totals if _dot_lost(whole, d))
            totals[decimal] += totals.pop(whole)
    key = max(totals, key=lambda k: totals[k])
    chosen = best_single[key]
    if isinstance(chosen.value, str):
        # Same letters, different spacing: Thai OCR inserts spurious spaces far
        # more often than it drops real ones, so the variant with the fewest
        # spaces wins (for a name, never fewer than first + last).
        variants = [getattr(r.fields, attr) for r in readings if getattr(r.fields, attr) is not None]
        variants = [v for v in variants if isinstance(v.value, str) and squash(v.value) == key]
        chosen = min(variants, key=lambda v: (_space_rank(v.value, attr), -v.confidence))
    agreeing = sum(
        1 for r in readings if getattr(r.fields, attr) is not None and _same(getattr(r.fields, attr).value, chosen.value)
    )
    # Independent passes agreeing make the value surer.
    conf = 1.0 - (1.0 - chosen.confidence) ** agreeing if agreeing > 1 else chosen.confidence
    return Field(chosen.value, round(min(conf, 0.99 if agreeing > 1 else conf), 3))


def _space_rank(value: str, attr: str) -> int:
    """Rank spacing variants: names want exactly first and last part; other text the fewest spaces."""
    parts = value.split(" ")
    if attr == "name":
        title = leading_title(value)
        rest = value[len(title):].strip() if title else value
        n = len(rest.split(" "))
        return 0 if n == 2 else (1 if n > 2 else 2)
    return len(parts)


def _dot_lost(whole: Any, decimal: Any) -> bool:
    """True when hours ``whole`` reads as ``decimal`` with its decimal point dropped (65 for 6.5)."""
    if not isinstance(whole, (int, float)) or not isinstance(decimal, (int, float)) or float(decimal).is_integer():
        return False
    return float(whole).is_integer() and f"{decimal:g}".replace(".", "") == f"{int(whole)}"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return squash(a) == squash(b)
    return a == b


def _merge(readings: Sequence[_Reading]) -> _Reading:
    """Combine several passes over the same page into one reading."""
    if len(readings) == 1:
        return readings[0]
    merged = ParsedFields()
    for attr in ("name", "hours", "completed_on", "issuers"):
        setattr(merged, attr, _vote(readings, attr))
    merged.title = _vote(readings, "title")
    if merged.title is not None:
        # Kind and printed lines come from a pass that read the chosen title.
        for r in readings:
            if r.fields.title is not None and _same(r.fields.title.value, merged.title.value):
                merged.kind, merged.title_lines = r.fields.kind, r.fields.title_lines
                break
    else:
        merged.kind = _vote(readings, "kind")
    merged.anchors = max(r.fields.anchors for r in readings)
    best = max(readings, key=lambda r: r.quality)
    merged.lines, merged.sources = best.fields.lines, best.fields.sources
    return _Reading(merged, best.lines)


def _overlay(base: _Reading, second: _Reading) -> _Reading:
    """Fields of a page reading, replaced by the single-line re-reads where those parsed.

    The re-read of a line is the better witness for that line (see
    :func:`_second_look`); page-level passes share its blind spots, so they
    must not outvote it.
    """
    out = ParsedFields(
        name=base.fields.name, title=base.fields.title, kind=base.fields.kind, hours=base.fields.hours,
        completed_on=base.fields.completed_on, issuers=base.fields.issuers, anchors=base.fields.anchors,
        title_lines=base.fields.title_lines, lines=second.fields.lines, sources=base.fields.sources,
    )
    s = second.fields
    if s.name is not None:
        out.name = s.name
    # Hours and dates are re-read only when unsure; the re-read wins only if no less sure.
    # A sure line the network only checked keeps its confidence: a digit it mended
    # ("29" to "20") must win the tie.
    for attr in ("hours", "completed_on"):
        mine, theirs = getattr(out, attr), getattr(s, attr)
        if theirs is None or (mine is not None and _dot_lost(theirs.value, mine.value)):
            continue
        if mine is None or theirs.confidence >= mine.confidence or _dot_lost(mine.value, theirs.value):
            setattr(out, attr, theirs)
    if s.title is not None:
        out.title, out.kind, out.title_lines = s.title, s.kind, s.title_lines
    return _Reading(out, second.lines)


# --- OCR of one page image -----------------------------------------------------------------


def _prepare(rgb: np.ndarray, quad: np.ndarray | None) -> np.ndarray:
    """Flatten the sheet bounded by ``quad`` (or cut UI bars when there is none), then grey with even light."""
    rgb = pre.warp_page(rgb, quad) if quad is not None else pre.crop_ui_bars(rgb)
    return pre.remove_rules(pre.normalize_light(pre.text_gray(rgb)))


def _upright(gray: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate by a quarter turn, then remove residual skew."""
    g = pre.rotate_quarter(gray, rotation)
    angle = pre.estimate_skew(g)
    if abs(angle) >= 0.4:
        g = pre.rotate_small(g, angle)
    return g


def _read_gray(gray: np.ndarray, *, psm: int = 3) -> tuple[_Reading, np.ndarray]:
    scaled = pre.scale_for_ocr(gray)
    lines = ocr_lines(scaled, psm=psm)
    return _Reading(parse_fields(lines), lines), scaled


def _joined_pieces(left: str, right: str) -> str:
    """Two pieces of one printed row, without the word both read where layout analysis cut it.

    The cut can fall inside a word, and both pieces then hold it
    ("…ดิจิทัลเพื่อ" | "เพื่อการวิเคราะห์…").
    """
    for k in range(min(len(left), len(right), _MAX_OVERLAP), _MIN_OVERLAP - 1, -1):
        if left.endswith(right[:k]) and all(is_thai_char(c) for c in right[:k]):
            return left + right[k:]
    return left + right


def _second_look(reading: _Reading, scaled: np.ndarray) -> _Reading | None:
    """Re-read the lines that hold fields, one at a time, and parse again.

    Names and titles must come out letter-perfect, and they are printed
    big: page-level OCR loses their stacked upper marks more often than a
    single-line read of a padded crop does.  Hours and date lines are
    re-read only when unsure.
    """
    f = reading.fields
    name_lines = set(f.sources.get("name", []))
    if f.name is None:
        # The name line was read as junk: it sits between the intro and the completion phrase.
        intro = find_phrase(f.lines, INTRO_PHRASES, threshold=0.8)
        if intro is not None:
            done = find_phrase(f.lines, COMPLETION_PHRASES, threshold=0.8, start=intro.index + 1)
            stop = done.index if done is not None else min(len(f.lines), intro.index + 3)
            name_lines |= set(range(intro.index + 1, min(stop, intro.index + 3)))
    title_lines = set(f.sources.get("title", []))
    targets = name_lines | title_lines
    unread_date_line = None  # the line most like the date's wording, when no date parsed
    for key, phrases in (("hours", HOURS_PHRASES), ("completed_on", DATE_PHRASES)):
        value = getattr(f, key)
        if value is None or value.confidence < RETRY_BELOW:
            targets |= set(f.sources.get(key, []))
        if value is None:
            # Not parsed at all: re-read the line that looks most like its wording.
            hit = find_phrase(f.lines, phrases, threshold=0.55)
            if hit is not None:
                targets.add(hit.index)
                if key == "completed_on":
                    unread_date_line = hit.index
    if f.completed_on is None:
        # The date is printed under the hours; small serif print can come back as
        # Latin junk no phrase matches ("ให้[วั ณ TUN 7 B.A. 64"), which a re-read mends.
        targets |= {i + 1 for i in f.sources.get("hours", []) if i + 1 < len(f.lines)}
    # Hours and dates read with confidence may still hold a digit misread on a
    # heavy face (Mitr's 0 as 9: "20" as "29"): the line network checks them.
    digit_lines = {i for key in ("hours", "completed_on") for i in f.sources.get(key, []) if 0 <= i < len(f.lines)}
    check_only = digit_lines - targets
    hours_lines = set(f.sources.get("hours", []))
    date_lines = set(f.sources.get("completed_on", []))
    targets |= digit_lines
    lines = list(f.lines)
    changed = False
    merged: set[int] = set()
    # A name printed over two lines (title and given name, then the family name): its lines' indices.
    sources = sorted(f.sources.get("name", []))
    wrapped = (sources[0], sources[1]) if len(sources) == 2 and sources[1] == sources[0] + 1 else None
    given_crop: np.ndarray | None = None
    for i in sorted(targets):
        if not (0 <= i < len(lines)) or lines[i].box is None or i in merged:
            continue
        if i in title_lines:
            # A title line layout analysis cut in two: each piece's crop, widened,
            # shows some of the other's letters, and the title would hold them twice.
            # Pieces are looked for again beside the joined box: a row cut in three
            # has its third piece beside the second, not the first.
            pieces = [j for j in row_fragments(lines, i, among=title_lines) if j not in merged and j > i]
            while pieces:
                j = pieces[0]
                left, right = sorted((lines[i], lines[j]), key=lambda line: line.box[0])
                text = _joined_pieces(left.text, right.text)
                lines[i] = TextLine(text, lines[i].confidence, lines[i].height, union_box(lines[i].box, lines[j].box))
                merged.add(j)
                changed = True
                pieces = [j for j in row_fragments(lines, i, among=title_lines) if j not in merged and j > i]
            twice = [j for j in row_duplicates(lines, i, among=title_lines) if j not in merged]
            if twice:
                merged.update(twice)
                changed = True
        if i in name_lines:
            for j in row_fragments(lines, i):
                lines[i] = TextLine(lines[i].text, lines[i].confidence, lines[i].height, union_box(lines[i].box, lines[j].box))
                merged.add(j)
                changed = True
        if i in name_lines or i in digit_lines or i == unread_date_line:
            # Layout analysis may also leave out a date line's year ("…พฤษภาคม 33"
            # for "…พฤษภาคม พ.ศ. 2567"): such a line is re-read, not only checked.
            wide = widened_to_row(scaled, lines[i].box, reach=1.0 if i in name_lines else SMALL_PRINT_REACH)
            if wide != lines[i].box:
                lines[i] = dataclasses.replace(lines[i], box=wide)
                check_only.discard(i)
                changed = True
        above = below = None
        for other in f.lines:
            if other.box is None or other is lines[i] or other.confidence < 0.6 or thai_ratio(other.text) < 0.5:
                continue  # debris (marks split off, decoration) is no neighbour to stop at
            ox, oy, ow, oh = other.box
            x, y, w, h = lines[i].box
            if min(x + w, ox + ow) <= max(x, ox):
                continue  # not in the same column
            if oh < 0.6 * h and other.confidence < 0.9:
                continue  # a thin "line" of marks split off a big line is part of it
            if oy + oh <= y + 0.3 * h:
                above = max(above or 0, oy + oh)
            elif oy >= y + 0.7 * h:
                below = min(below or 10**9, oy)
        crop = line_crop(scaled, lines[i].box, above=above, below=below)
        if crop is None:
            continue
        h = lines[i].box[3]
        if wrapped is not None and i == wrapped[0]:
            given_crop = crop  # read with the family name's line, next
            continue
        if wrapped is not None and i == wrapped[1] and given_crop is not None:
            # A name printed over two lines is read as the one line it stands for (see wrapped_names).
            first = wrapped[0]
            h = max(h, lines[first].box[3])
            whole = side_by_side(given_crop, crop, h)
            again = _read_name_line(whole, h, f"{lines[first].text} {lines[i].text}") if whole is not None else None
            if again is not None:
                box = union_box(lines[first].box, lines[i].box)
                lines[first] = dataclasses.replace(again, height=lines[first].height, box=box)
                merged.add(i)
                changed = True
            continue
        if i in check_only:
            again = lines[i]
        elif i in name_lines:
            again = _read_name_line(crop, h, lines[i].text)
        elif i in title_lines:
            again = _read_title_line(crop, h, lines[i])
        else:
            again = _thai_line(crop, h)
            if again is not None and i == unread_date_line and not again.thai_digits and not find_dates(again.text):
                again = dataclasses.replace(again, text=_with_day_filled(crop, again.text))
        # Thai digits reach the text as the digit classifier's Latin ones, and the
        # network's 0/9 check on "๑๐" "mended" 10 to 19: a line flagged as Thai
        # print is checked only where the network reads Latin digits in it.
        if again is not None and i in digit_lines and _LATIN_DIGIT.search(again.text):
            if again.thai_digits:
                checked = _checked_flagged_digits(crop, again.text, lines[i].text)
            else:
                checked = _checked_digits(crop, again.text, lines[i].text, lost_digits=True)
            again = dataclasses.replace(again, text=checked)
        if again is not None and i in hours_lines and not again.thai_digits and _LATIN_DIGIT.search(again.text):
            again = dataclasses.replace(again, text=with_point_seen(crop, again.text, _scorable(again.text)))
        # A date line the page reading parsed may re-read without a date all the same
        # (its box widened over the year, "ดุฉาคม พ.ศ. 2565"): mended the same way.
        undated = i == unread_date_line or i in date_lines
        if again is not None and undated and not find_dates(again.text):
            again = dataclasses.replace(again, text=_with_month_filled(crop, again.text))
        if again is not None and undated and not find_dates(again.text):
            again = dataclasses.replace(again, text=_with_impossible_day_mended(crop, again.text))
        if again is not None:
            again = dataclasses.replace(again, height=lines[i].height, box=lines[i].box)
        if again is not None and again.text != lines[i].text:
            lines[i] = again
            changed = True
    missed, fragments = missed_title_line(lines, f, scaled) or (None, [])
    last_title = lines[max(set(f.sources["title"]) - merged)] if missed is not None else None
    merged.update(fragments)
    lines = [line for k, line in enumerate(lines) if k not in merged]
    if missed is not None:
        lines.insert(next(k for k, line in enumerate(lines) if line is last_title) + 1, missed)
        changed = True
    if not changed:
        return None
    return _Reading(parse_fields(lines), lines)


def _day_fills(text: str) -> list[str]:
    """``text`` with each day 1–31 put between "วันที่" and the month word, where no number stands there.

    A thin Latin 1 set close to "ที่" is read as part of it ("วันที] พฤษภาคม").
    """
    m = _DAY_GAP.search(text)
    if m is None:
        return []
    return [f"{text[:m.start(1)]} {day} {text[m.end(1):].lstrip()}" for day in range(1, 32)]


def _with_day_filled(crop: np.ndarray, text: str) -> str:
    """``text`` of a date line whose day was not read, with the day the line network sees there.

    The day must be likeliest among all 31, clearly likelier than the line
    as read, and in the network's own reading of the line: a day cut off the
    picture is not made up.  A line with a day is left alone: a look-alike
    swap here once "mended" a day read right ("13" to "15", on Niramit).
    Strokes alone where the day stands are 1s, seen or not.
    """
    fills = _day_fills(text)
    if not fills:
        return text
    # Strokes alone where the day stands ("วันที่] ตุลาคม") are thin 1s, as many
    # as Tesseract saw: the network may read one as a mark, or two as one.
    strokes = _DAY_GAP.search(text).group(1).strip()
    if strokes and len(strokes) <= 2 and set(strokes) <= _ONE_STROKES:
        return fills[int("1" * len(strokes)) - 1]
    filled = best_spelling(crop, text, fills, swaps=DIGIT_LOOKALIKES)
    return filled if filled != text and _numbers_seen(crop, text, filled) else text


def _with_impossible_day_mended(crop: np.ndarray, text: str) -> str:
    """``text`` of a date line whose day is no day ("50"), with the day the line network reads there.

    Niramit's 3 reads as 5 ("30" as "50"), and the line then holds no date at
    all.  The network's own numbers are no evidence against a number that
    could be right (on the bench they broke more than they mended), but
    against one that cannot be, the day it reads is taken, when its other
    numbers agree with the line's.
    """
    lp = log_probs(crop)
    if lp is None:
        return text
    ours, theirs = _DIGIT_RUN.findall(text), _DIGIT_RUN.findall(greedy(lp))
    if len(ours) != 2 or len(theirs) != 2 or ours[1] != theirs[1]:
        return text
    if 1 <= int(ours[0]) <= 31 or not 1 <= int(theirs[0]) <= 31:
        return text
    mended = _DIGIT_RUN.sub(theirs[0], text, count=1)
    return mended if find_dates(mended) else text


def _with_month_filled(crop: np.ndarray, text: str) -> str:
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
            score = likelihood(views, _scorable(candidate))
            if month not in by_month or score > by_month[month][0]:
                by_month[month] = (score, candidate)
    ranked = sorted(by_month.values(), reverse=True)
    (best, filled), (second, _) = ranked[0], ranked[1]
    if best < second + MONTH_MARGIN or not find_dates(filled):
        return text
    if _numbers_seen(crop, "", m.group(1)):
        return filled
    # A face whose digits the network misreads ("10" as "6ด") may still show it
    # the month beyond doubt ("ก.ย." read "ภุย.", 16 nats ahead of "พ.ย."); the
    # day read must then fit no worse than each day the network reads instead.
    if best < second + SURE_MONTH_MARGIN:
        return text
    for day in _DIGIT_RUN.findall(greedy(views[0])):
        if 1 <= int(day) <= 31 and likelihood(views, _scorable(filled[:m.start(1)] + day + filled[m.end(1):])) > best:
            return text
    return filled


def _numbers_seen(crop: np.ndarray, before: str, after: str) -> bool:
    """Whether every number ``after`` has and ``before`` lacks shows in the line network's own reading of ``crop``."""
    lp = log_probs(crop)
    seen = set(_DIGIT_RUN.findall(greedy(lp))) if lp is not None else set()
    return set(_DIGIT_RUN.findall(after)) - set(_DIGIT_RUN.findall(before)) <= seen


def _stray_digits(text: str) -> list[str]:
    """``text`` without one digit of a three-digit number, or of two after a point: a stroke or bracket Tesseract took for one.

    Mostly a 1 ("214" for 24), on a heavy face a 9 ("309" for 30), a 0 in a
    monospace face's wide point ("3.05" for 3.5).  No day, month or year has
    three digits, hardly any course that many hours, and hours come in
    halves; the line network judges which digit, if any, is not printed.
    """
    out = []
    for run in _DIGIT_RUN.finditer(text):
        after_point = run.start() >= 2 and text[run.start() - 1] == "." and text[run.start() - 2].isdigit()
        if len(run.group()) != (2 if after_point else 3):
            continue
        for k in range(run.start(), run.end()):
            out.append(text[:k] + text[k + 1:])
    return list(dict.fromkeys(out))


def _checked_flagged_digits(crop: np.ndarray, text: str, page_text: str = "") -> str:
    """``text`` of a line flagged as showing Thai digits, checked as Latin print where the line network reads Latin digits.

    The flag also marks a Latin line whose "]8" or "2ณ" the digit classifier
    mended: there the network reads as many numbers as the text holds.
    A change must show in the network's own reading: on the 495 such checks
    of draws 2597-2600 the one it made unseen was wrong (๙ read 9, "mended" to 0).
    Thai print is left as the classifier read it: the shipped
    network never learnt Thai digits, and one retrained on them judged them
    no better than the classifier on the bench.
    """
    lp = log_probs(crop)
    if lp is None or not _reads_latin_numbers(greedy(lp), text):
        return text
    checked = _checked_digits(crop, text, page_text)
    # The network may read Thai print as some Latin number ("๑๐" as "ล3") and
    # still favour a swap ("10" to "19"): here it must read the new number itself.
    return checked if checked == text or _numbers_seen(crop, text, checked) else text


def _reads_latin_numbers(network_read: str, text: str) -> bool:
    """Whether the line network reads the numbers of ``text`` as Latin print: as many, and no Thai digit.

    On Thai print it reads a stray Latin digit or none ("๒๙ … ๒๕๖๖" as "ผ … ษละ3").
    """
    if any(ch in THAI_DIGITS for ch in network_read) or not _LATIN_DIGIT.search(network_read):
        return False
    return len(_DIGIT_RUN.findall(network_read)) == len(_DIGIT_RUN.findall(text))


def _digit_symbols(text: str) -> list[str]:
    """``text`` with a symbol glued to a number read as each digit in turn ("3@" for 30).

    Tesseract takes a heavy or blurred digit for a symbol ("@", "]"); a
    symbol right against a digit is no part of a date or hours, so the line
    network judges which digit it was, if any.
    """
    out = []
    for k, ch in enumerate(text):
        if ch in _DIGIT_SYMBOLS and ((k > 0 and text[k - 1].isdigit()) or (k + 1 < len(text) and text[k + 1].isdigit())):
            out += [text[:k] + d + text[k + 1:] for d in "0123456789"]
    return out


def _decimal_points(text: str) -> list[str]:
    """``text`` with a point put back before the last digit of a two- or three-digit number ("65" for 6.5).

    Certificates give half hours ("6.5 ชั่วโมง"), and the point is small
    enough for Tesseract to lose; the line network judges whether it is printed.
    """
    return [text[: m.end() - 1] + "." + text[m.end() - 1:] for m in WHOLE_NUMBER.finditer(text)]


def _digit_repairs(text: str) -> list[str]:
    """Candidate readings of a digit line beyond the look-alike swaps, for the line network to judge."""
    return list(dict.fromkeys(_stray_digits(text) + _digit_symbols(text) + _decimal_points(text)))


def _numbers_replaced(text: str, numbers: Sequence[str]) -> str:
    """``text`` with its digit runs replaced, in order, by ``numbers`` (as many)."""
    replacements = iter(numbers)
    return _DIGIT_RUN.sub(lambda _: next(replacements), text)


def _with_numbers_of(text: str, other: str) -> list[str]:
    """``text`` with its numbers as ``other`` reads them, when both show as many ([] when no different).

    The page reading of a line may hold a digit its re-read lost ("27" re-read
    as "2ณ"); whichever the line network finds likelier stands.
    """
    ours, theirs = _DIGIT_RUN.findall(text), _DIGIT_RUN.findall(other)
    if len(ours) != len(theirs) or ours == theirs:
        return []
    return [_numbers_replaced(text, theirs)]


def _scorable(text: str) -> str:
    """``text`` as the line network can spell it: brackets as parentheses, Latin letters and other symbols left out.

    A symbol against a digit stays: it may be the digit (see :func:`_digit_symbols`).
    """
    out = []
    for k, ch in enumerate(text):
        against_digit = (k > 0 and text[k - 1].isdigit()) or (k + 1 < len(text) and text[k + 1].isdigit())
        if not (ch in _DIGIT_SYMBOLS and against_digit):
            ch = ch.translate(_AS_PARENTHESES)
        if ch.isspace() or (ch in _DIGIT_SYMBOLS and against_digit) or encode(ch) is not None:
            out.append(ch)
    return "".join(out)


def _with_lost_digits(text: str, network_read: str) -> list[str]:
    """``text`` with its numbers as the line network reads them where that only adds a digit Tesseract lost ("1" for 11).

    A thin Latin 1 beside another digit is the digit Tesseract loses most
    (read "1", "]]" or "71" for 11; "3)" for 31).
    """
    ours, theirs = _DIGIT_RUN.findall(text), _DIGIT_RUN.findall(network_read)
    out = []
    # The network may read a number more than Tesseract, from a bracket ("ชม.9" for "ชม.)"):
    # each choice of its numbers, in order, is matched against ours.
    for chosen in itertools.combinations(theirs, len(ours)):
        lost = [b if len(b) == len(a) + 1 and any(b[:k] + b[k + 1:] == a for k in range(len(b))) else a
                for a, b in zip(ours, chosen)]
        if lost != ours:
            out.append(_numbers_replaced(text, lost))
    return list(dict.fromkeys(out))


def _checked_digits(crop: np.ndarray, text: str, page_text: str = "",
                    swaps: tuple[tuple[str, str], ...] = DIGIT_LOOKALIKES, lost_digits: bool = False) -> str:
    """``text`` with a digit the line network finds misread mended (Mitr's 0 reads as 9: "20" as "29").

    Candidates: look-alikes swapped (``swaps``: 0/9), a stray digit
    dropped, a symbol read as a digit, a lost point put back
    (:func:`_digit_repairs`) and the numbers of the page reading
    ``page_text`` (:func:`_with_numbers_of`); with ``lost_digits`` (lines
    printed in Latin digits), a digit the network reads and Tesseract lost
    (:func:`_with_lost_digit`).  A line holding what the network cannot
    spell (brackets, Latin junk for "พ.ศ.") is checked for a lost digit only,
    scored without what it cannot spell.
    A number the network's own reading of the line also shows needs less
    margin: its likelihood is summed over a whole line it may read poorly
    elsewhere, while its digits are sharp ("19" scored 2.6 nats worse than
    the "10" it read).  The page reading's numbers are taken only so.
    """
    scorable = _scorable(text)
    if scorable != text:
        # Scored as the network can spell it, and only its numbers taken back;
        # only a lost digit: the swaps, scored so, took 5 for 3 on two pages
        # in Latin print and mended none.
        if not lost_digits or not scorable:
            return text
        return (_with_numbers_of(text, _with_lost_digit(crop, scorable)) or [text])[0]
    page = _with_numbers_of(text, page_text)
    checked = best_spelling(crop, text, page, swaps=swaps, repairs=_digit_repairs, margin=SEEN_DIGITS_MARGIN)
    if checked != text and not _numbers_seen(crop, text, checked):
        # The page reading's numbers only where the network sees them: on Thai print
        # it has no digits to see, and took the page's "9&" for a right "๑๕".
        checked = best_spelling(crop, text, [], swaps=swaps, repairs=_digit_repairs)
    if lost_digits and checked == text:
        checked = _with_lost_digit(crop, text)
    return checked


def _with_lost_digit(crop: np.ndarray, text: str) -> str:
    """``text`` with a digit put back that the line network reads and Tesseract lost or took for a symbol, else ``text``.

    The network's best path shows the digit, yet its likelihood summed over
    all paths may favour the shorter number by a hair (a thin 1 beside
    another: "11" scored 0.2 nats below "1"): nearly as likely is enough.
    """
    views = log_probs_views(crop)
    if not views:
        return text
    network_read = greedy(views[0])
    # A thin 1 read as a symbol beside its digit ("2)" for 21) is put back the same way.
    seen = _DIGIT_RUN.findall(network_read)
    as_seen = [c for c in _digit_symbols(text) if _DIGIT_RUN.findall(c) == seen]
    for candidate in _with_lost_digits(text, network_read) + as_seen:
        if likelihood(views, candidate) > likelihood(views, text) - LOST_DIGIT_SLACK:
            return candidate
    return text


def _thai_line(crop: np.ndarray, box_height: int, **kw: Any) -> TextLine | None:
    """A single-line read of a line printed all in Thai (name, hours, date).

    Latin letters in it are Thai glyphs the English model took ("พ.ค." read
    as "wa."): such a line is read again with the Thai model alone.
    """
    line = ocr_single_line(crop, box_height, **kw)
    if line is not None and _LATIN_LETTER.search(line.text):
        thai = ocr_single_line(crop, box_height, lang=THAI_ONLY, **kw)
        if thai is not None and not _LATIN_LETTER.search(thai.text):
            return TextLine(_keep_digits(thai.text, line.text), thai.confidence, thai.height, thai.box,
                            thai.thai_digits or line.thai_digits)
    return line


_DIGIT_RUN = re.compile(r"\d+")
# A day, what stands where its month should (no digit run of its own), and the year with its era maybe.
# The era may be misread too ("ตุฉาคม พุต. 2565"): then it is part of what is replaced.
_MONTH_GAP = re.compile(r"(?<!\d)(\d{1,2})\s*(\S[^\n]{0,13}?)\s*(?=(?:[พค]\s*\.?\s*ศ\s*\.?\s*)?(?:\d{4}|\d{2})(?!\d))")
# What stands between "วันที่" (its mark may be lost) and the month word when it holds no digit.
_DAY_GAP = re.compile(rf"(?:วันที่|วันที|วนที่|วันทึ)(\D{{0,3}}?)(?=\s*{MONTH_START})")
# Symbols Tesseract makes of a digit it cannot read (a heavy 0 as "@", a flagged 1 as "]", a thin 1 as ")").
_DIGIT_SYMBOLS = frozenset("@&$%#?!|[]{}()°©®§")
# What Tesseract makes of a thin Latin 1 standing alone.
_ONE_STROKES = frozenset("]|[)!lI")
# Brackets some faces' parentheses come back as; the line network knows only "(" and ")".
_AS_PARENTHESES = str.maketrans("[]{}", "()()")


def _keep_digits(thai_read: str, mixed_read: str) -> str:
    """The Thai-only reading with the digits of the Thai+English one, where their numbers line up.

    The Thai model misreads Latin digits ("2564" as "2566") that the English
    model reads right; Thai digits are classified separately in both.
    """
    ours, theirs = _DIGIT_RUN.findall(thai_read), _DIGIT_RUN.findall(mixed_read)
    if len(ours) != len(theirs) or any(len(a) != len(b) for a, b in zip(ours, theirs)):
        return thai_read
    return _numbers_replaced(thai_read, theirs)


def _read_name_line(crop: np.ndarray, box_height: int, page_text: str) -> TextLine | None:
    """The learner's name from its line crop, read at five scales and settled letter by letter.

    No list holds every name: the letter vote decides, and where the
    readings disagree a letter that makes the line read more like a name (a
    title, listed or word-like parts, possible spelling) may outvote the
    majority, by a word piece for each vote it trails by.  The name lists
    only choose among readings (``prefer_listed_name``).
    """
    reads = [r for r in (_thai_line(crop, box_height, target_height=t) for t in NAME_READ_HEIGHTS) if r is not None]
    text = consensus_by_words([r.text for r in reads], name_line_cost, vote_cost=1.0)
    if not text:
        return None
    script = _script_reads(crop, box_height)
    text = _second_opinion(text, [r.text for r in reads], script)
    # Readings that disagree with the vote may hold the listed spelling of a part.
    others = [page_text] + [r.text for r in reads] + script
    text = restore_tone_over_sara_am(prefer_listed_name(text, others), crop)
    # Letters every reading got wrong alike: the line network may spot them.
    text = best_spelling(crop, text, others, prior=name_line_cost, weight=NAME_PRIOR_WEIGHT, network_letters=True,
                         vouched=is_listed_name)
    text = mend_twin_letters(text, crop)
    text = spaced_after_title(crop, spaced_at_gap(crop, space_run_together(text)))
    sure = any(r.text == text for r in reads)
    conf = max(r.confidence for r in reads) if sure else min(r.confidence for r in reads)
    return TextLine(text, conf, float(box_height))


def _read_title_line(crop: np.ndarray, box_height: int, page_line: TextLine) -> TextLine | None:
    """A line of the course title: the page reading and two re-reads vote letter by letter.

    Where they disagree, the option spelling real words wins (titles are made
    of words); then the line network checks the spelling (``spelling_check``).
    """
    reads = [r for r in (ocr_single_line(crop, box_height, target_height=t) for t in TITLE_READ_HEIGHTS) if r]
    readings = [page_line.text] + [r.text for r in reads]
    text = consensus_by_words(readings, thai_word_cost)
    if not text:
        return None
    # A title not in the catalog is kept as printed: a letter misread alike in
    # every reading ("ภาครัช", "ยุด" for "ยุค") would stay, and the network may
    # spot it.  Its prior weighs how rare each word is, since such misreads
    # are often real but rare words.  A letter misread into no look-alike
    # ("รุ่แที่") leaves a piece that is no word: its one-letter repairs are candidates too.
    text = best_spelling(crop, text, readings, prior=title_word_cost, weight=TITLE_PRIOR_WEIGHT,
                         swaps=TITLE_LOOKALIKES, repairs=one_letter_word_repairs, words=title_word_costs)
    text = _latin_words(crop, text)
    return TextLine(text, max([page_line.confidence] + [r.confidence for r in reads]), float(box_height))


# A Thai word and the number printed after it ("รุ่นที่12", "ไทยแลนด์4.0").
_THAI_THEN_NUMBER = re.compile(r"[\u0e01-\u0e4e.]+\d+(?:\.\d+)?")


def _is_garbled_latin(word: str) -> bool:
    """A word holding Latin letters, or Thai mixed with other print: how ``tha+eng`` reads a Latin word.

    Not Thai with a dot or a number after it: "ก.พ.", "รุ่นที่2", "รุ่นที่12"
    are printed so.  Thai with digits elsewhere is ("810020ทลไท" for "Blockchain").
    """
    thai = any(is_thai_letter(c) for c in word)
    other = any(not is_thai_letter(c) and c not in ".," and not c.isdigit() for c in word)
    digits = sum(c.isdigit() for c in word)
    numbered = _THAI_THEN_NUMBER.fullmatch(word) is not None
    return bool(_LATIN_LETTER.search(word)) or (thai and (other or (digits >= 2 and not numbered)))


def _latin_words(crop: np.ndarray, text: str) -> str:
    """``text`` with its Latin words as Tesseract's English model reads them, where it is sure of each.

    ``tha+eng`` reads a Latin word in a Thai line as junk ("(Advanced)" as
    "(4ลก00@)", "(Analytical Skill)" as "(เกลlyt09 Skill)"), and the line
    network has no Latin letters to mend it with.  The English model reads
    such words surely and Thai ones as junk it is unsure of; its sure Latin
    words replace the garbled words one for one, when there are as many.
    """
    words = text.split(" ")
    garbled = [i for i, w in enumerate(words) if _is_garbled_latin(w)]
    if not garbled:
        return text
    try:
        english = [w for w, conf in line_words(crop, ENGLISH_ONLY)
                   if conf >= LATIN_WORD_CONFIDENCE and _LATIN_WORD.fullmatch(w)]
    except OcrUnavailable:
        return text
    if len(english) != len(garbled):
        return text
    for i, w in zip(garbled, english):
        words[i] = w
    return " ".join(words)


def _second_opinion(voted: str, reads: list[str], script: list[str]) -> str:
    """The name as the Thai-script model reads it, where ``tha`` is unsure and that reads clearly more like a name.

    The two models fail on different faces: on heavy loopless faces (Mitr,
    Kanit) ``tha`` takes "น" for "พ" and "ธ" for "ร" where the script model
    reads them right, and the other way round elsewhere.  When all of
    ``tha``'s readings agree, they stand.  Otherwise the script model's own
    vote, spaced like the ``tha`` vote (it spaces clusters, not words), is
    taken when it costs more than a word piece less as a name.
    """
    if all(squash(r) == squash(voted) for r in reads):
        return voted
    alternative = consensus_by_words(script, name_line_cost, vote_cost=1.0)
    if not alternative or squash(alternative) == squash(voted):
        return voted
    alternative = respace(alternative, voted)
    return alternative if name_line_cost(alternative) + 1.0 < name_line_cost(voted) else voted


def _script_reads(crop: np.ndarray, box_height: int) -> list[str]:
    """The name line read by the Thai-script model (empty when its data is not installed)."""
    out = []
    for t in NAME_SCRIPT_READS:
        try:
            r = ocr_single_line(crop, box_height, target_height=t, lang=SCRIPT_LANG)
        except OcrUnavailable:
            return []
        if r is not None:
            out.append(r.text)
    return out


def _rotation_order(gray: np.ndarray) -> list[int]:
    """Quarter turns to try, most likely first: OSD's guess, then by page shape."""
    osd = detect_orientation(gray)
    h, w = gray.shape[:2]
    # Certificates are mostly portrait: a landscape picture is more likely turned.
    by_shape = [0, 180, 90, 270] if h >= w else [90, 270, 0, 180]
    if osd is None:
        return by_shape
    first, flipped = osd.rotate, (osd.rotate + 180) % 360
    # OSD confuses a page with its upside-down self more often than with a quarter turn.
    return [first, flipped] + [r for r in by_shape if r not in (first, flipped)]


def _ocr_page(img_rgb: np.ndarray) -> _Reading:
    """OCR one page picture, flattened along the sheet's outline when one is found.

    The outline search can take a decoration or the frame's edge for a side
    of the sheet (a screenshot letterboxed in black, a sheet running off the
    photo); the warp then squeezes the text until little of it reads.  So
    when the flattened page leaves a field unread or unsure, the picture is
    read as it is as well, and the reading with more fields wins, then the
    surer one: a squeezed page can still yield four fields of junk.
    """
    quad = pre.find_page_quad(img_rgb)
    if quad is None:
        return _ocr_gray(_prepare(img_rgb, None))
    try:
        warped = _ocr_gray(_prepare(img_rgb, quad))
    except NotACertificate:
        return _ocr_gray(_prepare(img_rgb, None))
    if warped.complete():
        return warped
    try:
        flat = _ocr_gray(_prepare(img_rgb, None))
    except NotACertificate:
        return warped
    return max((warped, flat), key=lambda r: (r.is_certificate(), r.fields.found(), r.quality))


def _ocr_gray(gray: np.ndarray) -> _Reading:
    """OCR a prepared page: orientation search, then extra passes while fields are unsure."""
    if pre.is_blank(gray):
        raise NotACertificate("blank page")
    best: _Reading | None = None
    best_gray: np.ndarray | None = None
    best_scaled: np.ndarray | None = None
    for i, rotation in enumerate(_rotation_order(gray)):
        g = _upright(gray, rotation)
        reading, scaled = _read_gray(g)
        if len(reading.lines) < 3 and reading.fields.found() == 0:
            # Layout analysis can take a whole page for a picture (a frame and
            # big diagonal bands round clean print: bench 2593 tlwg/pdf_002
            # read as one "@"); sparse-text mode looks for text anywhere.
            sparse, sparse_scaled = _read_gray(g, psm=11)
            if sparse.rank() > reading.rank():
                reading, scaled = sparse, sparse_scaled
        if best is None or reading.rank() > best.rank():
            best, best_gray, best_scaled = reading, g, scaled
        if reading.is_certificate() and reading.fields.found() >= 3 and not reading.turned():
            break
        if i == 1 and best.fields.anchors == 0 and best.fields.found() == 0 and len(best.lines) < 3:
            break  # hardly any text either way up: a photo of something else
    assert best is not None and best_gray is not None and best_scaled is not None
    best = _without_name_above_intro(best)
    if not best.is_certificate():
        if best.fields.found() < 2:
            return best
        # Some fields but too little wording: faint or small print that the
        # other passes may read (psm 4 keeps lines layout analysis dropped).
        for variant in _extra_passes(best_gray):
            reading, scaled = variant()
            if reading.is_certificate() and reading.quality > best.quality:
                best, best_scaled = reading, scaled
                break
        if not best.is_certificate():
            return best
    second = _second_look(best, best_scaled)
    if second is not None:
        best = _overlay(best, _without_name_above_intro(second))
    if best.fields.found() == 4:
        return best
    # Lines that layout analysis never found (faint, small print in a photo)
    # are read one by one from the rows of ink no found line covers.
    best = _fill_missing(best, _without_name_above_intro(_with_missed_rows(best, best_scaled)))
    if best.fields.found() == 4:
        return best
    readings = [best]
    # A field still missing: other passes may see it (a larger scale helps
    # small chat-app text; psm 4 reads the page as one column of lines).
    # They only fill gaps: page-level passes share the blind spots the
    # single-line re-reads corrected, so they must not outvote those.
    for variant in _extra_passes(best_gray):
        reading, scaled = variant()
        if best.fields.name is None and reading.fields.name is not None:
            # A name only this pass found (gold print in a photo) is read as names are.
            again = _second_look(reading, scaled)
            if again is not None:
                reading = _overlay(reading, again)
        readings.append(_without_name_above_intro(reading))
        best = _fill_missing(best, _merge(readings))
        if best.fields.found() == 4:
            break
    return best


def _without_name_above_intro(reading: _Reading) -> _Reading:
    """The reading without its name when that was taken from above the intro phrase.

    The learner is named after "…เพื่อแสดงว่า"; with the name row unread the
    parser falls back on the line above, which is then the issuer
    ("สำนักงาน ก.พ.").  Dropped only once the orientation is chosen (there the
    wrong name still counts as a field, or a page turned the other way could
    win on the fields it parses): the re-reads and later passes look for the name.
    """
    f = reading.fields
    source = f.sources.get("name", [])
    if f.name is None or not source:
        return reading
    intro = find_phrase(f.lines, INTRO_PHRASES, threshold=0.8)
    if intro is None or max(source) >= intro.index:
        return reading
    fields = dataclasses.replace(f, name=None, sources={k: v for k, v in f.sources.items() if k != "name"})
    return _Reading(fields, reading.lines)


def _with_missed_rows(reading: _Reading, scaled: np.ndarray) -> _Reading:
    """The reading with every row of ink that none of its lines covers read as a line of its own."""
    found = missed_rows(reading.lines, scaled)
    if not found:
        return reading
    lines = sorted(list(reading.lines) + found, key=lambda line: line.box[1] if line.box else 0)
    return _Reading(parse_fields(lines), lines)


def _fill_missing(first: _Reading, voted: _Reading) -> _Reading:
    """Keep every field the first reading has; take the vote's for the ones it lacks."""
    out = ParsedFields(**{k: getattr(first.fields, k) for k in first.fields.__slots__})
    for attr in ("name", "hours", "completed_on", "issuers"):
        if getattr(out, attr) is None:
            setattr(out, attr, getattr(voted.fields, attr))
    if out.title is None and voted.fields.title is not None:
        out.title, out.kind, out.title_lines = voted.fields.title, voted.fields.kind, voted.fields.title_lines
    return _Reading(out, first.lines)


def _extra_passes(gray: np.ndarray) -> list[Callable[[], tuple[_Reading, np.ndarray]]]:
    """Other page reads, each giving its reading and the scaled image its line boxes refer to."""

    def larger() -> tuple[_Reading, np.ndarray]:
        scaled = pre.scale_for_ocr(gray, int(pre.TARGET_PAGE_SIDE * 1.3))
        lines = ocr_lines(scaled, psm=3)
        return _Reading(parse_fields(lines), lines), scaled

    def column() -> tuple[_Reading, np.ndarray]:
        return _read_gray(gray, psm=4)

    return [larger, column]


# --- assembling the result -------------------------------------------------------------------


def _match_title(fields: ParsedFields, catalog: Sequence[Any]) -> CatalogMatch | None:
    """Match the title against the catalog; also try without a doubtful continuation line."""
    if fields.title is None:
        return None
    kind = fields.kind.value if fields.kind else None
    tries = [fields.title.value]
    if len(fields.title_lines) > 1:
        tries.append(join_wrapped(fields.title_lines[:-1]))
        tries.append(fields.title_lines[0])
    for title in tries:
        m = match_course(title, catalog, kind=kind)
        if m is not None:
            return m
    return None


def _finish(reading: _Reading, catalog: Sequence[Any], page: int, source: str) -> Extraction:
    f = reading.fields
    ex = Extraction(page=page, source=source)
    ex.text = "\n".join(line.text for line in reading.lines)
    conf: dict[str, float] = {}
    if f.name:
        ex.name, conf["name"] = f.name.value, f.name.confidence
    if f.kind:
        ex.kind, conf["kind"] = f.kind.value, f.kind.confidence
    if f.title:
        ex.course, conf["course"] = f.title.value, f.title.confidence
        match = _match_title(f, catalog)
        if match is not None:
            ex.course = match.name
            ex.code = match.code
            conf["course"] = round(max(conf["course"], 0.95 * match.score), 3)
            if match.code:
                conf["code"] = round(match.score, 3)
            if ex.kind is None and match.kind:
                ex.kind, conf["kind"] = match.kind, 0.7
            if match.ambiguous:
                ex.warnings.append("course_code_ambiguous")
        else:
            ex.course = drop_stray_consonants(ex.course)
            ex.warnings.append("course_not_in_catalog")
    if f.hours:
        value = f.hours.value
        ex.hours = int(value) if float(value).is_integer() else value
        conf["hours"] = f.hours.confidence
    if f.completed_on:
        ex.completed_on, conf["completed_on"] = f.completed_on.value, f.completed_on.confidence
        if ex.completed_on > dt.date.today() + dt.timedelta(days=1):
            ex.warnings.append("date_in_future")
    if f.issuers:
        ex.issuers, conf["issuers"] = list(f.issuers.value), f.issuers.confidence
    for key, warning in (("name", "name_not_found"), ("course", "course_not_found"),
                         ("hours", "hours_not_found"), ("completed_on", "date_not_found")):
        if key not in conf:
            ex.warnings.append(warning)
    ex.field_confidence = conf
    core = [conf.get(k, 0.0) for k in ("name", "course", "hours", "completed_on")]
    ex.confidence = round(sum(core) / len(core), 3)
    if ex.confidence < LOW_CONFIDENCE:
        ex.warnings.append("low_confidence")
    return ex


def _page_image(page: Page, limits: ReaderLimits) -> np.ndarray:
    img = page.render()
    w, h = img.size
    if w * h > limits.max_pixels:
        raise TooLarge(f"{w}x{h} px > {limits.max_pixels}")
    rgb = pre.pil_to_rgb(img)
    if max(w, h) > limits.max_side:
        rgb = pre.resize_long_side(rgb, limits.max_side)
    return rgb


def _read_page(page: Page, catalog: Sequence[Any], limits: ReaderLimits) -> tuple[_Reading, str]:
    text_reading: _Reading | None = None
    if page.text and len(squash(page.text)) >= 30:
        lines = lines_from_text(page.text)
        text_reading = _Reading(parse_fields(lines), lines)
        if text_reading.complete():
            return text_reading, "text_layer"
    try:
        ocr_reading = _ocr_page(_page_image(page, limits))
    except NotACertificate:
        if text_reading is not None and text_reading.is_certificate():
            return text_reading, "text_layer"
        raise
    if text_reading is not None and text_reading.is_certificate():
        return _merge([text_reading, ocr_reading]), "text_layer+ocr"
    return ocr_reading, "ocr"


def read_certificate(
    data: bytes,
    filename: str | None = None,
    *,
    catalog: Sequence[Any] | None = None,
    limits: ReaderLimits | None = None,
    mime: str | None = None,
) -> Extraction:
    """Read a certificate image or PDF; raises UnsupportedFile, CorruptFile, TooLarge or NotACertificate."""
    limits = limits or DEFAULT_LIMITS
    entries = default_catalog() if catalog is None else catalog
    fallback: tuple[_Reading, Page, str] | None = None
    for page in iter_pages(data, filename, mime, limits):
        try:
            reading, source = _read_page(page, entries, limits)
        except NotACertificate:
            continue
        if reading.is_certificate():
            return _finish(reading, entries, page.number, source)
        if fallback is None or reading.quality > fallback[0].quality:
            fallback = (reading, page, source)
    raise NotACertificate("no certificate wording found")
