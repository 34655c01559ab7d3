"""Thai text normalisation for OCR output and printed titles.

Tesseract (and PDF text layers) produce Thai that is visually right but
encoded in many ways: sara am decomposed into nikhahit + sara aa, tone marks
before vowels, doubled marks, Thai digits, zero-width characters.  Everything
the reader compares or returns passes through :func:`normalize_thai` first.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable

from pythainlp.util import normalize as _pythainlp_normalize

from .repairs.lookalikes import ONE_LOOKALIKE_CLASS

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_DIGIT_TABLE = str.maketrans(THAI_DIGITS, "0123456789")

# Zero-width and BOM characters that copy/paste and PDF text layers leave behind.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# Punctuation OCR invents from look-alikes; map to one form so regexes stay simple.
_PUNCT_TABLE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\uff08": "(",
        "\uff09": ")",
    }
)


def thai_digits_to_ascii(text: str) -> str:
    """Replace Thai digits ๐–๙ with ASCII 0–9."""
    return text.translate(_DIGIT_TABLE)


# A "1" read as a bracket or letter beside the digit it belongs to: "]8" for 18, "3]" for 31.
_ONE_LOOKALIKE = re.compile(rf"(?<![A-Za-z]){ONE_LOOKALIKE_CLASS}(?=[0-9])|(?<=[0-9]){ONE_LOOKALIKE_CLASS}(?![A-Za-z])")


def latin_ones(text: str) -> str:
    """A "1" that OCR read as a bracket or letter next to a digit, made a "1" again (one for one)."""
    return _ONE_LOOKALIKE.sub("1", text)


def collapse_spaces(text: str) -> str:
    """Collapse runs of horizontal whitespace to one space and strip the ends."""
    return _SPACES.sub(" ", text).strip()


def normalize_thai(text: str) -> str:
    """Normalise one line: NFC, sara am, mark order, Thai digits, invisible chars, spaces."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = text.translate(_PUNCT_TABLE)
    # PyThaiNLP fixes decomposed sara am ("ํา" -> "ำ"), tone/vowel order and
    # duplicated marks; it works per character so it is safe on mixed Thai/Latin.
    text = _pythainlp_normalize(text)
    text = latin_ones(thai_digits_to_ascii(text))
    # A space before a combining mark is never meaningful; OCR sometimes emits it.
    text = re.sub(r" +([\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])", r"\1", text)
    return collapse_spaces(text)


def normalize_text(text: str) -> str:
    """Normalise multi-line text line by line, dropping empty lines."""
    lines = (normalize_thai(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def squash(text: str) -> str:
    """Remove all whitespace: Thai OCR inserts spurious spaces, so fuzzy anchors compare squashed text."""
    return re.sub(r"\s+", "", text)


def is_thai_char(ch: str) -> bool:
    """True for a character in the Thai block (letters, vowels, marks, digits)."""
    return "\u0e00" <= ch <= "\u0e7f"


def is_thai_letter(ch: str) -> bool:
    """True for a Thai letter, vowel or mark (the Thai block without its digits and signs)."""
    return "\u0e01" <= ch <= "\u0e4e"


def thai_ratio(text: str) -> float:
    """Share of non-space characters that are Thai."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if is_thai_char(c)) / len(chars)


_ABOVE_BELOW = set("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47")
_TONES = set("\u0e48\u0e49\u0e4a\u0e4b")
_MARKS = _ABOVE_BELOW | _TONES | {"\u0e4c", "\u0e4d", "\u0e4e"}
_CONSONANTS = {chr(c) for c in range(0x0E01, 0x0E2F)}


def invalid_thai_sequences(text: str) -> int:
    """Count spelling impossibilities that betray OCR errors ("ภูุ", a mark with no consonant).

    Thai allows one above/below vowel and one tone mark per consonant; a
    combining mark must follow a consonant (or another mark on it).
    """
    bad = 0
    prev = " "
    vowel_seen = tone_seen = False
    for ch in text:
        if ch in _MARKS:
            if prev not in _CONSONANTS and prev not in _MARKS and prev != "\u0e2f":
                bad += 1
            if ch in _ABOVE_BELOW:
                bad += vowel_seen
                vowel_seen = True
            elif ch in _TONES:
                bad += tone_seen
                tone_seen = True
        else:
            vowel_seen = tone_seen = False
        prev = ch
    return bad


def drop_stray_consonants(text: str) -> str:
    """Remove lone consonants OCR inserted between two dictionary words of a title.

    Tesseract sometimes reads the start of a syllable with an upper vowel as an
    extra consonant ("สารบรรณลอิเล็กทรอนิกส์").  A bare consonant is not a
    Thai word; between two real words it is debris.  Only for titles: names
    are not dictionary words.
    """
    from pythainlp.corpus import thai_words
    from pythainlp.tokenize import word_tokenize

    words = thai_words()
    tokens = word_tokenize(text, engine="newmm", keep_whitespace=True)
    out = []
    for i, tok in enumerate(tokens):
        stray = (
            len(tok) == 1
            and tok in _CONSONANTS
            and tok not in words
            and 0 < i < len(tokens) - 1
            and len(tokens[i - 1]) >= 2
            and len(tokens[i + 1]) >= 2
            and tokens[i - 1] in words
            and tokens[i + 1] in words
        )
        if not stray:
            out.append(tok)
    return "".join(out)


@functools.lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return frozenset(thai_words())


def load_word_lists() -> None:
    """Load PyThaiNLP's dictionary and the corpus word frequencies now (they load on first use otherwise)."""
    _dictionary()
    _word_frequencies()


def is_thai_word(text: str) -> bool:
    """True when ``text`` is a word of PyThaiNLP's Thai dictionary."""
    return text in _dictionary()


def share_in_words(text: str) -> float:
    """The share of ``text``'s Thai letters that maximal matching places in dictionary words (1.0 without Thai)."""
    from pythainlp.tokenize import word_tokenize

    words = _dictionary()
    letters = placed = 0
    for token in word_tokenize(text, engine="newmm", keep_whitespace=False):
        count = sum(1 for c in token if is_thai_char(c))
        letters += count
        placed += count if token in words else 0
    return placed / letters if letters else 1.0


def thai_word_cost(text: str) -> int:
    """How far the Thai in ``text`` is from plain dictionary words: lower reads more like real words.

    Course titles are made of ordinary words.  A misread letter breaks a
    word into more, shorter pieces under maximal matching (PyThaiNLP newmm:
    "การออกแบบ" is two pieces, "ถารออกแบน" four) or leaves letters no word
    covers ("พืฐาน"); the cost counts the pieces plus every letter outside
    dictionary words, so among OCR readings the likelier one costs less.
    """
    return int(_word_cost(text, lambda _word: 0.0))


# Words at least this frequent in the Thai National Corpus count as common.
_COMMON_FREQUENCY = 1000
# The rarity of a dictionary word the corpus list lacks (mostly compounds,
# "ภาครัฐ", which the corpus counts as their parts).
_UNLISTED_RARITY = 1.0


@functools.lru_cache(maxsize=1)
def _word_frequencies() -> dict[str, int]:
    from pythainlp.corpus import tnc

    return dict(tnc.word_freqs())


def _rarity(word: str) -> float:
    freq = _word_frequencies().get(word)
    return _UNLISTED_RARITY if freq is None else max(0.0, math.log10(_COMMON_FREQUENCY / freq))


def title_word_cost(text: str) -> float:
    """:func:`thai_word_cost`, plus how rare each word is: lower reads more like a course title.

    A misread letter often makes another real but rare word ("ยุด" for
    "ยุค", "เซิง" for "เชิง", "ย้า" for "ข้า"), which the plain cost cannot
    tell apart.  Each word adds log10 of how much rarer than common it is in
    the Thai National Corpus (0 for common words, about 1.1 for "ยุด").
    """
    return _word_cost(text, _rarity)


# A run of print that is not Thai: a Latin word, a number, punctuation.
_NON_THAI_RUN = re.compile(r"[^\s\u0e00-\u0e7f]+")
_LATIN_LETTERS = re.compile(r"[A-Za-z]")


@functools.lru_cache(maxsize=4096)
def title_word_costs(text: str) -> tuple[float, float]:
    """``(title_word_cost, thai_word_cost)`` of ``text``, with non-Thai print costed too.

    Two ways, since the corpus counts some compounds as their parts: a
    misread letter can split a word into two common ones at no rarity cost
    ("ที่ประชุม" read "ทีประชุม"), which the plain piece count still sees.
    Non-Thai print costs nothing in either, so Latin junk ("cu" for "ต้น",
    "sun" for "รุ่นที่", "หลักสู35") would read better than any Thai: each run
    of it is one piece more, and its Latin letters one each, as letters
    outside dictionary words are.
    """
    other = sum(1 + len(_LATIN_LETTERS.findall(run)) for run in _NON_THAI_RUN.findall(text))
    return title_word_cost(text) + other, float(thai_word_cost(text) + other)


# Letters and marks a one-letter repair may put in (Thai consonants, vowels, tone marks).
_REPAIR_LETTERS = tuple(chr(c) for c in range(0x0E01, 0x0E3B)) + tuple(chr(c) for c in range(0x0E40, 0x0E4E))
# A longer unknown piece is no one-letter slip, and its repairs would cost too much to try.
_REPAIR_MAX_LETTERS = 12
# A dictionary word this rare (see _rarity) and short is as suspect as no word:
# "บร" (1.3), where a slip cut "สารบรรณ"; common short words cost 0.
_RARE_PIECE, _RARE_PIECE_MAX_LETTERS = 1.0, 3


def one_letter_word_repairs(text: str) -> set[str]:
    """``text`` with one piece that is no word, or a short rare one, mended by one letter into dictionary words.

    A letter misread as one no look-alike pair covers leaves a piece
    maximal matching cannot place ("รุ่แที่" for "รุ่นที่", "เจิน" in
    "การบริหารเจินสำหรับ").  Each such piece is tried with one letter put
    in, dropped or replaced; the repairs that split into dictionary words
    are the candidates (the line network then judges them).  The slip may
    instead leave short rare words that the words beside it complete
    ("สารบรรถ" splits as "สาร|บร|รถ"): such a piece is also mended together
    with the word before it, after it, or both.
    """
    from pythainlp.tokenize import word_tokenize

    words = _dictionary()

    def all_words(piece: str) -> bool:
        return all(t in words for t in word_tokenize(piece, engine="newmm", keep_whitespace=False))

    def thai(i: int) -> bool:
        return 0 <= i < len(tokens) and bool(tokens[i].strip()) and all(map(is_thai_char, tokens[i]))

    tokens = word_tokenize(text, engine="newmm", keep_whitespace=True)
    out = set()
    for i, tok in enumerate(tokens):
        if not thai(i):
            continue
        if tok in words:
            if len(tok) > _RARE_PIECE_MAX_LETTERS or _rarity(tok) < _RARE_PIECE:
                continue
            before, after = thai(i - 1), thai(i + 1)
            spans = {(i - before, i), (i, i + after), (i - before, i + after)} - {(i, i)}
        else:
            spans = {(i, i)}
        for lo, hi in spans:
            piece = "".join(tokens[lo:hi + 1])
            if len(piece) > _REPAIR_MAX_LETTERS:
                continue
            head, tail = "".join(tokens[:lo]), "".join(tokens[hi + 1:])
            out.update(head + edit + tail for edit in _one_letter_edits(piece) if all_words(edit))
    return out


def _one_letter_edits(piece: str) -> set[str]:
    """``piece`` with one letter dropped, put in or replaced, every way there is."""
    edits = {piece[:k] + piece[k + 1:] for k in range(len(piece))}
    for k in range(len(piece) + 1):
        edits.update(piece[:k] + ch + piece[k:] for ch in _REPAIR_LETTERS)
        if k < len(piece):
            edits.update(piece[:k] + ch + piece[k + 1:] for ch in _REPAIR_LETTERS)
    edits.discard(piece)
    return edits


def _word_cost(text: str, rarity: Callable[[str], float]) -> float:
    from pythainlp.tokenize import word_tokenize

    words = _dictionary()
    cost = 0.0
    for token in word_tokenize(text, engine="newmm", keep_whitespace=False):
        letters = sum(1 for c in token if is_thai_char(c))
        if letters:
            cost += 1 + (rarity(token) if token in words else letters)
    return cost
