"""Twin letters of a name, told apart by the glyph at the crop's own resolution.

ด/ต and ฎ/ฏ differ only in the head: a loop inside (ด, ฎ) or a notch in
the top (ต, ฏ).  Squeezed into the line network's 32-px line, that is a
pixel or two, and for ฎ/ฏ the network goes by the spelling its training
names made usual: a printed "ณัฎฐพร" reads "ณัฏฐพร" with Tesseract and the
network alike; ช/ซ differ by a spike on the head, and a printed ซ, the
rarer in names, is read ช; a printed "วงค์" is read as the commoner "วงศ์".
Here the glyph is found where the network places the letter and judged
alone by a small classifier for each set of twins (``data/twin_letters.onnx``,
``data/twin_cho_so.onnx``, ``data/twin_loops_tails.onnx``, trained by
``bench/certificates/train_twin_letters.py``).  A name the lists vouch for
is not unmade by it: on faces it never saw (Sawasdee's thin ฎ) it errs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from . import line_recognizer
from .known_names import is_listed_name
from .onnx_models import load_session
from .person_names import leading_title
from .thai_digits import glyph_image

DATA = Path(__file__).with_name("data")


@dataclass(frozen=True, slots=True)
class TwinClassifier:
    """A classifier of glyphs into twin letters and "another letter" (the last class: the glyph was cut wrongly)."""

    path: Path
    pairs: tuple[str, ...]  # each letter next to the one it is mistaken for
    checked: str  # the letters of a name it judges
    sure: float  # how sure it must be of the twin to overrule the spelling

    @property
    def letters(self) -> str:
        return "".join(self.pairs)

    @property
    def n_classes(self) -> int:
        return len(self.letters) + 1

    def twin(self, letter: str) -> str:
        pair = next(p for p in self.pairs if letter in p)
        return pair[1 - pair.index(letter)]


# ด/ต and ฎ/ฏ.  ด/ต is not checked: the network reads it well enough from
# context, which a glyph alone lacks.  Of the ฎ/ฏ letters in the names of
# bench draws 2585-2594, the 89 read right scored their twin at most 0.55,
# and 12 of the 13 misread ones 0.91 or more; the last was cut wrongly (it
# touched a neighbour) and came out "other".
HEADS = TwinClassifier(DATA / "twin_letters.onnx", ("ดต", "ฎฏ"), "ฎฏ", 0.9)
# ช/ซ: ซ has a spike on its left head that ช lacks, and names spell ช far
# more often, so the readers' priors pull a printed ซ to ช ("ฟีซัน" as
# "ฟีชัน").  Of the names of draws 2585-2600 holding these letters, the 306
# ช read right scored ซ at most 0.90; 8 of the 11 misread letters scored
# their twin 0.96 or more.
CHO_SO = TwinClassifier(DATA / "twin_cho_so.onnx", ("ชซ",), "ชซ", 0.95)
# ท/ห, ก/ภ and ค/ศ: a loop or a tail tells them apart.  Names spell "วงศ์"
# far more often than "วงค์", so Tesseract and the name prior read a printed
# ค there as ศ; a small ศ or ภ can also pass for ค or ก.  Of the 1,978
# letters of these six read right in the names of three bench draws, none
# scored its twin above 0.89 (one, in a listed name, 0.885); the ค read as ศ
# scored ค 0.94-0.96.  It does not mend Pridi's ท, which the line network
# reads as ห: the classifier, trained on the same faces, takes it for ห too.
LOOPS_TAILS = TwinClassifier(DATA / "twin_loops_tails.onnx", ("ทห", "กภ", "คศ"), "ทหกภคศ", 0.93)
CLASSIFIERS = (HEADS, CHO_SO, LOOPS_TAILS)


@functools.lru_cache(maxsize=None)
def _session(path: Path):
    return load_session(path)


def load_models() -> None:
    """Load every twin-letter classifier now (each loads on first use otherwise)."""
    for classifier in CLASSIFIERS:
        _session(classifier.path)


def letter_probs(classifier: TwinClassifier, glyphs: list[np.ndarray]) -> np.ndarray | None:
    """Per-glyph probabilities of each of the classifier's letters and "other" (None without the model)."""
    session = _session(classifier.path)
    if session is None or not glyphs:
        return None
    (out,) = session.run(None, {"glyph": np.stack([glyph_image(g) for g in glyphs])[:, None]})
    return out


def _glyph_at(gray: np.ndarray, x: float) -> np.ndarray | None:
    """The mask (255 = ink) of the letter in a grey line crop at column ``x``, or None.

    Letters are the components at least half as tall as the tallest (marks
    and specks are not); the one whose box holds ``x``, the tallest if boxes
    overlap there (a tail reaching under its neighbour), else the nearest
    within a third of a letter's height (the network's frame for a letter
    falls within it, give or take a stroke).
    """
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count < 2:
        return None
    tallest = stats[1:, cv2.CC_STAT_HEIGHT].max()
    letters = [i for i in range(1, count) if stats[i, cv2.CC_STAT_HEIGHT] >= 0.5 * tallest]

    def off(i: int) -> float:
        left, width = stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_WIDTH]
        return max(left - x, x - (left + width), 0.0)

    covering = [i for i in letters if off(i) == 0]
    near = [i for i in letters if off(i) <= 0.35 * tallest]
    if not near:
        return None
    best = max(covering, key=lambda i: stats[i, cv2.CC_STAT_HEIGHT]) if covering else min(near, key=off)
    left, top, width, height = stats[best, :4]
    return np.where(labels[top:top + height, left:left + width] == best, 255, 0).astype(np.uint8)


def mend_twin_letters(text: str, crop: np.ndarray) -> str:
    """``text`` (a name as read from ``crop``) with each checked letter a classifier is sure is its twin swapped."""
    # The title ("ว่าที่ร้อยตรี", "แพทย์หญิง") is from a closed list and already settled.
    start = len(leading_title(text) or "")
    at = [(i, c) for i, ch in enumerate(text) if i >= start
          for c in CLASSIFIERS if ch in c.checked and _session(c.path) is not None]
    if not at:
        return text
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    labels = line_recognizer.encode(text.replace(" ", ""))
    lp = line_recognizer.log_probs(gray)
    if labels is None or lp is None:
        return text
    frames = line_recognizer.label_frames(lp, labels)
    if frames is None:
        return text
    out = list(text)
    for i, classifier in at:
        x = line_recognizer.frame_x(gray, frames[i - text[:i].count(" ")])
        glyph = None if x is None else _glyph_at(gray, x)
        probs = None if glyph is None else letter_probs(classifier, [glyph])
        if probs is None:
            continue
        twin = classifier.twin(text[i])
        if probs[0, classifier.letters.index(twin)] < classifier.sure:
            continue
        # Tesseract's reading and the name lists together outweigh the classifier: on
        # Sawasdee it took two printed ฎ for ฏ, one in a listed name.  Of the classifiers' 20 right
        # swaps on the captured names of draws 2585-2600, none unmade a listed name.
        swapped = "".join(out[:i]) + twin + "".join(out[i + 1:])
        if is_listed_name("".join(out)) and not is_listed_name(swapped):
            continue
        out[i] = twin
    return "".join(out)
