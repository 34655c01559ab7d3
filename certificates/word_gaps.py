"""Where the words of a printed line part, from its ink: the space OCR lost between given and family name.

Tesseract sometimes runs a learner's given and family names together
("นายพรรณติมาชูพาน").  The name lists put the space back only where both
parts are listed (:func:`certificates.known_names.space_run_together`); for
names on no list the print itself shows it: the gap between the two words
is much wider than any gap between letters.  The line network's alignment
of the text to the image (:func:`certificates.line_recognizer.label_frames`)
says which letters lie on each side of that gap.
"""

from __future__ import annotations

import numpy as np

from . import line_recognizer
from .consensus import squash
from .person_names import cannot_start_word, leading_title, split_name, tidy_name_line

# A word space is at least this wide, in pixels of the network's 32-px-high line
# (a Thai space is about a quarter of an em; letters stand 1–4 px apart).
MIN_SPACE = 6
# ...and this many times wider than any other gap among the name's letters.
SPACE_RATIO = 1.6
# A gap narrower than this (line pixels) is no space, whatever the face.
MIN_TITLE_SPACE = 4


def ink_gaps(line: np.ndarray) -> list[tuple[int, int]]:
    """Runs of inkless columns (start, end) inside a normalised line (see ``line_recognizer.normalize_line``)."""
    inked = (line > 0.5).any(axis=0)
    cols = np.flatnonzero(inked)
    if cols.size == 0:
        return []
    gaps, start = [], None
    for x in range(int(cols[0]), int(cols[-1]) + 1):
        if not inked[x] and start is None:
            start = x
        elif inked[x] and start is not None:
            gaps.append((start, x))
            start = None
    return gaps


def _letters_placed(crop: np.ndarray, plain: str) -> tuple[np.ndarray, list[int]] | None:
    """The normalised line and where the network emits each letter of ``plain`` on it (line pixels), or None."""
    line = line_recognizer.normalize_line(crop)
    lp = line_recognizer.log_probs(crop)
    labels = line_recognizer.encode(plain)
    if line is None or lp is None or labels is None:
        return None
    frames = line_recognizer.label_frames(lp, labels)
    if frames is None:
        return None
    return line, [f * line_recognizer.FRAME for f in frames]


def spaced_at_gap(crop: np.ndarray, text: str) -> str:
    """A name line read as a title and one run-together part, with the space put back at the print's word gap.

    Unchanged unless the widest gap after the title is a clear word space
    and leaves letters on both sides.
    """
    name = split_name(tidy_name_line(text))
    if name is None or name.last or not name.first:
        return text
    plain = squash(text)
    at = plain.rfind(name.first)
    placed = _letters_placed(crop, plain)
    if at < 0 or placed is None:
        return text
    line, x = placed
    start, end = x[at], x[-1]
    inside = [(a, b) for a, b in ink_gaps(line) if start < a and b < end]
    if not inside:
        return text
    widest = max(inside, key=lambda g: g[1] - g[0])
    width = widest[1] - widest[0]
    others = [b - a for a, b in inside if (a, b) != widest]
    if width < MIN_SPACE or (others and width < SPACE_RATIO * max(others)):
        return text
    cut = sum(1 for p in x if p < widest[0])  # CTC emits a letter early rather than late
    if cut - at < 2 or len(plain) - cut < 2 or cannot_start_word(plain[cut]):
        return text
    # Back to ``text``'s offsets: it may hold spaces inside the title.
    seen = 0
    for i, ch in enumerate(text):
        if ch != " ":
            if seen == cut:
                return text[:i] + " " + text[i:]
            seen += 1
    return text


def spaced_after_title(crop: np.ndarray, text: str) -> str:
    """``text`` with the space between the title and the given name as the print has it.

    Titles such as "ว่าที่ ร.ต." are printed spaced from the name, and OCR
    often loses the gap after the small dot ("ร.ต.อครพล"); others are set
    against it ("ดร.จีพร", "นายประมณฑ์"), and OCR sometimes sees a gap there
    ("นาย ประมณฑ์").  The ink tells which: a space is a gap nearer the
    name's own word space than the gaps between its letters (faces space
    letters 1 to 5 px apart).  A space is put back only after a dotted
    title: after a word title OCR has not been seen to lose one.
    """
    title = leading_title(text)
    name = split_name(text)
    if not title or name is None or not name.first or not name.last:
        return text
    rest = text[len(title):]
    spaced = rest.startswith(" ")
    if not spaced and not title.endswith("."):
        return text
    plain = squash(text)
    at, family = len(squash(title)), plain.rfind(squash(name.last))
    placed = _letters_placed(crop, plain) if 0 < at < family else None
    if placed is None:
        return text
    line, x = placed
    gaps = ink_gaps(line)

    def gap_before(k: int) -> int:
        # CTC emits a letter near its left edge, a dot a frame either way.
        return max((b - a for a, b in gaps if x[k - 1] - line_recognizer.FRAME <= a <= x[k] + line_recognizer.FRAME),
                   default=0)

    letters = [b - a for a, b in gaps if x[at] + line_recognizer.FRAME < a and b < x[family] - line_recognizer.FRAME]
    cut = (float(np.median(letters)) if letters else 0.0) / 2 + gap_before(family) / 2
    is_space = gap_before(at) >= max(cut, MIN_TITLE_SPACE)
    if spaced and not is_space:
        return title + rest.lstrip(" ")
    if not spaced and is_space:
        return f"{title} {rest}"
    return text
