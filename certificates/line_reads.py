"""The read stage's single-line reads: a name, a title line, or a plain line, each from its padded crop.

Names and titles must come out letter-perfect, and they are printed big:
page-level OCR loses their stacked upper marks more often than a
single-line read of a padded crop does.  Each read gives a
:class:`LineReading`, the line as its reads settled it; the repair stage
(``repairs``) then mends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .consensus import consensus_by_words, respace
from .fields import TextLine
from .known_names import name_line_cost
from .ocr import SCRIPT_LANG, THAI_ONLY, OcrUnavailable, ocr_single_line
from .repairs.digits import keep_digits
from .thai_text import squash, thai_word_cost

# Line heights (px) the learner's name is re-read at for a letter-wise vote:
# at different scales Tesseract errs on different letters, which is what a
# vote needs.  Five scales outvote a letter that two of them misread; thinned
# or blurred crops added no votes that the scales did not.
NAME_READ_HEIGHTS = (20, 24, 28, 32, 36)
# Line heights of the second witness for names, Tesseract's Thai-script model.
NAME_SCRIPT_READS = (28, 36, 48)
TITLE_READ_HEIGHTS = (28, 36)
_LATIN_LETTER = re.compile(r"[A-Za-z]")


@dataclass(frozen=True, slots=True)
class LineReading:
    """One line as its re-reads settled it, before repairs."""

    text: str
    confidence: float
    thai_digits: bool = False
    # The line's other readings (the page's, each re-read's), for repairs that choose among them.
    readings: tuple[str, ...] = ()
    # A name's reads: its confidence is the surest read's if one reads as the
    # repaired name, else the least sure one's (see :meth:`settled_confidence`).
    votes: tuple[TextLine, ...] = ()

    def settled_confidence(self, text: str) -> float:
        """The confidence of the line once repaired to ``text``."""
        if not self.votes:
            return self.confidence
        sure = any(r.text == text for r in self.votes)
        return max(r.confidence for r in self.votes) if sure else min(r.confidence for r in self.votes)


def read_name_line(crop: np.ndarray, box_height: int, page_text: str) -> LineReading | None:
    """The learner's name from its line crop, read at five scales and settled letter by letter.

    No list holds every name: the letter vote decides, and where the
    readings disagree a letter that makes the line read more like a name (a
    title, listed or word-like parts, possible spelling) may outvote the
    majority, by a word piece for each vote it trails by.  Then the
    Thai-script model's reads may overrule an unsure vote (:func:`second_opinion`).
    """
    reads = [r for r in (thai_line(crop, box_height, target_height=t) for t in NAME_READ_HEIGHTS) if r is not None]
    text = consensus_by_words([r.text for r in reads], name_line_cost, vote_cost=1.0)
    if not text:
        return None
    script = script_reads(crop, box_height)
    text = second_opinion(text, [r.text for r in reads], script)
    others = (page_text, *(r.text for r in reads), *script)
    return LineReading(text, 0.0, readings=others, votes=tuple(reads))


def read_title_line(crop: np.ndarray, box_height: int, page_line: TextLine) -> LineReading | None:
    """A line of the course title: the page reading and two re-reads vote letter by letter.

    Where they disagree, the option spelling real words wins (titles are made
    of words).
    """
    reads = [r for r in (ocr_single_line(crop, box_height, target_height=t) for t in TITLE_READ_HEIGHTS) if r]
    readings = (page_line.text, *(r.text for r in reads))
    text = consensus_by_words(list(readings), thai_word_cost)
    if not text:
        return None
    return LineReading(text, max([page_line.confidence] + [r.confidence for r in reads]), readings=readings)


def thai_line(crop: np.ndarray, box_height: int, **kw: Any) -> TextLine | None:
    """A single-line read of a line printed all in Thai (name, hours, date).

    Latin letters in it are Thai glyphs the English model took ("พ.ค." read
    as "wa."): such a line is read again with the Thai model alone.
    """
    line = ocr_single_line(crop, box_height, **kw)
    if line is not None and _LATIN_LETTER.search(line.text):
        thai = ocr_single_line(crop, box_height, lang=THAI_ONLY, **kw)
        if thai is not None and not _LATIN_LETTER.search(thai.text):
            return TextLine(keep_digits(thai.text, line.text), thai.confidence, thai.height, thai.box,
                            thai.thai_digits or line.thai_digits)
    return line


def script_reads(crop: np.ndarray, box_height: int) -> list[str]:
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


def second_opinion(voted: str, reads: list[str], script: list[str]) -> str:
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


