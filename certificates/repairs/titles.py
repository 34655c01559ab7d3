"""Repairs of course titles: the line network's spelling check, Latin words, and printed-form slips.

Line repairs run on title lines re-read with their page reading; text
repairs run where the parser cleans a title (``fields``), on the page
reading and the text layer too.
"""

from __future__ import annotations

import re

import numpy as np

from ..ocr import ENGLISH_ONLY, OcrUnavailable, line_words
from ..spelling_check import best_spelling
from ..thai_text import (
    is_thai_char,
    is_thai_letter,
    one_letter_word_repairs,
    share_in_words,
    title_word_cost,
    title_word_costs,
)
from . import LineUnderRepair, repair, text_repair
from .lookalikes import AS_ROUND_BRACKETS, TITLE_LOOKALIKES

# The title word cost's weight beside the line network's likelihood, for title lines.
TITLE_PRIOR_WEIGHT = 2.0
_LATIN_LETTER = re.compile(r"[A-Za-z]")
# A Latin word as printed in a title: "(Advanced)", "Skill)", "Google".
_LATIN_WORD = re.compile(r"[(\[]?[A-Za-z][A-Za-z'&-]+[)\]]?[.,:]?")
# How sure the English model must be of a Latin word to take it (0–100); on
# Thai letters it reads junk at 0–70.
LATIN_WORD_CONFIDENCE = 85.0
# Thai characters glued after a garbled word that are taken as words of their own, at least.
_GLUED_THAI_MIN = 6
# Letters two pieces of a row cut by layout analysis may both hold (see joined_pieces):
# fewer could be a real repeat ("หลักการ|การสื่อสาร").
_MIN_OVERLAP, _MAX_OVERLAP = 4, 12
# "รุ่นที่ 2", "ครั้งที่ 3": before a number "ที" is always "ที่"; OCR often drops its
# small tone mark, and no word prior can restore it ("ที" is a word too).
_ORDINAL_LOST_MARK = re.compile(r"(รุ่น|ครั้ง)ที(?=\s*[0-9๐-๙])")
# "รุ่นที่ 2" closing a Thai title, read as a short Latin word: "gun 2", "suf 2", "Su 2".
# Not in capitals: an acronym ("ERP 2") is a word of the title.
_COHORT_AS_LATIN = re.compile(r"(?<=[\u0e01-\u0e4e]) [A-Za-z][a-z]{1,3} ([0-9]{1,2})$")
# "รุ่นที่ 2" closing a title with its vowel, tone mark or final น misread: "รู่ที่ 2", "รุนที่ 2".
_COHORT_MISSPELT = re.compile(r"(?<= )ร[ุู][่้]?น?ที่?(?=\s*[0-9๐-๙]{1,2}$)")
# A lone digit before a title's first word (two Thai letters at least, so "5 ส" stays).
_DIGIT_BEFORE_TITLE = re.compile(r"^[0-9๐-๙]\s+(?=[\u0e01-\u0e2e\u0e40-\u0e44][\u0e01-\u0e4e])")
# "หลักสูตรนักบริหาร รุ่นที่ 5": the cohort is set apart from the title by a space, which OCR may lose.
_ORDINAL_GLUED = re.compile(r"(?<=[\u0e01-\u0e4e])((?:รุ่น|ครั้ง)ที่\s*[0-9๐-๙])")
# "ผู้บริหารระดับต้น" (junior executives) ends many titles; OCR reads its mai tho
# as mai han-akat or its ต as ด, and "ตัน" (a ton) and "ดัน" (to push) are words
# too, so no word prior restores it.
_LEVEL_TON = re.compile(r"ระดับ(?:ตัน|ด้น|ดัน)(?![\u0e01-\u0e4e])")


# --- line repairs ---------------------------------------------------------------------------


@repair(roles=("title",), order=10)
def title_spelling_checked(line: LineUnderRepair) -> str:
    """A letter misread alike in every reading of a title line ("ภาครัช", "ยุด" for "ยุค"), spotted by the line network.

    A title not in the catalog is kept as printed, so such a letter would
    stay.  The prior weighs how rare each word is, since such misreads are
    often real but rare words; a letter misread into no look-alike
    ("รุ่แที่") leaves a piece that is no word, or short rare ones ("สาร|บร|รถ"
    for "สารบรรณ"), and their one-letter repairs are candidates too.
    """
    if line.reread != "title":
        return line.text
    return best_spelling(line.crop, line.text, list(line.readings), prior=title_word_cost, weight=TITLE_PRIOR_WEIGHT,
                         swaps=TITLE_LOOKALIKES, repairs=one_letter_word_repairs, words=title_word_costs)


@repair(roles=("title",), order=20)
def latin_words_read_in_english(line: LineUnderRepair) -> str:
    """Latin words of a title that ``tha+eng`` read as junk ("(Advanced)" as "(4ลก00@)"), as the English model reads them.

    See :func:`latin_words`.
    """
    return line.text if line.reread != "title" else latin_words(line.crop, line.text)


# --- text repairs ---------------------------------------------------------------------------


@text_repair(roles=("title",), order=5)
def cohort_read_as_latin(text: str) -> str:
    """The cohort word before a title's closing number, read by ``tha+eng`` as a short Latin word ("gun 2", "suf 2"
    for "รุ่นที่ 2"): a title in Thai alone ends so only in its cohort.  A title with Latin words of its own
    ("การใช้ AI ในงาน ed 3") may end in a scrap of other print, and is left."""
    cohort = _COHORT_AS_LATIN.search(text)
    if cohort is None or _LATIN_LETTER.search(text[: cohort.start()]):
        return text
    return f"{text[: cohort.start()]} รุ่นที่ {cohort.group(1)}"


@text_repair(roles=("title",), order=6)
def cohort_misspelt(text: str) -> str:
    """The cohort word closing a title with a letter misread ("รู่ที่ 2", "รุนที่ 2" for "รุ่นที่ 2"): no other word
    of a course title stands there, and "รู่" is no word for the title prior to mend."""
    return _COHORT_MISSPELT.sub("รุ่นที่", text)


@text_repair(roles=("title",), order=7)
def keyword_letter_read_as_digit(text: str) -> str:
    """A lone digit before the title: the keyword's last letter read as one ("หลักสูต5 การบริหาร…" on Mitr, its ร as 5
    or 3), left behind when the keyword was taken off.  No title on the OCSC catalog starts with a digit."""
    return _DIGIT_BEFORE_TITLE.sub("", text)


@text_repair(roles=("title",), order=10)
def ordinal_mark(text: str) -> str:
    """The tone mark of "ที่" before a cohort number ("รุ่นที 2" for "รุ่นที่ 2"), which OCR often drops."""
    return _ORDINAL_LOST_MARK.sub(r"\1ที่", text)


@text_repair(roles=("title",), order=20)
def round_brackets(text: str) -> str:
    """Square or curly brackets some faces' "(" and ")" come back as, made round (titles bracket an English subtitle so)."""
    return text.translate(AS_ROUND_BRACKETS)


@text_repair(roles=("title",), order=30)
def level_ton(text: str) -> str:
    """"ระดับต้น" read as "ระดับตัน", "ระดับด้น" or "ระดับดัน" (real words too, so no word prior mends it)."""
    return _LEVEL_TON.sub("ระดับต้น", text)


@text_repair(roles=("title",), order=40)
def ordinal_spaced(text: str) -> str:
    """The space before a cohort ("…นักบริหาร รุ่นที่ 5") that OCR lost, put back."""
    return _ORDINAL_GLUED.sub(r" \1", text)


# --- helpers --------------------------------------------------------------------------------


def joined_pieces(left: str, right: str) -> str:
    """Two pieces of one printed row, without the word both read where layout analysis cut it.

    The cut can fall inside a word, and both pieces then hold it
    ("…ดิจิทัลเพื่อ" | "เพื่อการวิเคราะห์…").
    """
    for k in range(min(len(left), len(right), _MAX_OVERLAP), _MIN_OVERLAP - 1, -1):
        if left.endswith(right[:k]) and all(is_thai_char(c) for c in right[:k]):
            return left + right[k:]
    return left + right


# A Thai word and the number printed after it ("รุ่นที่12", "ไทยแลนด์4.0").
_THAI_THEN_NUMBER = re.compile(r"[\u0e01-\u0e4e.]+\d+(?:\.\d+)?")


def is_garbled_latin(word: str) -> bool:
    """A word holding Latin letters, or Thai mixed with other print: how ``tha+eng`` reads a Latin word.

    Not Thai with a dot or a number after it: "ก.พ.", "รุ่นที่2", "รุ่นที่12"
    are printed so.  Thai with digits elsewhere is ("810020ทลไท" for "Blockchain").
    """
    thai = any(is_thai_letter(c) for c in word)
    other = any(not is_thai_letter(c) and c not in ".," and not c.isdigit() for c in word)
    digits = sum(c.isdigit() for c in word)
    numbered = _THAI_THEN_NUMBER.fullmatch(word) is not None
    return bool(_LATIN_LETTER.search(word)) or (thai and (other or (digits >= 2 and not numbered)))


def thai_words_glued_on(word: str) -> list[str]:
    """A garbled word, and apart from it the Thai words ``tha+eng`` glued on where it lost the space.

    "Mindset เพื่อผลสำเร็จของชีวิตและงาน" came back as
    "ไทสร505(เพื่อผลสำเร็จของชีวิตและงาน": replacing the
    whole word with the English reading dropped half the title.  A Thai tail
    is split off only when it is long and made wholly of dictionary words;
    the short Thai a Latin word itself turns into ("810020ทลไท") stays.
    """
    tail = len(word)
    while tail > 0 and is_thai_char(word[tail - 1]):
        tail -= 1
    head, thai = word[:tail], word[tail:]
    if not head or len(thai) < _GLUED_THAI_MIN or not is_garbled_latin(head) or share_in_words(thai) < 1.0:
        return [word]
    return [head, thai]


def latin_words(crop: np.ndarray, text: str) -> str:
    """``text`` with its Latin words as Tesseract's English model reads them, where it is sure of each.

    ``tha+eng`` reads a Latin word in a Thai line as junk ("(Advanced)" as
    "(4ลก00@)", "(Analytical Skill)" as "(เกลlyt09 Skill)"), and the line
    network has no Latin letters to mend it with.  The English model reads
    such words surely and Thai ones as junk it is unsure of; its sure Latin
    words replace the garbled words one for one, when there are as many.
    Thai words glued to a garbled word, where ``tha+eng`` lost the space
    after it, are kept (see :func:`thai_words_glued_on`).
    """
    words = [piece for word in text.split(" ") for piece in thai_words_glued_on(word)]
    garbled = [i for i, w in enumerate(words) if is_garbled_latin(w)]
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


