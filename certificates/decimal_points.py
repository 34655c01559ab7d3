"""A decimal point OCR lost from the hours ("3.5" read "35"), found in the line's ink.

Half hours are printed "2.5", "6.5": the point is a speck a fifth of a
digit's height, and Tesseract and the line network both drop it even from
clean print, so "3.5 ชั่วโมง" comes back as 35 hours.  The print still
shows it: a small blob on the digits' baseline, between the two digits.
The line network places the digits (:func:`line_recognizer.label_frames`);
the blob is looked for between them.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from . import line_recognizer
from .thai_text import squash

# A whole number of two or three digits that could be a half hour with its point lost.
WHOLE_NUMBER = re.compile(r"(?<![\d.])\d{2,3}(?![\d.])")
# A point is at most this share of a digit's height tall and wide...
POINT_MAX_SIZE = 0.35
# ...and sits on the digits' baseline, within this share of their height.
POINT_BASELINE_SLACK = 0.15


def with_point_seen(crop: np.ndarray, text: str, scorable: str) -> str:
    """``text`` (an hours line) with a point put back in its one whole number where the ink shows one.

    ``scorable`` is ``text`` as the line network can spell it (same digits);
    unchanged when the number has no point printed, or the digits cannot be placed.
    """
    ours = list(WHOLE_NUMBER.finditer(text))
    theirs = list(WHOLE_NUMBER.finditer(squash(scorable)))
    if len(ours) != 1 or len(theirs) != 1:
        return text
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    lp = line_recognizer.log_probs(gray)
    labels = line_recognizer.encode(squash(scorable))
    if lp is None or labels is None:
        return text
    frames = line_recognizer.label_frames(lp, labels)
    if frames is None:
        return text
    start = theirs[0].start()
    for k in range(len(theirs[0].group()) - 1):
        xs = [line_recognizer.frame_x(gray, frames[start + j]) for j in (k, k + 1)]
        if None not in xs and _point_between(gray, xs[0], xs[1]):
            at = ours[0].start() + k + 1
            return f"{text[:at]}.{text[at:]}"
    return text


def _point_between(gray: np.ndarray, left_x: float, right_x: float) -> bool:
    """Whether a point-sized blob sits on the baseline between the digits the network places at these x."""
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boxes = [tuple(int(v) for v in stats[i, :4]) for i in range(1, count)]

    # Digits are blobs about as tall as the line's letters; the crop also holds
    # specks and the clipped marks of the lines above and below.
    tallest = max((b[3] for b in boxes), default=0)
    letters = [b for b in boxes if b[3] >= 0.5 * tallest]
    if not letters:
        return False
    digit_height = float(np.median([b[3] for b in letters]))
    digits = [b for b in boxes if b[3] >= 0.7 * digit_height]

    def off(b: tuple[int, int, int, int], x: float) -> float:
        return max(b[0] - x, x - (b[0] + b[2]), 0.0)

    # CTC emits a digit near its left edge, and the second may be emitted over the point.
    one = min(digits, key=lambda b: off(b, left_x))
    right = [b for b in digits if b[0] >= one[0] + one[2]]
    if off(one, left_x) > 0.5 * digit_height or not right:
        return False
    two = min(right, key=lambda b: off(b, right_x))
    if abs(one[3] - two[3]) > 0.25 * max(one[3], two[3]) or abs(one[1] - two[1]) > 0.2 * max(one[3], two[3]):
        return False  # not two digits of one number
    height = max(one[3], two[3])
    baseline = max(one[1] + one[3], two[1] + two[3])
    gap_left, gap_right = one[0] + one[2], two[0]
    return any(
        gap_left <= x and x + w <= gap_right
        and h <= POINT_MAX_SIZE * height and w <= POINT_MAX_SIZE * height
        and abs(y + h - baseline) <= POINT_BASELINE_SLACK * height
        and h >= 2 and w >= 2
        for x, y, w, h in boxes
    )
