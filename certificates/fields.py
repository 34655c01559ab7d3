"""Field parsing: from the lines of a certificate to name, title, hours, date and issuers.

Pure functions over normalised text lines, so they can be tested without
images.  Certificates are read by their wording, not their layout: anchor
phrases ("เพื่อแสดงว่า", "วิชา"/"หลักสูตร", "รวมระยะเวลา", "ให้ไว้ ณ วันที่",
"ร่วมกับ") are found by fuzzy matching, because OCR rarely gets a whole Thai
phrase right, and because older and partner certificates word them
differently.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .person_names import clean_name_line, leading_title, looks_like_name, split_name, tidy_name_line
from .repairs import mend_text
from .thai_dates import find_dates
from .thai_text import collapse_spaces, is_thai_char, is_thai_word, normalize_thai, squash, thai_ratio

T = TypeVar("T")

OCSC_FULL = "สำนักงานคณะกรรมการข้าราชการพลเรือน"
OCSC_SHORT = "สำนักงาน ก.พ."

# Phrases that introduce the learner's name, old and new wordings.
INTRO_PHRASES = (
    "ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า",
    "ขอมอบประกาศนียบัตรฉบับนี้ให้เพื่อแสดงว่า",
    "ประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า",
    "ขอมอบวุฒิบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า",
    "ขอมอบเกียรติบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า",
    "เพื่อแสดงว่า",
    "ขอมอบประกาศนียบัตรให้แก่",
    "ขอมอบประกาศนียบัตรฉบับนี้ให้แก่",
    "ขอมอบวุฒิบัตรนี้ให้แก่",
)
# Phrases that follow the name: what the learner did.
COMPLETION_PHRASES = (
    "ได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด",
    "ได้ผ่านการพัฒนาทางไกลด้วยระบบอิเล็กทรอนิกส์",
    "ได้ผ่านการพัฒนาทางไกล",
    "ได้ผ่านการอบรม",
    "ได้ผ่านการฝึกอบรม",
    "ได้สำเร็จการฝึกอบรม",
    "ได้สำเร็จการอบรม",
    "ได้ผ่านการเรียนรู้",
    "ได้สำเร็จการศึกษา",
)
HOURS_PHRASES = ("รวมระยะเวลาทั้งสิ้น", "รวมระยะเวลา", "รวมเวลา", "จำนวนชั่วโมง")
DATE_PHRASES = ("ให้ไว้ณวันที่", "ให้ไว้ ณ วันที่", "ณวันที่")
PARTNER_PHRASES = ("ร่วมกับ",)
CERTIFICATE_WORDS = ("ประกาศนียบัตร", "วุฒิบัตร", "เกียรติบัตร", "certificate")

COURSE_WORD = "วิชา"
CURRICULUM_WORD = "หลักสูตร"

# Words organisation names start with; used when the issuer is not OCSC.
ORG_WORDS = (
    "สำนักงาน",
    "กรม",
    "กระทรวง",
    "สถาบัน",
    "มหาวิทยาลัย",
    "ศูนย์",
    "วิทยาลัย",
    "องค์การ",
    "สภา",
    "ธนาคาร",
    "บริษัท",
    "สมาคม",
    "มูลนิธิ",
    "กอง",
    "สำนัก",
    "การไฟฟ้า",
    "การประปา",
    "โรงเรียน",
    "จังหวัด",
)

_HOURS_UNIT = "ชั่วโมง"
_NUMBER = r"\d{1,4}(?:[.,]\d{1,2})?"
_HOURS_RE = re.compile(rf"(?<![\d.])({_NUMBER})\s*(ช[\u0e00-\u0e7f.]{{0,8}})")
_MINUTES_RE = re.compile(r"(\d{1,2})\s*นา[\u0e00-\u0e7f]{0,2}")
# No certificate prints hours with a leading zero: "00.4" is a misread ("10.5" on a blurred photo).
_LEADING_ZERO = re.compile(r"0\d")
_MINUTES_UNIT = "นาที"
_MINUTES_ONLY_RE = re.compile(r"(?<![\d.])(\d{1,4})\s*(นา[\u0e00-\u0e7f]{0,3})")


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of certificate text: normalised text, OCR confidence 0–1, glyph height in px."""

    text: str
    confidence: float = 1.0
    height: float = 0.0
    box: tuple[int, int, int, int] | None = None  # left, top, width, height in the OCR'd image
    # Printed in Thai digits (the text holds Latin ones, as read by the digit classifier).
    thai_digits: bool = False


@dataclass(frozen=True, slots=True)
class Field(Generic[T]):
    """A parsed value and how sure the parser is of it (0–1)."""

    value: T
    confidence: float


@dataclass(slots=True)
class ParsedFields:
    """Everything the parser found on one page."""

    name: Field[str] | None = None
    title: Field[str] | None = None
    kind: Field[str] | None = None
    hours: Field[float] | None = None
    completed_on: Field[dt.date] | None = None
    issuers: Field[list[str]] | None = None
    anchors: int = 0  # certificate phrases seen; tells a certificate from other pictures
    title_lines: list[str] = field(default_factory=list)  # the title as printed, line by line
    lines: list[TextLine] = field(default_factory=list)  # the lines parsed (empty ones dropped)
    sources: dict[str, list[int]] = field(default_factory=dict)  # field -> indices into lines

    def found(self) -> int:
        """How many of the four core fields were found."""
        return sum(x is not None for x in (self.name, self.title, self.hours, self.completed_on))


# --- anchor matching ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnchorHit:
    """Where a phrase was found: line index, score 0–1 and the end of the match in the line."""

    index: int
    score: float
    end: int  # character offset in the (unsquashed) line just after the phrase


def _squash_map(text: str) -> tuple[str, list[int]]:
    """Squash whitespace, remembering each kept character's offset in the original."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if not ch.isspace():
            chars.append(ch)
            offsets.append(i)
    return "".join(chars), offsets


def phrase_in_line(phrase: str, line: str) -> tuple[float, int]:
    """Fuzzy-find a phrase in a line ignoring spaces: (score 0–1, offset just after the match)."""
    target = squash(phrase)
    squashed, offsets = _squash_map(line)
    if not squashed or not target:
        return 0.0, 0
    if len(squashed) < len(target):
        # A short line cannot contain the whole phrase; compare whole strings
        # so "แสดง" alone does not count as "เพื่อแสดงว่า".
        score = fuzz.ratio(target, squashed) / 100.0
        return score, len(line)
    align = fuzz.partial_ratio_alignment(target, squashed)
    if align is None:
        return 0.0, 0
    end = offsets[align.dest_end - 1] + 1 if align.dest_end > 0 else 0
    return align.score / 100.0, end


def find_phrase(
    lines: Sequence[TextLine],
    phrases: Sequence[str],
    *,
    threshold: float = 0.8,
    start: int = 0,
    stop: int | None = None,
) -> AnchorHit | None:
    """The line best matching any of the phrases (longest phrases weigh more), or None."""
    best: AnchorHit | None = None
    best_key = 0.0
    stop = len(lines) if stop is None else stop
    for i in range(start, min(stop, len(lines))):
        for phrase in phrases:
            score, end = phrase_in_line(phrase, lines[i].text)
            if score < threshold:
                continue
            # Prefer longer phrases at equal score: they pin the anchor better.
            key = score + min(len(phrase), 40) / 1000.0
            if key > best_key:
                best, best_key = AnchorHit(i, score, end), key
    return best


def _starts_with_word(text: str, word: str, *, max_edits: int = 1) -> int | None:
    """If squashed text starts with word (allowing OCR edits), the offset after it in text."""
    squashed, offsets = _squash_map(text)
    n = len(word)
    for length in (n, n - 1, n + 1):
        if length <= 0 or length > len(squashed):
            continue
        if Levenshtein.distance(squashed[:length], word) <= max_edits:
            # A combining mark right after the word means the word continues ("วิชาการ").
            nxt = squashed[length] if length < len(squashed) else ""
            if nxt and ("\u0e30" <= nxt <= "\u0e3a" or "\u0e47" <= nxt <= "\u0e4e"):
                continue
            return offsets[length - 1] + 1
    return None


# --- name -----------------------------------------------------------------------------


def _is_signature_line(text: str) -> bool:
    """Signer names are printed in brackets under the signature: "(นายปิยวัฒน์ ศิวรักษ์)"."""
    t = text.strip()
    return bool(t) and (t[0] in "([{|" or t[-1] in ")]}|")


def _is_signer_line(text: str) -> bool:
    """A bracketed person's name, as printed under a signature (not a bracketed title part)."""
    t = text.strip().lstrip("([{|").strip()
    return _is_signature_line(text) and leading_title(t) is not None


def _name_candidate(text: str) -> tuple[str, float]:
    """Clean a candidate name line and score it 0–1."""
    name = tidy_name_line(text)
    score = looks_like_name(name)
    if thai_ratio(name) < 0.5:
        score *= 0.5  # OCSC certificates print Thai names
    return name, score


# The name is the page's largest print: a "line" under this share of the
# page's median line height is a speck or a stroke read as letters.
_NAME_MIN_HEIGHT_SHARE = 0.5


def _is_speck(line: TextLine, lines: Sequence[TextLine]) -> bool:
    """Whether ``line``'s box is far lower than the page's lines are (a gold name's speck read as "เอิะ")."""
    heights = [other.box[3] for other in lines if other.box is not None and other.box[3]]
    if line.box is None or not line.box[3] or len(heights) < 3:
        return False
    return line.box[3] < _NAME_MIN_HEIGHT_SHARE * statistics.median(heights)


def parse_name(lines: Sequence[TextLine]) -> tuple[Field[str] | None, int | None]:
    """The learner's name and its line index: the line after "…เพื่อแสดงว่า", else before "ได้…"."""
    intro = find_phrase(lines, INTRO_PHRASES, threshold=0.8)
    completion = find_phrase(lines, COMPLETION_PHRASES, threshold=0.8, start=intro.index + 1 if intro else 0)
    candidates: list[tuple[float, int, str]] = []
    if intro is not None:
        rest = lines[intro.index].text[intro.end:]
        name, score = _name_candidate(rest)
        if score >= 0.6:
            candidates.append((score * 0.95, intro.index, name))
        stop = completion.index if completion and completion.index > intro.index else intro.index + 5
        distance = 0
        for i in range(intro.index + 1, min(stop, intro.index + 5, len(lines))):
            if _is_junk(lines[i].text):
                continue  # decorative rules read as "———" sit between the phrase and the name
            if _is_signature_line(lines[i].text) or _is_speck(lines[i], lines):
                continue
            name, score = _name_candidate(lines[i].text)
            # Nearer lines are likelier.
            candidates.append((score * (1.0 - 0.1 * distance), i, name))
            distance += 1
    if completion is not None and not candidates:
        for i in range(completion.index - 1, max(completion.index - 3, -1), -1):
            name, score = _name_candidate(lines[i].text)
            candidates.append((score * 0.9, i, name))
    if not candidates:
        # No anchors: a titled name line outside the signature block.
        for i, line in enumerate(lines):
            if _is_signature_line(line.text):
                continue
            name, score = _name_candidate(line.text)
            if leading_title(name) and score >= 0.8:
                candidates.append((score * 0.6, i, name))
                break
    candidates = [c for c in candidates if c[0] >= 0.5]
    if not candidates:
        return None, None
    score, index, name = max(candidates, key=lambda c: c[0])
    confidence = score * lines[index].confidence * (1.0 if intro is not None else 0.8)
    return Field(name, round(min(confidence, 1.0), 3)), index


# How far (in the name line's box heights) under a name line a wrapped family name
# may stand: the next line of the same print (the bench's widest spacing leaves a
# gap of one box height).
_WRAPPED_NAME_MAX_GAP = 1.5


def wrapped_family_name(lines: Sequence[TextLine], index: int, name: str) -> int | None:
    """The line under name line ``index`` that holds the family name, when the name was printed over two lines.

    A template with a fixed font size breaks a name too wide for its text
    box at its space, and the family name stands alone on the next line
    ("ว่าที่ร้อยตรีหญิงวารินทร์ทิพย์" / "เกียรติกิจวัฒนพาณิชย์").  Only for a name
    read without a family name, and a line close under it, before the
    completion phrase: one Thai word that is no wording of the certificate,
    or a line the first reading garbled ("สิริโ =- ฉ7 =็ม") printed as large
    as the name (see :func:`garbled_family_name`), which the name's re-read
    then reads from its crop.
    """
    person = split_name(name)
    following = index + 1
    # Pieces of the name's own row come first when layout analysis cut it up
    # ("จ่าอากาศเอกสันติ" | "น" | "กด"): the family name's line is below them.
    while following < len(lines) and _in_row_of(lines[index], lines[following]):
        following += 1
    if person is None or person.last or following >= len(lines):
        return None
    completion = find_phrase(lines, COMPLETION_PHRASES, threshold=0.8, start=following)
    if completion is None or completion.index == following:
        return None
    above, below = lines[index].box, lines[following].box
    if above is not None and below is not None:
        gap = below[1] - (above[1] + above[3])
        # The taller box measures the print: a name line read without its marks has a low one.
        if below[1] < above[1] + above[3] // 2 or gap > _WRAPPED_NAME_MAX_GAP * max(above[3], below[3]):
            return None
    word = clean_name_line(lines[following].text)
    if _one_thai_word(word) and not _is_stop_line(word):
        return following
    return following if garbled_family_name(lines[index], lines[following]) else None


def _in_row_of(line: TextLine, other: TextLine) -> bool:
    """Whether ``other`` starts above the middle of ``line``: a piece of its row, not a line under it."""
    return line.box is not None and other.box is not None and other.box[1] < line.box[1] + line.box[3] // 2


def _one_thai_word(text: str) -> bool:
    return " " not in text and len(text) >= 3 and all("\u0e01" <= c <= "\u0e4e" for c in text)


# A wrapped family name the first reading garbled is in print at least this share of the name
# line's height (the wording around a name is far smaller).
_SAME_PRINT_SHARE = 0.8


def garbled_family_name(name_line: TextLine, line: TextLine) -> bool:
    """Whether ``line``, under a name, is its family name that the first reading garbled.

    Seen on PDFs of a template printing the name in large gold letters: the
    family name's line came back as "สิริโ =- ฉ7 =็ม", so it was no Thai word
    and the name lost its family name.  Its place and size still say what it
    is, however sure the reading: "รุ่งเรืองทรัพย์ชัยกุล" came back at 0.86 as
    "รูง เรองทรพยชยกล", its marks lost and a space made.  Gold print in a
    screenshot can come back as Latin letters ("asludsauwus" for
    "สิริโชติรัตนพันธ์"), which count as letters too.
    """
    if name_line.box is None or line.box is None:
        return False
    if _one_thai_word(clean_name_line(line.text)):
        return False  # a word, however unsure: read as one (see wrapped_family_name)
    return line.box[3] >= _SAME_PRINT_SHARE * name_line.box[3] and any(c.isalpha() for c in line.text)


# --- course / curriculum title -------------------------------------------------------


def _is_stop_line(text: str) -> bool:
    """Lines that end a title: hours, date, completion wording, signatures."""
    squashed = squash(text)
    if not squashed:
        return True
    if hours_in_text(text) is not None:
        return True
    for phrases in (HOURS_PHRASES, DATE_PHRASES, COMPLETION_PHRASES):
        for phrase in phrases:
            if phrase_in_line(phrase, text)[0] >= 0.8:
                return True
    if find_dates(text):
        return True
    return False


def _is_junk(text: str) -> bool:
    """A line of OCR debris (decoration read as text): few letters."""
    letters = [c for c in text if c.isalnum() or is_thai_char(c)]
    return len(letters) < 3 or len(letters) < 0.5 * len(squash(text))


def _is_short_thai_tail(line: TextLine) -> bool:
    """A wrapped title's last word alone on its line ("ต้น" of "ระดับต้น", its tone mark maybe lost)."""
    text = squash(line.text)
    return 2 <= len(text) <= 6 and all("\u0e01" <= c <= "\u0e4e" for c in text) and line.confidence >= 0.7


# A title wraps in its own print: a wrapped line stands at least this share of
# the first line's height, and its letters are at least this share as wide.
_WRAPPED_LINE_MIN_SHARE = 0.5


def _is_much_smaller(line: TextLine, title: TextLine) -> bool:
    """Whether ``line`` is too small to be a wrapped line of the title printed on ``title``'s line.

    Both its box and its letters must be small: a watermark's edge or a speck
    read as a row of Latin letters ("Ae RP eee" in a box 50 px wide).  A
    short wrapped word without marks above or below ("การ") has a low box
    but letters as wide as the title's.
    """
    if line.box is None or title.box is None or not line.box[3] or not title.box[3]:
        return False
    pitch, title_pitch = (box[2] / max(1, len(squash(t.text))) for box, t in ((line.box, line), (title.box, title)))
    return line.box[3] < _WRAPPED_LINE_MIN_SHARE * title.box[3] and pitch < _WRAPPED_LINE_MIN_SHARE * title_pitch


_COHORT_END = re.compile(r"(?:รุ่น|ครั้ง)ที่?\s*$")


def _is_cohort_number(previous: str, line: TextLine) -> bool:
    """A cohort's number wrapped alone onto the title's next line ("… รุ่นที่" | "2"): few letters, yet no debris."""
    return (bool(_COHORT_END.search(previous)) and re.fullmatch(r"[0-9๐-๙]{1,3}", squash(line.text)) is not None
            and line.confidence >= 0.7)


def join_wrapped(parts: Sequence[str]) -> str:
    """Join a title printed over several lines: no space between Thai characters, else one space."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if out and is_thai_char(out[-1]) and is_thai_char(part[0]):
            out += part  # Thai has no spaces between words; a wrap is not a space
        elif out:
            out += " " + part
        else:
            out = part
    return collapse_spaces(out)


_TITLE_EDGE_JUNK = re.compile(r"^[\s\-–—:;.,'\"|_~*]+|[\s\-–—:;,'\"|_~*]+$")
# Specks and a screenshot's bar read after a Thai title ("…ระดับต้น oe. ocr ae 4"):
# two or more scraps of lower-case Latin, maybe with digits and dots between.
# An English title word is capitalised ("Design Thinking"), a cohort number
# follows "รุ่นที่", and neither is such a run.
_TRAILING_LATIN_SCRAPS = re.compile(r"(?<=[\u0e01-\u0e4e])(?:\s+(?:[a-z]{1,3}\.?|[0-9]|[.,:;])){2,}$")
_LOWER_LATIN_SCRAP = re.compile(r"(?<!\S)[a-z]{1,3}\.?(?!\S)")


def _clean_title(text: str) -> str:
    """Strip OCR debris and quotes around a title."""
    text = _TITLE_EDGE_JUNK.sub("", collapse_spaces(text))
    scraps = _TRAILING_LATIN_SCRAPS.search(text)
    if scraps and len(_LOWER_LATIN_SCRAP.findall(scraps.group())) >= 2:
        text = text[: scraps.start()]
    # Titles are often printed in quotes or brackets as a whole.
    if len(text) > 2 and text[0] in "\"'“" and text[-1] in "\"'”":
        text = text[1:-1].strip()
    # Misreads of its printed form: see repairs.titles.
    return mend_text("title", text)


def parse_title(
    lines: Sequence[TextLine], *, after: int | None = None
) -> tuple[Field[str] | None, Field[str] | None, list[str]]:
    """The course ("วิชา …") or curriculum ("หลักสูตร …") title, its kind, and the printed lines."""
    title, kind, printed, _ = _find_title(lines, after=after)
    return title, kind, printed


def _misread_course_word(text: str) -> int | None:
    """The offset after a "วิชา" misread by one letter ("จิชา"), when it stands as the line's first word.

    The keyword alone allows no edit, since titles start with words one letter
    from it; printed apart from the title by a space, a one-letter misread
    that is no dictionary word is the keyword.
    """
    m = re.match(r"\s*(\S{3,5})\s+(?=[\u0e01-\u0e4e])", text)
    if m is None or Levenshtein.distance(m.group(1), COURSE_WORD) != 1 or is_thai_word(m.group(1)):
        return None
    return m.end(1)


def _find_title(
    lines: Sequence[TextLine], *, after: int | None = None
) -> tuple[Field[str] | None, Field[str] | None, list[str], list[int]]:
    start = 0 if after is None else after + 1
    best: tuple[float, int, int, str] | None = None  # (score, line, offset, kind)
    for i in range(start, len(lines)):
        text = lines[i].text
        for word, kind in ((CURRICULUM_WORD, "curriculum"), (COURSE_WORD, "course")):
            off = _starts_with_word(text, word, max_edits=2 if len(word) >= 8 else 1 if len(word) > 4 else 0)
            if off is None and word == COURSE_WORD:
                off = _misread_course_word(text)
            if off is not None:
                exact = squash(text).startswith(word)
                score = 1.0 if exact else 0.85
                if best is None or score > best[0]:
                    best = (score, i, off, kind)
                break
        if best is not None and best[0] >= 1.0:
            break
    if best is None:
        # Older wording keeps the keyword inside the completion line:
        # "ได้ผ่านการอบรมหลักสูตร การเขียนหนังสือราชการ".
        for i in range(start, len(lines)):
            text = lines[i].text
            for word, kind in ((CURRICULUM_WORD, "curriculum"), (COURSE_WORD, "course")):
                pos = text.find(word)
                if pos > 0 and not text[pos + len(word):pos + len(word) + 1].strip() in ("ก", "า"):
                    best = (0.8, i, pos + len(word), kind)
                    break
            if best is not None:
                break
    if best is None:
        return _title_between_anchors(lines, start)
    score, index, offset, kind = best
    parts = [lines[index].text[offset:]]
    confs = [lines[index].confidence]
    used = [index]
    j = index + 1
    if not _clean_title(parts[0]):
        # The keyword stands alone on its line; the title is on the next one.
        parts = []
        confs = []
        while j < len(lines) and _is_junk(lines[j].text):
            j += 1
    # A long title wraps; take continuation lines until the hours/date lines.
    while j < len(lines) and len(parts) < 4:
        text = lines[j].text
        if _is_stop_line(text) or _is_signer_line(text):
            break
        if _is_junk(text) and not (parts and (_is_short_thai_tail(lines[j]) or _is_cohort_number(parts[-1], lines[j]))):
            j += 1
            continue
        if _is_much_smaller(lines[j], lines[index]) and not (parts and _is_cohort_number(parts[-1], lines[j])):
            j += 1  # a title wraps in its own size: this is a watermark's edge or a speck read as letters
            continue
        parts.append(text)
        confs.append(lines[j].confidence)
        used.append(j)
        j += 1
    printed = [_clean_title(p) for p in parts if _clean_title(p)]
    if not printed:
        return None, Field(kind, round(score, 3)), [], used
    title = _clean_title(join_wrapped(printed))
    conf = score * (sum(confs) / len(confs) if confs else 0.5)
    return Field(title, round(conf, 3)), Field(kind, round(score, 3)), printed, used


_LEADING_JUNK = re.compile(r"^[A-Za-z|/\\\[\]{}'\"`~!@#$%^&*_=+<>]{1,3}\s+(?=[\u0e01-\u0e4e])")


def _title_between_anchors(
    lines: Sequence[TextLine], start: int
) -> tuple[Field[str] | None, Field[str] | None, list[str], list[int]]:
    """No "วิชา"/"หลักสูตร" keyword readable: the lines between the completion phrase and the hours.

    The keyword itself is sometimes misread (as "In", say); the title still
    sits in its place, so it is taken from there with less confidence and an
    unknown kind.
    """
    completion = find_phrase(lines, COMPLETION_PHRASES, threshold=0.8, start=start)
    if completion is None:
        return None, None, [], []
    parts, confs, used = [], [], []
    closed = False
    for j in range(completion.index + 1, min(len(lines), completion.index + 5)):
        text = lines[j].text
        if _is_stop_line(text):
            closed = True
            break
        if _is_signer_line(text):
            break
        if _is_junk(text) and not (parts and _is_cohort_number(parts[-1], lines[j])):
            continue
        parts.append(_LEADING_JUNK.sub("", text))
        confs.append(lines[j].confidence)
        used.append(j)
    if not parts or not closed:
        return None, None, [], []  # no hours/date line closing it: not a title block
    printed = [_clean_title(p) for p in parts if _clean_title(p)]
    if not printed:
        return None, None, [], []
    title = _clean_title(join_wrapped(printed))
    return Field(title, round(0.6 * sum(confs) / len(confs), 3)), None, printed, used


# --- hours ----------------------------------------------------------------------------


def _to_number(text: str) -> float | None:
    """A printed number ("45", "1.5", "1,5") as float."""
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def hours_in_text(text: str) -> float | None:
    """Hours in a line like "(รวมระยะเวลาทั้งสิ้น 45 ชั่วโมง)", "12 ชม.", "2 ชั่วโมง 30 นาที", "90 นาที"."""
    text = mend_text("hours", normalize_thai(text))
    for m in _HOURS_RE.finditer(text):
        unit = m.group(2)
        is_abbrev = unit.startswith("ชม")
        if not is_abbrev and fuzz.ratio(unit[: len(_HOURS_UNIT) + 1], _HOURS_UNIT) < 70:
            continue
        value = _to_number(m.group(1))
        if value is None or not 0 < value <= 1000 or _LEADING_ZERO.match(m.group(1)):
            continue
        minutes = _MINUTES_RE.search(text, m.end())
        if minutes and minutes.start() - m.end() < 4:
            value += int(minutes.group(1)) / 60.0
        return round(value, 2)
    # Short partner modules print minutes only ("รวมระยะเวลาทั้งสิ้น 90 นาที"); without
    # this the number after the hours phrase would be taken as 90 hours.
    for m in _MINUTES_ONLY_RE.finditer(text):
        if fuzz.ratio(m.group(2)[: len(_MINUTES_UNIT)], _MINUTES_UNIT) < 70:
            continue
        minutes = int(m.group(1))
        if 0 < minutes <= 60_000:
            return round(minutes / 60.0, 2)
    return None


def parse_hours(lines: Sequence[TextLine]) -> Field[float] | None:
    """Total hours, preferring the "รวมระยะเวลา…" line."""
    return _find_hours(lines)[0]


def _find_hours(lines: Sequence[TextLine]) -> tuple[Field[float] | None, int | None]:
    anchor = find_phrase(lines, HOURS_PHRASES, threshold=0.8)
    order = list(range(len(lines)))
    if anchor is not None:
        order = [anchor.index, anchor.index + 1] + order
    for i in order:
        if i >= len(lines):
            continue
        value = hours_in_text(lines[i].text)
        if value is not None:
            near_anchor = anchor is not None and i in (anchor.index, anchor.index + 1)
            conf = lines[i].confidence * (1.0 if near_anchor else 0.75)
            return Field(value, round(conf, 3)), i
    if anchor is not None:
        # "รวมระยะเวลาทั้งสิ้น 45" with the unit lost to OCR: take the number after the phrase.
        rest = lines[anchor.index].text[anchor.end:]
        m = re.search(rf"({_NUMBER})", rest)
        if m:
            value = _to_number(m.group(1))
            if value is not None and 0 < value <= 1000:
                return Field(round(value, 2), round(0.6 * lines[anchor.index].confidence, 3)), anchor.index
    return None, anchor.index if anchor is not None else None


# --- completion date ------------------------------------------------------------------


def parse_date(lines: Sequence[TextLine]) -> Field[dt.date] | None:
    """The completion date: on the "ให้ไว้ ณ วันที่" line, else the last date on the page."""
    return _find_date(lines)[0]


def _find_date(lines: Sequence[TextLine]) -> tuple[Field[dt.date] | None, int | None]:
    anchor = find_phrase(lines, DATE_PHRASES, threshold=0.75)
    if anchor is not None:
        for i in (anchor.index, anchor.index + 1):
            if i >= len(lines):
                continue
            # The whole line: a fuzzy anchor match can end inside the day number.
            dates = find_dates(lines[i].text)
            if not dates and i == anchor.index:
                # The line may run on into the next (day on one line, year on the next).
                dates = find_dates(lines[i].text + " " + (lines[i + 1].text if i + 1 < len(lines) else ""))
            if dates:
                d = dates[0]
                return Field(d.value, round(d.confidence * lines[i].confidence, 3)), i
    found: list[tuple[int, float, dt.date]] = []
    for i, line in enumerate(lines):
        for d in find_dates(line.text):
            found.append((i, d.confidence * line.confidence, d.value))
    if not found:
        return None, anchor.index if anchor is not None else None
    # Course titles can hold a year ("พ.ร.บ. … พ.ศ. 2562") but not a full date;
    # of full dates, the completion date is printed last, above the signatures.
    i, conf, value = found[-1]
    return Field(value, round(conf * 0.8, 3)), i


# --- issuers --------------------------------------------------------------------------


def _ocsc_in_line(text: str) -> str | None:
    """The OCSC issuer name printed on a line, in its printed form, if it is one."""
    squashed = squash(text)
    if not squashed:
        return None
    if fuzz.ratio(squash(OCSC_FULL), squashed) >= 85 or (
        len(squashed) >= len(squash(OCSC_FULL)) and phrase_in_line(OCSC_FULL, text)[0] >= 0.9
        and not squashed.startswith("เลขาธิการ")
    ):
        return OCSC_FULL
    short = squash(OCSC_SHORT)
    if squashed.replace(",", ".").startswith(short) or fuzz.ratio(short, squashed.replace(",", ".")) >= 85:
        return OCSC_SHORT
    # "สำนักงาน" and a few unreadable characters: the short form "ก.พ." misread.
    if squashed.startswith("สำนักงาน") and 1 <= len(squashed) - len("สำนักงาน") <= 4 and thai_ratio(squashed[8:]) < 1:
        return OCSC_SHORT
    return None


def _org_line(text: str) -> str | None:
    """A line that reads as an organisation name, cleaned, else None."""
    text = _clean_title(text)
    squashed = squash(text)
    if len(squashed) < 4 or thai_ratio(text) < 0.7 or _is_signature_line(text):
        return None
    for word in ORG_WORDS:
        if squashed.startswith(word):
            return text
    return None


def parse_issuers(lines: Sequence[TextLine], *, before: int | None = None) -> Field[list[str]] | None:
    """Issuing organisations printed above the intro phrase: OCSC and a partner after "ร่วมกับ"."""
    # Without an intro line to stop at, issuers are in the top half.
    stop = min(len(lines), before) if before is not None else int(len(lines) * 0.5) + 1
    stop = min(stop, len(lines))
    issuers: list[str] = []
    confs: list[float] = []
    partner_from: int | None = None
    for i in range(0, stop):
        text = lines[i].text
        ocsc = _ocsc_in_line(text)
        if ocsc is not None and ocsc not in issuers:
            issuers.append(ocsc)
            confs.append(lines[i].confidence)
            continue
        score, end = phrase_in_line(PARTNER_PHRASES[0], text)
        if score >= 0.8 and len(squash(text)) <= len(squash(PARTNER_PHRASES[0])) + 40:
            rest = _clean_title(text[end:])
            if rest and len(squash(rest)) >= 4:
                issuers.append(rest)
                confs.append(lines[i].confidence)
            else:
                partner_from = i + 1
            continue
        if partner_from is not None and i >= partner_from:
            org = _clean_title(text)
            tokens = org.split()
            # Emblem and decoration fragments read as letters: unsure, or mostly one-letter tokens.
            if _is_junk(org) or lines[i].confidence < 0.7 or sum(len(t) <= 2 for t in tokens) > len(tokens) / 2:
                continue
            # A partner's name can wrap onto a second line.
            if i > partner_from and len(issuers) > 0 and issuers[-1] not in (OCSC_FULL, OCSC_SHORT):
                issuers[-1] = join_wrapped([issuers[-1], org])
            else:
                issuers.append(org)
                confs.append(lines[i].confidence)
            continue
    if not issuers:
        for i in range(0, stop):
            org = _org_line(lines[i].text)
            if org:
                issuers.append(org)
                confs.append(lines[i].confidence * 0.7)
                break
    if not issuers:
        return None
    return Field(issuers, round(sum(confs) / len(confs), 3))


# --- the whole page --------------------------------------------------------------------


def count_anchors(lines: Sequence[TextLine]) -> int:
    """How many distinct certificate phrases appear: 0–1 means this is not a certificate."""
    groups = (
        INTRO_PHRASES,
        COMPLETION_PHRASES,
        HOURS_PHRASES,
        DATE_PHRASES,
        CERTIFICATE_WORDS,
        (OCSC_FULL,),
    )
    hits = sum(1 for g in groups if find_phrase(lines, g, threshold=0.8) is not None)
    if any(_ocsc_in_line(line.text) for line in lines):
        hits += 1
    return hits


def parse_fields(lines: Sequence[TextLine]) -> ParsedFields:
    """Parse all fields from the normalised lines of one certificate page."""
    lines = [line for line in lines if line.text.strip()]
    out = ParsedFields(lines=lines)
    out.anchors = count_anchors(lines)
    out.name, name_index = parse_name(lines)
    name_idx = [name_index]
    family_index = wrapped_family_name(lines, name_index, out.name.value) if out.name is not None else None
    if family_index is not None:
        if not garbled_family_name(lines[name_index], lines[family_index]):  # a garbled one is left to the re-read
            name = tidy_name_line(f"{out.name.value} {lines[family_index].text}")
            out.name = Field(name, min(out.name.confidence, lines[family_index].confidence))
        name_idx.append(family_index)
    out.title, out.kind, out.title_lines, title_idx = _find_title(lines, after=name_idx[-1])
    if out.title is None and name_index is not None:
        out.title, out.kind, out.title_lines, title_idx = _find_title(lines)
    out.hours, hours_index = _find_hours(lines)
    out.completed_on, date_index = _find_date(lines)
    for key, idx in (("name", name_idx), ("title", title_idx), ("hours", [hours_index]),
                     ("completed_on", [date_index])):
        out.sources[key] = [i for i in idx if i is not None]
    intro = find_phrase(lines, INTRO_PHRASES, threshold=0.8)
    before = intro.index if intro is not None else name_index
    out.issuers = parse_issuers(lines, before=before)
    return out


def lines_from_text(text: str, confidence: float = 1.0) -> list[TextLine]:
    """Split plain text (a PDF text layer, a test string) into normalised lines."""
    out = []
    for raw in text.splitlines():
        norm = normalize_thai(raw)
        if norm:
            out.append(TextLine(norm, confidence))
    return out
