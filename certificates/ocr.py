"""Tesseract OCR (Thai + English) and orientation detection.

Tesseract is called in-process through tesserocr (built against Debian's
libtesseract), one engine per language set and thread, loaded once per
worker process: starting the ``tesseract`` program for each of the dozen
page and line reads of a certificate spent a third of the time loading the
Thai model again.  ``OMP_THREAD_LIMIT=1`` is set before the library loads:
the reader gets its parallelism from one worker process per core (see
``pool.py``), and OpenMP threads inside each would only fight over them.

One recognition gives both the plain text and the TSV.  The text has
Tesseract's word spacing (for Thai the TSV splits every character cluster
into its own "word", so spaces cannot be rebuilt from it); the TSV gives
each line's confidence and glyph height.  Lines are paired in order.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # read once, when libtesseract loads

import logging  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

try:
    import tesserocr
except ImportError:  # the service reports OCR as unavailable instead of failing to start
    tesserocr = None

from .fields import TextLine  # noqa: E402
from .thai_dates import be_year_to_ce, match_month  # noqa: E402
from .thai_digits import SURE_LATIN_DIGIT, read_latin_number, read_thai_number  # noqa: E402
from .thai_text import THAI_DIGITS, invalid_thai_sequences, latin_ones, normalize_thai, squash, thai_ratio  # noqa: E402

logger = logging.getLogger(__name__)

LANGS = "tha+eng"
# Tesseract's model for the Thai script (Debian tesseract-ocr-script-thai): a
# different network from ``tha`` that errs on different letters, used as a
# second witness for names.  It spaces every character cluster.
SCRIPT_LANG = "Thai"
# Thai alone: for lines that hold no Latin text, where ``tha+eng`` may read
# small Thai glyphs as English ("พ.ค." as "wa.").
THAI_ONLY = "tha"
# English alone: for Latin words in a Thai line, which ``tha+eng`` may read as Thai ("(Advanced)" as "(4ลก00@)").
ENGLISH_ONLY = "eng"


class OcrUnavailable(RuntimeError):
    """Tesseract (or its Thai data) is not installed."""


def tesseract_available() -> bool:
    """True when libtesseract with Thai, English and orientation data is installed."""
    if tesserocr is None:
        return False
    try:
        _, langs = tesserocr.get_languages()
    except RuntimeError:
        return False
    return {"tha", "eng", "osd"} <= set(langs)


_engines = threading.local()


def _engine(lang: str) -> "tesserocr.PyTessBaseAPI":
    """This thread's engine for ``lang``, loaded on first use (an engine is not thread-safe)."""
    cache: dict[str, tesserocr.PyTessBaseAPI] | None = getattr(_engines, "by_lang", None)
    if cache is None:
        cache = _engines.by_lang = {}
    if lang not in cache:
        if tesserocr is None:
            raise OcrUnavailable("tesserocr is not installed")
        try:
            api = tesserocr.PyTessBaseAPI(lang=lang)
        except RuntimeError as exc:
            raise OcrUnavailable(f"cannot load Tesseract data for {lang}: {exc}") from exc
        if lang == "osd":
            # As the command line's --psm 0: decide from fewer characters than the default 50.
            api.SetVariable("min_characters_to_try", "20")
        cache[lang] = api
    return cache[lang]


def load_engines() -> None:
    """Load this thread's engines for every language set the reader uses (each loads on first use otherwise)."""
    for lang in (LANGS, THAI_ONLY, SCRIPT_LANG, ENGLISH_ONLY, "osd"):
        try:
            _engine(lang)
        except OcrUnavailable:
            continue  # a missing model is reported where it is used; the script model is optional


def _set_gray(api: "tesserocr.PyTessBaseAPI", gray: np.ndarray) -> None:
    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    h, w = gray.shape[:2]
    api.SetImageBytes(gray.tobytes(), w, h, 1, w)


@dataclass(frozen=True, slots=True)
class Orientation:
    """Tesseract OSD verdict: rotate the image by ``rotate`` degrees CCW to make it upright."""

    rotate: int
    confidence: float


def detect_orientation(gray: np.ndarray) -> Orientation | None:
    """Tesseract's orientation guess (OSD), or None when it cannot tell."""
    h, w = gray.shape[:2]
    scale = 1600 / max(h, w)
    if scale < 1:
        gray = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    api = _engine("osd")
    api.SetPageSegMode(tesserocr.PSM.OSD_ONLY)
    _set_gray(api, gray)
    try:
        found = api.DetectOrientationScript()
    except RuntimeError:
        return None  # too few characters to tell
    finally:
        api.Clear()
    if not found:
        return None
    # orient_deg is how far the page is turned clockwise: turning it back CCW by as much fixes it.
    return Orientation(int(found["orient_deg"]) % 360, float(found["orient_conf"]))


@dataclass(slots=True)
class TsvLine:
    words: list[str]
    confs: list[float]
    heights: list[int]
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # left, top, width, height of the whole line
    word_boxes: list[tuple[int, int, int, int]] = field(default_factory=list)


def _parse_tsv(tsv: str) -> list[TsvLine]:
    lines: dict[tuple[int, int, int], TsvLine] = {}
    order: list[tuple[int, int, int]] = []
    for row in tsv.splitlines():
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] not in ("4", "5"):
            continue
        key = (int(cols[2]), int(cols[3]), int(cols[4]))
        if key not in lines:
            lines[key] = TsvLine([], [], [])
            order.append(key)
        line = lines[key]
        box = (int(cols[6]), int(cols[7]), int(cols[8]), int(cols[9]))
        if cols[0] == "4":
            line.box = box
            continue
        if not cols[11].strip():
            continue
        line.words.append(cols[11])
        line.confs.append(max(0.0, float(cols[10])))
        line.heights.append(box[3])
        line.word_boxes.append(box)
    return [lines[k] for k in order if lines[k].words]


def _run_ocr(gray: np.ndarray, psm: int, lang: str = LANGS) -> tuple[str, str]:
    """Plain text and TSV of one recognition of ``gray`` with page segmentation mode ``psm``."""
    api = _engine(lang)
    api.SetPageSegMode(psm)
    _set_gray(api, gray)
    try:
        return api.GetUTF8Text(), api.GetTSVText(0)
    finally:
        api.Clear()


def ocr_symbols(gray: np.ndarray, lang: str = THAI_ONLY) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Each character of a one-line read (``--psm 7``) with its box (left, top, right, bottom), in reading order."""
    api = _engine(lang)
    api.SetPageSegMode(7)
    _set_gray(api, gray)
    try:
        api.Recognize()
        iterator = api.GetIterator()
        out: list[tuple[str, tuple[int, int, int, int]]] = []
        if iterator is None:
            return out
        for symbol in tesserocr.iterate_level(iterator, tesserocr.RIL.SYMBOL):
            try:
                text = symbol.GetUTF8Text(tesserocr.RIL.SYMBOL)
            except RuntimeError:  # an empty symbol ("No text returned")
                continue
            box = symbol.BoundingBox(tesserocr.RIL.SYMBOL)
            if text and box:
                out.append((text, tuple(int(v) for v in box)))
        return out
    finally:
        api.Clear()


def _line_confidence(confs: list[float], text: str) -> float:
    """Line confidence 0–1 from Tesseract's per-cluster confidences and the spelling."""
    # Mean confidence, pulled down by the worst cluster: one misread letter
    # spoils a name even when the rest of the line is sure.
    conf = (0.7 * sum(confs) / len(confs) + 0.3 * min(confs)) / 100.0
    # Impossible Thai spellings ("ภูุ") are OCR errors Tesseract is sure of.
    return conf * 0.8 ** invalid_thai_sequences(text)


# Runs of digits (Thai or Latin) in a squashed line, and the number slot of an
# hours phrase when Tesseract read letters there: all ("ทั้งสิ้น ณ ชั่วโมง", ๙
# misread as the letter ณ) or some ("ว๐" for ๖๐).  The words around it may have
# lost their marks ("ทังสิน", "ชัวโมง") or read ช as ซ.
_DIGIT_RUN = re.compile(rf"[0-9{THAI_DIGITS}]+(?:\.[0-9{THAI_DIGITS}]+)?")
_LATIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
HOURS_SLOT = re.compile(r"(?:ท[ัิ]?้?งส[ิี]?้?น|ระยะเวลา)([^0-9\u0e50-\u0e59]{1,2}|[^.]\S{0,3}?)(?=[ชซ]ั?่?ว|ชม)")
# The start of a Thai month word, full or abbreviated; and the day between
# "วันที่" and a month word, whatever Tesseract made of its digits.
MONTH_START = (
    r"(?:ม\.?ค|ก\.?พ|มี\.?ค|เม\.?ย|พ\.?ค|มิ\.?ย|ก\.?ค|ส\.?ค|ก\.?ย|ต\.?ค|พ\.?ย|ธ\.?ค|มกรา|กุมภา|มีนา|เมษา|"
    r"พฤษภา|มิถุนา|กรกฎา|สิงหา|กันยา|ตุลา|พฤศจิ|ธันวา)"
)
_DAY_SLOT = re.compile(rf"(?:วันที่|วันที|วนที่|วันทึ)(.{{1,3}}?)(?={MONTH_START})")
_MONTH_AHEAD = re.compile(MONTH_START)


# How sure the digit classifier must be that a glyph Tesseract read as a Latin
# digit is Thai print to overrule it on a line showing no other Thai digit
# ("9" for ๑).  At 0.99 one Latin 3 of 260 files' lines became ๕.
SURE_THAI_PRINT = 0.999
# The hours unit right after a number (spaces squashed): "45ชั่วโมง", "6.5ชม.".
_HOURS_UNIT = re.compile(r"[ชซ]ั?่?ว|ชม")


def plausible_day(digits: str) -> bool:
    # 1–31, printed without a leading zero on Thai certificates.
    return not digits.startswith("0") and 1 <= int(digits) <= 31


# A year at the end of a date line that Tesseract read as letters ("๖๗" -> "ve").
_YEAR_TAIL = re.compile(r"(?<=\.)([^.0-9\u0e50-\u0e59]{2,5})$")


def plausible_year(digits: str) -> bool:
    # Thai-digit years on certificates: Buddhist Era 2543 (2000) to next year, also as
    # two digits ("๖๗" is 2567): the years be_year_to_ce accepts.
    value = int(digits)
    if len(digits) == 2:
        value += 2500
    return be_year_to_ce(value) is not None and value >= 2400


def date_slots(raw: str) -> list[tuple[int, int, Callable[[str], bool]]]:
    """Day and year of a date line, as squashed-index spans, found by Tesseract's word spacing.

    "ให้ไว้ ณ วันที่ ๑๗ ตุลาคม พ.ศ. ๒๕๖๕": the word before the month is the
    day, the word after it (or after "พ.ศ.") the year, whatever letters
    Tesseract made of their Thai digits.
    """
    tokens = raw.split()
    spans: list[tuple[int, int, Callable[[str], bool]]] = []
    starts, pos = [], 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok)
    for m_idx, tok in enumerate(tokens):
        month = match_month(tok)
        if month is None or month[1] < 0.8 or m_idx == 0:
            continue
        day = tokens[m_idx - 1]
        if 1 <= len(day) <= 3 and not day.startswith("วัน"):
            spans.append((starts[m_idx - 1], starts[m_idx - 1] + len(day), plausible_day))
        y_idx = m_idx + 1
        if y_idx + 1 < len(tokens) and len(tokens[y_idx]) <= 5 and not any(c.isdigit() for c in tokens[y_idx]):
            y_idx += 1  # the era "พ.ศ." (or what OCR made of it, "wa.")
        if y_idx < len(tokens) and 2 <= len(tokens[y_idx]) <= 6:
            end = starts[y_idx] + len(tokens[y_idx])
            nxt = tokens[y_idx + 1] if y_idx + 1 < len(tokens) else ""
            if len(tokens[y_idx]) == 2 and 2 <= len(nxt) <= 3 and (tokens[y_idx] + nxt).isdigit():
                # A year Tesseract spaced in two ("๒๕ ๖๘"; str.isdigit holds for Thai digits): one slot, four digits.
                end += len(nxt)
            spans.append((starts[y_idx], end, plausible_year))
        break
    return spans


def fix_thai_digits(raw: str, tl: TsvLine, gray: np.ndarray, scale: float = 1.0) -> str:
    """Re-read the digits of a line with the Thai-digit classifier where they are Thai digits.

    Tesseract's Thai model maps most Thai digits onto ๒, ๓, ๕ or Latin
    look-alikes; the glyphs themselves are cut from the word boxes and
    classified.  Numbers printed in Latin digits are left as Tesseract read
    them, but for a day or the hours the classifier reads otherwise, each
    digit surely (see :func:`_latin_digits_reread`).
    ``scale`` maps TSV boxes onto ``gray`` (TSV from a downscaled crop,
    glyphs classified at the crop's full resolution).
    """
    squashed = "".join(tl.words)
    if squashed != squash(raw):
        return raw
    # Latin digits with a "1" read as a bracket ("]8"): mended before any slot is taken for Thai digits.
    squashed = latin_ones(squashed)
    mended = iter(squashed)
    raw = "".join(ch if ch.isspace() else next(mended) for ch in raw)
    # (start, end, value check) in the squashed line; slots first, runs not inside a slot after.
    slots = [(m.start(1), m.end(1), None) for m in HOURS_SLOT.finditer(squashed) if not _DIGIT_RUN.fullmatch(m.group(1))]
    slots += date_slots(raw)
    if not any(c is plausible_day for _, _, c in slots):
        slots += [(m.start(1), m.end(1), plausible_day) for m in _DAY_SLOT.finditer(squashed)]
    if _MONTH_AHEAD.search(squashed) and not any(c is plausible_year for _, _, c in slots):
        slots += [(m.start(1), m.end(1), plausible_year) for m in _YEAR_TAIL.finditer(squashed)]
    spans = list(slots)
    for m in _DIGIT_RUN.finditer(squashed):
        if any(a < m.end() and m.start() < b for a, b, _ in slots):
            continue
        check = None
        if len(m.group()) <= 2 and _MONTH_AHEAD.match(squashed, m.end()):
            check = plausible_day
        elif len(m.group()) == 4 and _MONTH_AHEAD.search(squashed, 0, m.start()):
            check = plausible_year
        spans.append((m.start(), m.end(), check))
    thai_set = set(THAI_DIGITS)
    if not spans:
        return raw
    # Offsets of each TSV word in the squashed line, and of squashed chars in raw.
    starts, pos = [], 0
    for w in tl.words:
        starts.append(pos)
        pos += len(w)
    raw_index = [i for i, ch in enumerate(raw) if not ch.isspace()]
    replacements: list[tuple[int, int, str]] = []
    for a, b, check in spans:
        words = [k for k, s0 in enumerate(starts) if s0 < b and s0 + len(tl.words[k]) > a]
        if not words:
            continue
        boxes = [tuple(int(round(v / scale)) for v in tl.word_boxes[k]) for k in words]
        x0 = min(bx[0] for bx in boxes)
        y0 = min(bx[1] for bx in boxes)
        x1 = max(bx[0] + bx[2] for bx in boxes)
        y1 = max(bx[1] + bx[3] for bx in boxes)
        # Tesseract's box for a misread digit can clip it: widen the crop, then
        # keep only the glyphs centred inside the original box.  Wide enough that a
        # digit found beside the box (``number_glyphs`` looks there) is whole: a box
        # can be a sliver at a digit's right edge.
        bh = y1 - y0
        pad_y, pad_x = max(2, bh // 6), max(3, int(1.2 * bh))
        cx0, cy0 = max(0, x0 - pad_x), max(0, y0 - pad_y)
        crop = gray[cy0 : y1 + pad_y, cx0 : x1 + pad_x]
        span_text = squashed[a:b]
        digits = sum(ch.isdigit() or ch in thai_set for ch in span_text)
        if check is plausible_year and digits not in (2, 4):
            digits = 2 if len(span_text) <= 2 else 4  # a year misread as letters has 4 digits (or 2)
        elif check is plausible_day and len(span_text) <= 2:
            digits = len(span_text)  # a day's digit misread as a letter ("๑ข" for ๑๗) still counts
        elif check is None and digits and not _DIGIT_RUN.fullmatch(span_text):
            digits = len(span_text.replace(".", ""))  # hours, some digits read as letters ("ว๐" for ๖๐)
        keep = (x0 - cx0 - 0.25 * bh, x1 - cx0 + 0.25 * bh)
        if check is plausible_day or (check is None and _HOURS_UNIT.match(squashed, b)):
            latin = _latin_digits_reread(crop, keep, span_text)
            if latin is None and check is plausible_day:
                latin = _lost_day_digit(crop, keep, span_text)
            if latin is not None and (check is None or check(latin)):
                replacements.append((raw_index[a], raw_index[b - 1] + 1, latin))
                continue
        got = read_thai_number(
            crop,
            keep=keep,
            expected=digits or None,
            allowed=check,
            tesseract=span_text,
        )
        # A slot's value check already rules out most misreadings: trust it with
        # less; a year's (25xx, not in the future) the most.
        floor = 0.01 if check is plausible_year else 0.15 if check else 0.4
        if got is None or got[1] < floor:
            continue
        if span_text.isascii() and span_text.replace(".", "", 1).isdigit():
            # Tesseract reads Latin digits well: overrule it only when the line
            # shows Thai digits elsewhere or its reading is implausible for the
            # slot (year 2525), and the glyphs are surely as many Thai digits.
            thai_elsewhere = any(ch in thai_set for ch in squashed)
            implausible = check is not None and not check(span_text)
            thai_print = got[2] >= SURE_THAI_PRINT
            if not (thai_elsewhere or implausible or thai_print) or got[2] < 0.9 or len(got[0]) != len(span_text):
                continue
        value = got[0]
        if "." in span_text and len(value) > (decimals := len(span_text) - span_text.index(".") - 1):
            # The classifier reads digits, not the decimal point ("๑๐.๕" as 105): put it back.
            value = f"{value[:-decimals]}.{value[-decimals:]}"
        # Replace the whole words covered (a Thai digit run is its own word).
        wa, wb = starts[words[0]], starts[words[-1]] + len(tl.words[words[-1]])
        replacements.append((raw_index[wa], raw_index[wb - 1] + 1, value))
    for ra, rb, digits in sorted(replacements, reverse=True):
        old = raw[ra:rb]
        if all(ch.isdigit() or ch in thai_set or ch.isspace() or ch == "." for ch in old):
            raw = raw[:ra] + digits + raw[rb:]  # digits for digits: keep "๔.๕" a decimal
        else:
            raw = f"{raw[:ra]} {digits} {raw[rb:]}"  # letters standing for digits: keep words apart
    return raw


def _latin_digits_reread(crop: np.ndarray, keep: tuple[float, float], number: str) -> str | None:
    """``number`` (Latin digits, a point maybe) as the digit classifier reads its glyphs, when surely otherwise; else None.

    Small or blurred, Niramit's flat-topped 3 reads as 5 ("13" as "15") and
    Laksaman's 4 as 6: a day or hours as likely as the printed one, which
    no value check can catch.  Each digit must be ``SURE_LATIN_DIGIT``
    sure, and as many as Tesseract read; the point stays where it saw it.
    A 1 the classifier sees where Tesseract read another digit is not taken:
    a stroke, a bracket or a digit cut in pieces looks like one (an Athiti
    "2" in a PDF, "8" and "2" in rotated photos were read as 1, 0.88-0.95 sure).
    """
    if not _LATIN_NUMBER.fullmatch(number):
        return None
    digits = number.replace(".", "")
    got = read_latin_number(crop, keep, len(digits))
    if got is None or got[0] == digits or got[1] < SURE_LATIN_DIGIT:
        return None
    if any(theirs == "1" != ours for ours, theirs in zip(digits, got[0])):
        return None
    point = number.find(".")
    return got[0] if point < 0 else f"{got[0][:point]}.{got[0][point:]}"


def _lost_day_digit(crop: np.ndarray, keep: tuple[float, float], number: str) -> str | None:
    """A day in Latin digits with the digit Tesseract lost put back, as the digit classifier sees its box; else None.

    A thin 1 beside another digit is the digit Tesseract loses most, and its
    box then often clips it ("1" for 11 set against the month).  Taken only
    where the glyphs in and beside the box are one digit more than it read,
    no letter among them, and the classifier reads each surely, Tesseract's
    digits among them.
    """
    if not number.isdigit() or not number.isascii():
        return None
    got = read_latin_number(crop, keep, len(number) + 1)
    if got is None or got[1] < SURE_LATIN_DIGIT or not plausible_day(got[0]):
        return None
    return got[0] if any(got[0][:k] + got[0][k + 1:] == number for k in range(len(got[0]))) else None


def _with_thai_digits(raw: str, tl: TsvLine, gray: np.ndarray, scale: float = 1.0) -> tuple[str, bool]:
    """:func:`fix_thai_digits`, and whether the line shows Thai digits (Tesseract saw some, or the classifier did)."""
    fixed = fix_thai_digits(raw, tl, gray, scale)
    return fixed, fixed != raw or any(ch in THAI_DIGITS for ch in raw)


def ocr_lines(gray: np.ndarray, *, psm: int = 3) -> list[TextLine]:
    """OCR a grey page into normalised text lines with confidence (0–1), height and box."""
    txt, tsv = _run_ocr(gray, psm)
    tsv_lines = _parse_tsv(tsv)
    text_lines = [line for line in txt.splitlines() if line.strip()]
    out: list[TextLine] = []
    t = 0
    for raw in text_lines:
        # Pair the text line with the TSV line holding the same characters.
        target = squash(raw)
        conf, height, box, thai_digits = 0.6, 0.0, None, False
        for k in range(t, min(t + 3, len(tsv_lines))):
            if squash("".join(tsv_lines[k].words)) == target:
                tl = tsv_lines[k]
                conf = _line_confidence(tl.confs, normalize_thai(raw))
                height = float(np.median(tl.heights))
                box = tl.box
                t = k + 1
                raw, thai_digits = _with_thai_digits(raw, tl, gray)
                break
        text = normalize_thai(raw)
        if not text:
            continue
        if box is None:
            # Unpaired (rare): keep it right after its predecessor in reading order.
            prev = out[-1].box if out and out[-1].box else (0, len(out), 0, 0)
            box = (prev[0], prev[1] + 1, 0, 0)
        out.append(TextLine(text, round(conf, 3), height, box, thai_digits))
    return sort_reading_order(drop_mark_fragments(out))


def drop_mark_fragments(lines: list[TextLine]) -> list[TextLine]:
    """Drop "lines" that are only the upper marks of a big line, split off by layout analysis.

    Over a large title Tesseract sometimes finds a thin line of stacked marks
    (่ ้ ิ ์) inside the big line's box and reads it as Latin junk.
    """
    keep: list[TextLine] = []
    for ln in lines:
        if ln.box is None or ln.box[3] <= 0:
            keep.append(ln)
            continue
        x, y, w, h = ln.box
        fragment = False
        for other in lines:
            if other is ln or other.box is None:
                continue
            ox, oy, ow, oh = other.box
            h_overlap = min(x + w, ox + ow) - max(x, ox)
            if h_overlap <= 0.6 * w:
                continue
            v_overlap = min(y + h, oy + oh) - max(y, oy)
            # Mostly inside a much bigger line.
            if oh >= 1.5 * h and v_overlap > 0.5 * h:
                fragment = True
                break
            # Or sitting on its top edge, unreadable: the marks above its letters.
            junk = ln.confidence < 0.6 or thai_ratio(ln.text) < 0.5
            if junk and h < 0.9 * oh and oy - 0.4 * oh <= y + h <= oy + 0.6 * oh and y < oy:
                fragment = True
                break
        if not fragment:
            keep.append(ln)
    return keep


def line_crop(
    gray: np.ndarray,
    box: tuple[int, int, int, int],
    *,
    above: int | None = None,
    below: int | None = None,
) -> np.ndarray | None:
    """A padded crop around one text line, not reaching into its neighbours.

    Tesseract's line box often stops below stacked upper marks (the "์" of
    "ดิ์"), so the crop reaches up to a full line height, but not past the
    line above (``above``: its bottom) or below (``below``: its top).
    """
    x, y, w, h = box
    if h < 8 or w < 8:
        return None
    H, W = gray.shape[:2]
    top = y - h
    if above is not None:
        top = max(top, min(above + 2, y - int(0.5 * h)))
    bottom = y + h + int(0.5 * h)
    if below is not None:
        bottom = min(bottom, max(below - 2, y + h + int(0.35 * h)))
    y0, y1 = max(0, top), min(H, bottom)
    x0, x1 = max(0, x - h), min(W, x + w + h)
    crop = gray[y0:y1, x0:x1]
    return _blank_other_lines(crop, y - y0, y + h - y0)


def ink_bands(rows: np.ndarray, gap: int = 0) -> list[tuple[int, int]]:
    """Runs of true rows, joined across gaps of at most ``gap`` rows (marks above a line)."""
    bands: list[list[int]] = []
    for y in np.nonzero(rows)[0]:
        if bands and y - bands[-1][1] <= gap:
            bands[-1][1] = int(y) + 1
        else:
            bands.append([int(y), int(y) + 1])
    return [(a, b) for a, b in bands]


# The share of columns, between a band's first and last ink, that a band of
# marks over a line covers at most; a line of text covers more.
MARKS_COVER = 0.45


def _column_cover(band: np.ndarray) -> float:
    """The share of the columns between a band's first and last ink that hold ink."""
    cols = np.flatnonzero(band.any(axis=0))
    return 0.0 if cols.size == 0 else cols.size / (cols[-1] - cols[0] + 1)


def _blank_other_lines(crop: np.ndarray, top: int, bottom: int) -> np.ndarray:
    """Whiten rows of ink that belong to other lines than the one at rows ``top``..``bottom``.

    The neighbours' boxes limit the crop only when they were read well; a
    smaller line above that OCR misread (or a rule under it) can reach into
    the padding, and a single-line read of two lines is garbage.  Ink rows
    are grouped into bands by blank gaps; the bands touching the line's box
    are kept, and so are the bands just above or below them (Thai upper
    marks and lower vowels stand a small gap away from their letters).
    """
    if crop.size == 0 or bottom <= top:
        return crop
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    # Specks of photo noise must not bridge the gap to another line; a tone
    # mark, a few pixels wide, must still count as ink.
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    specks = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < 6)
    ink[np.isin(labels, specks[specks > 0])] = 0
    bands = ink_bands(ink.sum(axis=1) >= 2)
    height = bottom - top
    core_a, core_b = top + 0.25 * height, bottom - 0.25 * height
    kept = [i for i, (a, b) in enumerate(bands) if a < core_b and b > core_a]
    if not kept:
        return crop
    fill = ink.sum(axis=1) / crop.shape[1]

    def belongs(band: tuple[int, int], gap: int) -> bool:
        # Close enough to be part of the line; or a short band of marks (a
        # tone mark over an upper vowel stands further off), which a rule is
        # not, and neither is a smaller line of text (the intro phrase over
        # a big name): marks stand over a few letters, text fills most columns.
        if gap <= max(2, 0.2 * height):
            return True
        a, b = band
        return (b - a <= 0.5 * height and gap <= 0.6 * height and fill[a:b].max() < 0.5
                and _column_cover(ink[a:b]) < MARKS_COVER)

    first, last = min(kept), max(kept)
    while first > 0 and belongs(bands[first - 1], bands[first][0] - bands[first - 1][1]):
        first -= 1
    while last + 1 < len(bands) and belongs(bands[last + 1], bands[last + 1][0] - bands[last][1]):
        last += 1
    out = crop.copy()
    out[: bands[first][0]] = 255
    out[bands[last][1] :] = 255
    return out


# Tesseract's LSTM reads lines normalised to a small height; handing it a
# line already downscaled to about this box height (area filter) loses fewer
# marks than letting it shrink a big, bold line itself.
LINE_HEIGHT = 28


def ocr_single_line(
    crop: np.ndarray, box_height: int, *, target_height: int | None = LINE_HEIGHT, lang: str = LANGS
) -> TextLine | None:
    """Read a crop made by :func:`line_crop` as exactly one line (``--psm 7``).

    Page layout analysis can split a big line's stacked marks into a line of
    their own and lose them; a padded crop read as one line keeps them.
    Raises :class:`OcrUnavailable` when ``lang``'s data is not installed.
    """
    if crop is None or crop.size == 0:
        return None
    scale = 1.0 if not target_height else min(1.5, target_height / max(box_height, 1))
    small = crop
    if abs(scale - 1.0) > 0.05:
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=interp)
    txt, tsv = _run_ocr(small, 7, lang)
    tsv_lines = _parse_tsv(tsv)
    raw = " ".join(line for line in txt.splitlines() if line.strip())
    thai_digits = False
    if tsv_lines and lang != SCRIPT_LANG:  # the script model spaces clusters: no word boxes to match
        whole = TsvLine(
            [w for tl in tsv_lines for w in tl.words],
            [c for tl in tsv_lines for c in tl.confs],
            [h for tl in tsv_lines for h in tl.heights],
            word_boxes=[b for tl in tsv_lines for b in tl.word_boxes],
        )
        # Digits are classified on the full-resolution crop.
        raw, thai_digits = _with_thai_digits(raw, whole, crop, scale)
    if lang == SCRIPT_LANG:
        # Its spaces split clusters, not words, and would keep a split sara am ("ค ํ า") apart.
        raw = squash(raw)
    text = normalize_thai(raw)
    confs = [c for tl in tsv_lines for c in tl.confs]
    if not text or not confs:
        return None
    return TextLine(text, round(_line_confidence(confs, text), 3), float(box_height), thai_digits=thai_digits)


def line_words(crop: np.ndarray, lang: str) -> list[tuple[str, float]]:
    """The words of a one-line crop (``--psm 7``, at the crop's own scale) with their confidences (0–100)."""
    if crop is None or crop.size == 0:
        return []
    _, tsv = _run_ocr(crop, 7, lang)
    return [(w, c) for tl in _parse_tsv(tsv) for w, c in zip(tl.words, tl.confs)]


def sort_reading_order(lines: list[TextLine]) -> list[TextLine]:
    """Order lines top to bottom (left to right within a row).

    Tesseract's page layout analysis may emit a block from lower down first
    (a signer's position line before the heading); the parser relies on
    the certificate's top-to-bottom order.
    """
    if not lines:
        return lines
    heights = [ln.height for ln in lines if ln.height > 0]
    tol = 0.5 * (float(np.median(heights)) if heights else 20.0)
    ordered = sorted(lines, key=lambda ln: ln.box[1] if ln.box else 0)
    rows: list[list[TextLine]] = []
    for ln in ordered:
        top = ln.box[1] if ln.box else 0
        if rows and abs(top - (rows[-1][0].box[1] if rows[-1][0].box else 0)) <= tol:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return [ln for row in rows for ln in sorted(row, key=lambda x: x.box[0] if x.box else 0)]
