"""Learner names: Thai titles and ranks, and splitting "title + first + last".

Thai names are printed with the title glued to the first name
("นายสมชาย รักเรียน"), or, for ranks and abbreviations, sometimes spaced
("ว่าที่ ร.ต. สมชาย ใจดี").  These helpers recognise the title without a
dictionary of given names, so any name can be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .repairs.lookalikes import TITLE_WORD_LOOKALIKES
from .thai_text import collapse_spaces, is_thai_char

# Longest first, so "นางสาว" wins over "นาง" and "ว่าที่ร้อยตรีหญิง" over "ว่าที่ร้อยตรี".
_TITLE_WORDS = [
    # civil
    "นาย", "นาง", "นางสาว", "น.ส.", "ด.ช.", "ด.ญ.", "เด็กชาย", "เด็กหญิง",
    # academic and professional
    "ดร.", "ศาสตราจารย์", "รองศาสตราจารย์", "ผู้ช่วยศาสตราจารย์",
    "ศ.", "รศ.", "ผศ.", "ศ.ดร.", "รศ.ดร.", "ผศ.ดร.",
    "นายแพทย์", "แพทย์หญิง", "นพ.", "พญ.", "ทันตแพทย์", "ทพ.", "ทพญ.",
    "เภสัชกร", "ภก.", "ภญ.",
    # acting officer ranks (reserve): spelled out and abbreviated
    "ว่าที่ร้อยตรี", "ว่าที่ร้อยตรีหญิง", "ว่าที่ร้อยโท", "ว่าที่ร้อยโทหญิง", "ว่าที่ร้อยเอก",
    "ว่าที่ ร.ต.", "ว่าที่ร.ต.", "ว่าที่ ร.ต.หญิง", "ว่าที่ร.ต.หญิง", "ว่าที่ ร.ท.", "ว่าที่ ร.อ.",
    # army
    "สิบตรี", "สิบโท", "สิบเอก", "จ่าสิบตรี", "จ่าสิบโท", "จ่าสิบเอก",
    "ร้อยตรี", "ร้อยโท", "ร้อยเอก", "พันตรี", "พันโท", "พันเอก",
    "พลตรี", "พลโท", "พลเอก",
    "ส.ต.", "ส.ท.", "ส.อ.", "จ.ส.ต.", "จ.ส.ท.", "จ.ส.อ.",
    "ร.ต.", "ร.ท.", "ร.อ.", "พ.ต.", "พ.ท.", "พ.อ.", "พล.ต.", "พล.ท.", "พล.อ.",
    # navy
    "จ่าตรี", "จ่าโท", "จ่าเอก", "พันจ่าตรี", "พันจ่าโท", "พันจ่าเอก",
    "เรือตรี", "เรือโท", "เรือเอก", "นาวาตรี", "นาวาโท", "นาวาเอก",
    "จ.ต.", "จ.ท.", "จ.อ.", "ร.ต.", "ร.ท.", "ร.อ.", "น.ต.", "น.ท.", "น.อ.",
    # air force
    "เรืออากาศตรี", "เรืออากาศโท", "เรืออากาศเอก", "นาวาอากาศตรี", "นาวาอากาศโท", "นาวาอากาศเอก",
    "พันจ่าอากาศเอก", "จ่าอากาศเอก", "ร.ต.อ.", "ร.อ.ท.", "ร.อ.อ.", "น.อ.ต.", "น.อ.ท.", "น.อ.อ.",
    # police
    "สิบตำรวจตรี", "สิบตำรวจโท", "สิบตำรวจเอก", "จ่าสิบตำรวจ", "ดาบตำรวจ",
    "ร้อยตำรวจตรี", "ร้อยตำรวจโท", "ร้อยตำรวจเอก", "พันตำรวจตรี", "พันตำรวจโท", "พันตำรวจเอก",
    "พลตำรวจตรี", "พลตำรวจโท", "พลตำรวจเอก",
    "ส.ต.ต.", "ส.ต.ท.", "ส.ต.อ.", "จ.ส.ต.", "ด.ต.", "ร.ต.ต.", "ร.ต.ท.", "ร.ต.อ.",
    "พ.ต.ต.", "พ.ต.ท.", "พ.ต.อ.", "พล.ต.ต.", "พล.ต.ท.", "พล.ต.อ.",
    # nobility and clergy, rare but valid
    "หม่อมหลวง", "หม่อมราชวงศ์", "ม.ล.", "ม.ร.ว.", "พระ", "พระครู",
]
# Female officers print a spelled-out rank with a trailing หญิง ("ว่าที่ร้อยเอกหญิง",
# "พันจ่าอากาศเอกหญิง"): read without it, the rank leaves "หญิง" at the head of the given name.
_SPELLED_RANKS = [t for t in _TITLE_WORDS[_TITLE_WORDS.index("ว่าที่ร้อยตรี") : _TITLE_WORDS.index("หม่อมหลวง")]
                  if "." not in t and " " not in t and not t.endswith("หญิง")]
_TITLE_WORDS += [f"{rank}หญิง" for rank in _SPELLED_RANKS]
# "หญิง" after a spelled rank as OCR misreads it: ญ as ณ or ย, ิ as ี.
_FEMALE_MARK_MISREADS = frozenset({"หณิง", "หยิง", "หญีง"})
# Titles of a length keep the list's order, commoner first within a group:
# a misread rank that fits several ("ว่าที่ ร.3.") is read as the commonest (ร.ต.).
TITLES: tuple[str, ...] = tuple(sorted(dict.fromkeys(_TITLE_WORDS), key=len, reverse=True))
# Compare titles with spaces removed: "ว่าที่ ร.ต." and "ว่าที่ร.ต." are the same title.
_SQUASHED_TITLES = tuple(sorted(dict.fromkeys(t.replace(" ", "") for t in _TITLE_WORDS), key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class PersonName:
    """A name split into its parts; ``full`` is the line as printed (spaces normalised)."""

    full: str
    title: str | None
    first: str
    last: str


_GLUED_TITLES = frozenset(t for t in TITLES if " " not in t and "." not in t)


def cannot_start_word(ch: str) -> bool:
    """Thai vowels and marks that attach to a preceding consonant cannot start a name."""
    return ch in "\u0e30\u0e31\u0e32\u0e33\u0e45" or "\u0e34" <= ch <= "\u0e3a" or "\u0e47" <= ch <= "\u0e4e"


def leading_title(text: str) -> str | None:
    """The title the text starts with (compared ignoring spaces), as printed, or None."""
    squashed = text.replace(" ", "")
    consumed = 0
    while True:
        rest = squashed[consumed:]
        for title in _SQUASHED_TITLES:
            # After the first title only dotted abbreviations may follow
            # ("ว่าที่ ร.ต. ดร."): a given name can start with "พระ" or "นาง"
            # but never contains a dot.  A title must leave a name behind it.
            if consumed and not title.endswith("."):
                continue
            if rest.startswith(title) and len(rest) > len(title) and not cannot_start_word(rest[len(title)]):
                consumed += len(title)
                break
        else:
            break
    if not consumed:
        return None
    # Map the squashed prefix back onto the printed text to keep its spacing.
    count = 0
    for i, ch in enumerate(text):
        if ch != " ":
            count += 1
            if count == consumed:
                return text[: i + 1].strip()
    return text.strip()


def split_name(line: str) -> PersonName | None:
    """Split a printed name into title, first and last name; None if it has no letters."""
    full = collapse_spaces(line)
    if not any(c.isalpha() for c in full):
        return None
    title = leading_title(full)
    rest = full[len(title):].strip() if title else full
    parts = rest.split(" ")
    if len(parts) == 1:
        return PersonName(full, title, parts[0], "")
    return PersonName(full, title, parts[0], " ".join(parts[1:]))


_NAME_JUNK = re.compile(r"^[^\u0e01-\u0e4eA-Za-z]+|[^\u0e01-\u0e4eA-Za-z.)]+$")


def clean_name_line(line: str) -> str:
    """Strip OCR debris (quotes, dashes, stray digits) around a printed name."""
    line = _NAME_JUNK.sub("", collapse_spaces(line))
    line = re.sub(r"\.{2,}", ".", line)  # "ร.ต.." : a speck read as a second dot
    # Single stray Latin letters next to Thai text are speckles read as text.
    tokens = [t for t in line.split(" ") if not (len(t) <= 2 and t.isascii() and t.isalpha() and t.lower() not in {"de", "la"})]
    # A bracket with no partner in its word is a speck or a frame edge ("(พลชมชื่น").
    tokens = [_drop_unpaired_brackets(t) for t in tokens]
    line = " ".join(t for t in tokens if t)
    # An abbreviated title whose dot was lost reads as a word of its own ("ดร จีพร เรี่ยวยา"):
    # with a given and a family name after it, it can only be the title.
    first, _, rest = line.partition(" ")
    if len(rest.split(" ")) == 2 and not first.endswith(".") and leading_title(f"{first}.ก") == f"{first}.":
        line = f"{first}.{rest}"
    # A dotted title is written against the given name ("ดร.จีพร"), as official Thai
    # style has it; OCR often sees a gap after the small dot ("ดร. จีพร เรี่ยวยา").
    elif len(rest.split(" ")) == 2 and first.endswith(".") and leading_title(f"{first}ก") == first:
        line = f"{first}{rest}"
    # A gap OCR saw inside an undotted title ("นาง สาวกฤติภาส สุขอาษา"): official
    # print glues such a title to the given name, and no given name starts "สาว"
    # after "นาง" more often than a gap splits "นางสาว".
    title = leading_title(line)
    if title and " " in title and title.replace(" ", "") in _GLUED_TITLES and len(line[len(title):].split()) == 2:
        line = title.replace(" ", "") + line[len(title):]
    # A gap OCR saw after a dot inside an abbreviated title ("ว่าที่ ร. ต."): abbreviations
    # are printed without one.
    title = leading_title(line)
    if title and re.search(r"\.\s+\S", title):
        line = re.sub(r"\.\s+(?=\S)", ".", title) + line[len(title):]
    # One letter of debris before a title ("ตดร.", "พนาง…", a speck or the sheet's edge): no
    # name starts that way.  An undotted title must leave a given and a family name behind it.
    if not leading_title(line) and len(line) > 1:
        title = leading_title(line[1:])
        if title and ("." in title or len(line[1 + len(title):].split()) == 2):
            line = line[1:]
    return line


def _drop_unpaired_brackets(token: str) -> str:
    for opening, closing in ("()", "[]"):
        if (opening in token) != (closing in token):
            token = token.replace(opening, "").replace(closing, "")
    return token


def looks_like_name(line: str) -> float:
    """Score 0–1 for how much a line looks like a Thai personal name."""
    line = collapse_spaces(line)
    if not line or len(line) < 4 or len(line) > 70:
        return 0.0
    letters = [c for c in line if not c.isspace()]
    thai = sum(1 for c in letters if is_thai_char(c) or c in ".()")
    latin = sum(1 for c in letters if c.isascii() and c.isalpha())
    if thai + latin < 0.9 * len(letters):
        return 0.2
    parts = line.split(" ")
    score = 0.5
    if leading_title(line):
        score += 0.3
    if 2 <= len(parts) <= 5:
        score += 0.2
    elif len(parts) > 6:
        score -= 0.3
    return max(0.0, min(1.0, score))


def _near_title(squashed: str) -> tuple[str, int] | None:
    """A long title the text starts with, allowing an OCR slip or two: (title, squashed length used)."""
    from rapidfuzz.distance import Levenshtein

    def decompose(s: str) -> str:
        # "ำ" and "่า" differ by one stroke on paper but two code points: compare decomposed.
        return s.replace("\u0e33", "\u0e4d\u0e32")

    best: tuple[int, int, str, int] | None = None  # (-title length, distance, title, length used)
    for title in _SQUASHED_TITLES:
        # Short titles ("นาย"/"นาง") are one letter apart from each other: never guess those.
        if len(title) < 5:
            continue
        target = decompose(title)
        allowed = 2 if len(title) >= 10 else 1
        for length in range(len(title) - 2, len(title) + 2):
            if length <= 0 or length >= len(squashed) or cannot_start_word(squashed[length]):
                continue
            distance = Levenshtein.distance(decompose(squashed[:length]), target)
            if distance > allowed:
                continue
            # Longest title first, then the closest reading of it.
            key = (-len(title), distance, title, length)
            if best is None or key[:2] < best[:2]:
                best = key
    return (best[2], best[3]) if best else None




def _lookalike(a: str, b: str) -> bool:
    return any(a in group and b in group for group in TITLE_WORD_LOOKALIKES)


def _near_short_title(squashed: str) -> tuple[str, int] | None:
    """A short title ("นาง", "ดร.") the text starts with but for one look-alike letter, if only one fits.

    Short titles are a letter apart from each other, so only a letter of
    similar shape counts as a slip, and the guess is made only when one
    title fits and a given and a family name follow (see :func:`fix_title`).
    """
    fits = []
    for title in _SQUASHED_TITLES:
        if len(title) >= 5 or len(squashed) <= len(title) or cannot_start_word(squashed[len(title)]):
            continue
        slips = [(a, b) for a, b in zip(squashed, title) if a != b]
        if len(slips) == 1 and _lookalike(*slips[0]):
            fits.append(title)
    return (fits[0], len(fits[0])) if len(fits) == 1 else None


def fix_title(name: str) -> str:
    """Snap a misread title to the closed list ("จำเอก" -> "จ่าเอก", "พาง" -> "นาง"); other names unchanged."""
    title = leading_title(name)
    if title:
        return _female_rank_mended(name, title)
    squashed = name.replace(" ", "")
    if squashed.startswith(("ที่ร้อย", "ที่ร.")):
        # "ว่า" of "ว่าที่ร้อยตรี" lost (cropped or faint): no title starts "ที่".
        restored = "ว่า" + name.lstrip()
        if leading_title(restored):
            return restored
    near = _near_title(squashed)
    short = near is None
    if short:
        near = _near_short_title(squashed)
    if near is None:
        return name
    title, used = near
    # Re-attach the rest of the printed text after the characters the title used.
    count, cut = 0, len(name)
    for i, ch in enumerate(name):
        if ch != " ":
            count += 1
            if count == used:
                cut = i + 1
                break
    printed = next(t for t in TITLES if t.replace(" ", "") == title)
    rest = name[cut:]
    if short and len(rest.split()) != 2:
        return name  # a short title is guessed only with a given and a family name behind it
    return collapse_spaces(printed + (" " if printed.endswith(".") and " " in printed else "") + rest.lstrip()) if rest.startswith(" ") and not printed.endswith(".") else collapse_spaces(printed + rest)


def _female_rank_mended(name: str, title: str) -> str:
    """A spelled rank whose "หญิง" came back one letter off ("ว่าที่ร้อยตรีหณิงสุมานัส"), with "หญิง" put back.

    The rank alone is a title too, so the slip would pass as the head of
    the given name; no given name starts with these misreads.
    """
    if title not in _SPELLED_RANKS:
        return name
    rest = name[len(title):].lstrip()
    return f"{title}หญิง{rest[4:]}" if rest[:4] in _FEMALE_MARK_MISREADS and len(rest) > 4 else name


def tidy_name_line(line: str) -> str:
    """A name line as the parser keeps it: debris stripped, a misread title snapped, split parts rejoined."""
    return rejoin_split_parts(fix_title(clean_name_line(line)))


def rejoin_split_parts(name: str) -> str:
    """Join a name part OCR split off as a lone consonant ("แพรไพศา ล" -> "แพรไพศาล").

    A Thai name part is at least a syllable; a single consonant with marks
    alone is a split, except the particle "ณ" of surnames like "ณ อยุธยา".
    """
    parts = name.split(" ")
    out: list[str] = []
    for part in parts:
        core = "".join(c for c in part if not cannot_start_word(c) and c not in "\u0e48\u0e49\u0e4a\u0e4b\u0e4c")
        if out and len(core) == 1 and "\u0e01" <= core <= "\u0e2e" and part != "ณ":
            out[-1] += part
        else:
            out.append(part)
    return " ".join(out)
