"""A tone mark over sara am ("ก่ำ", "ถ้ำ"), which Tesseract's Thai models cannot read.

Printed, the tone mark stands above the small ring (nikhahit) of sara am,
both over the consonant.  Tesseract keeps one of the two: "ก่ำ" comes out
as "กำ" (tone lost) or "กล่ำ" as "กล่า" (ring lost), at every scale and in
both Thai models.  The picture settles it: two marks stacked above the
consonant of a syllable read with า or ำ can only be a tone mark over the
ring.  The tone is told by its shape: mai ek (่) is a short upright tick,
mai tho (้) is about as wide as it is tall.  The mark is only restored
where it is seen; a mark merged with its neighbour is left as read.
"""

from __future__ import annotations

import cv2
import numpy as np

from .ocr import ocr_symbols
from .thai_text import normalize_thai

_TONES = "\u0e48\u0e49\u0e4a\u0e4b"
_NIKHAHIT, _SARA_AA, _SARA_AM = "\u0e4d", "\u0e32", "\u0e33"
_MAI_EK, _MAI_THO = "\u0e48", "\u0e49"


def restore_tone_over_sara_am(text: str, crop: np.ndarray) -> str:
    """``text`` (a reading of the line in ``crop``) with each tone mark over sara am that the picture shows."""
    if _SARA_AA not in text and _SARA_AM not in text:
        return text
    symbols = ocr_symbols(crop)
    if not symbols:
        return text
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    marks = [tuple(int(v) for v in s[:4]) for s in stats[1:] if s[4] > 4]
    for consonant, tone in _stacked_sites(symbols, marks):
        fixed = normalize_thai(consonant + tone + _SARA_AM)
        # The vote may hold either half of the pair: the ring ("กำ") or the tone ("ก่า").
        for read in (normalize_thai(consonant + _SARA_AM), normalize_thai(consonant + tone + _SARA_AA)):
            if text.count(read) == 1:
                text = text.replace(read, fixed)
                break
    return text


def _stacked_sites(symbols: list[tuple[str, tuple[int, int, int, int]]], marks: list[tuple[int, int, int, int]]):
    """(consonant, tone mark) of each syllable read with sara aa or am that has two marks stacked above it."""
    for k, (ch, box) in enumerate(symbols):
        if ch != _SARA_AA:
            continue
        j = k - 1
        while j >= 0 and (symbols[j][0] in _TONES or symbols[j][0] == _NIKHAHIT):
            j -= 1
        if j < 0 or not ("\u0e01" <= symbols[j][0] <= "\u0e2e"):
            continue  # not a consonant's vowel
        consonant = symbols[j][1]
        between = "".join(c for c, _ in symbols[j + 1 : k])
        x_top = box[1]  # sara aa stands exactly x-height tall
        left, right = consonant[0], box[0] + 0.3 * (box[2] - box[0])
        above = sorted(
            (m for m in marks if m[1] + m[3] <= x_top + 2 and left <= m[0] + m[2] / 2 <= right), key=lambda m: m[1]
        )
        if len(above) != 2 or not _stacked(*above):
            continue
        tone = next((c for c in between if c in _TONES), None)
        if tone is None:
            upper = above[0]
            tone = _MAI_EK if upper[3] >= 1.3 * upper[2] else _MAI_THO
        yield symbols[j][0], tone


def _stacked(upper: tuple[int, int, int, int], lower: tuple[int, int, int, int]) -> bool:
    """One mark right above the other: the upper one ends where the lower begins and they share columns."""
    overlap = min(upper[0] + upper[2], lower[0] + lower[2]) - max(upper[0], lower[0])
    return upper[1] + upper[3] <= lower[1] + 2 and overlap >= 0.3 * min(upper[2], lower[2])
