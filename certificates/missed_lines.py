"""Lines that page layout analysis lost, recovered from the page image.

Tesseract's layout analysis sometimes cuts a printed row in two, drops the
short last line of a wrapped title, or misses faint small print altogether.
The reader looks for what it lost here: by the found lines' boxes, and by
the rows of ink no found line covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from .fields import ParsedFields, TextLine
from .ocr import THAI_ONLY, ink_bands, line_crop, ocr_single_line
from .thai_text import share_in_words, squash, thai_ratio

# Grey level under which a pixel of a light-normalised page is ink however pale the print.
FAINT_INK_BELOW = 205
# Letters a line found between a title and the hours may hold and still be a
# fragment of the title's dropped last line ("น" of "ต้น").
TAIL_FRAGMENT_LETTERS = 3
# A title's lost line is made of words; a watermark's edge read as letters
# ("เงทก", "แวท") is not.  Half, not all: a title may hold a term the
# dictionary lacks.
TAIL_MIN_SHARE_IN_WORDS = 0.5
# How tall (in the found lines' median heights) a missed row may stand: a
# name in a big display face, its marks included, stands 2.7 times the body.
MAX_ROW_HEIGHT = 3.0
# Certificates centre their lines: how far (in title widths) the lost line's
# middle may lie from the title's.
TAIL_OFF_CENTRE = 0.25


def missed_title_line(lines: Sequence[TextLine], f: ParsedFields,
                      scaled: np.ndarray) -> tuple[TextLine, list[int]] | None:
    """The end of a wrapped title that page layout analysis dropped, read from the gap above the hours.

    A short centred last line of a title ("ระดับต้น") is sometimes not found
    as a line at all, or found as a letter or two of it ("น"); the title then
    silently loses its last words.  Returns the line read and the indices of
    such fragments in the gap, which it replaces.
    """
    title_idx, hours_idx = f.sources.get("title"), f.sources.get("hours")
    if not title_idx or not hours_idx or min(hours_idx) <= max(title_idx):
        return None
    between = list(range(max(title_idx) + 1, min(hours_idx)))
    if any(len(squash(lines[k].text)) > TAIL_FRAGMENT_LETTERS for k in between):
        return None
    last, hours = lines[max(title_idx)].box, lines[min(hours_idx)].box
    if last is None or hours is None:
        return None
    x, y, w, h = last
    top, bottom = y + h + int(0.2 * h), hours[1] - int(0.2 * hours[3])
    if bottom - top < 0.8 * h:
        return None
    region = scaled[top:bottom, max(0, x) : x + w]
    if region.size == 0:
        return None
    # Ink as dark as the title's own print: Otsu's cut on the gap alone falls
    # inside the paper's grain when the gap is empty (paper at 245-255 cut at
    # 254, and a blank gap read as "วิชา เย4").
    title_print = scaled[y : y + h, max(0, x) : x + w]
    ink = _ink(region, cut=_otsu(title_print) if title_print.size else None)
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    if len(rows) < 0.4 * h or len(cols) < 0.5 * h:
        return None  # empty paper, or a speck (a short word such as "ต้น" is narrower than the title's box is tall)
    box = (max(0, x) + int(cols[0]), top + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))
    if abs(box[0] + box[2] / 2 - (x + w / 2)) > TAIL_OFF_CENTRE * w:
        return None  # a mark off to one side (a watermark's edge), not the centred end of the title
    crop = line_crop(scaled, box, above=y + h, below=hours[1])
    read = ocr_single_line(crop, h) if crop is not None else None
    if read is not None and thai_ratio(read.text) < 0.8:
        # Alone, a short Thai word is often taken for Latin letters ("ต้น" as "au").
        read = ocr_single_line(crop, h, lang=THAI_ONLY)
    if read is None or read.confidence < 0.6 or thai_ratio(read.text) < 0.8 or len(squash(read.text)) < 2:
        return None
    if share_in_words(read.text) < TAIL_MIN_SHARE_IN_WORDS:
        return None
    return TextLine(read.text, read.confidence, float(h), box), between


def row_fragments(lines: Sequence[TextLine], i: int, among: Iterable[int] | None = None) -> list[int]:
    """Lines (``among``, by default the neighbours of line ``i``) that are pieces of ``i``'s printed row.

    Layout analysis sometimes cuts a long name where a slanted row drifts
    ("ว่าที่ร้อ" | "อยตรีหญิง…"); a crop of one piece loses the other's letters.
    """
    x, y, w, h = lines[i].box
    out = []
    for j in (i - 1, i + 1) if among is None else sorted(set(among) - {i}):
        if not 0 <= j < len(lines) or lines[j].box is None:
            continue
        ox, oy, ow, oh = lines[j].box
        overlap = min(y + h, oy + oh) - max(y, oy)
        gap = max(ox - (x + w), x - (ox + ow))
        if overlap >= 0.5 * min(h, oh) and -h <= gap <= 2 * h:
            out.append(j)
    return out


def row_duplicates(lines: Sequence[TextLine], i: int, among: Iterable[int]) -> list[int]:
    """Lines (``among``) whose box lies within line ``i``'s row and span: the same print found twice.

    Layout analysis can find a whole title row and, again, its right half
    (the first without its upper marks); each re-read would give the title
    its words twice.
    """
    x, y, w, h = lines[i].box
    out = []
    for j in sorted(set(among) - {i}):
        if not 0 <= j < len(lines) or lines[j].box is None:
            continue
        ox, oy, ow, oh = lines[j].box
        overlap = min(y + h, oy + oh) - max(y, oy)
        if overlap >= 0.5 * min(h, oh) and ox >= x - h // 2 and ox + ow <= x + w + h // 2:
            out.append(j)
    return out


def widened_to_row(scaled: np.ndarray, box: tuple[int, int, int, int], reach: float = 1.0) -> tuple[int, int, int, int]:
    """``box`` stretched sideways over ink of its own row that layout analysis left out.

    Tesseract's layout sometimes drops the start of a big centred name
    ("นางเขมจิรา" read from "มจิรา" on), leaving no fragment for
    :func:`row_fragments` to join.  Ink in the middle of the box's row,
    within a word gap (``reach`` line heights) of the box, belongs to the
    row; a stretch is taken only if it is at least a letter wide.  A line of
    small print has a box hardly taller than its letters, and a monospace
    face's space is wider than that: ``reach`` 2 for such lines.
    """
    x, y, w, h = box
    band = scaled[y + h // 4 : y + h - h // 4, :]
    if band.size == 0 or h < 4:
        return box
    cols = _ink(band).any(axis=0)
    gap, left, right = int(reach * h), x, x + w
    while True:
        ink = np.flatnonzero(cols[max(0, left - gap) : left])
        if ink.size == 0:
            break
        left = max(0, left - gap) + int(ink[0])
    while True:
        ink = np.flatnonzero(cols[right : right + gap])
        if ink.size == 0:
            break
        right = right + int(ink[-1]) + 1
    if left > x - h // 2:
        left = x
    if right < x + w + h // 2:
        right = x + w
    return (left, y, right - left, h)


def union_box(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The smallest box holding both."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x0, y0, x1 - x0, y1 - y0)


def missed_rows(lines: Sequence[TextLine], scaled: np.ndarray) -> list[TextLine]:
    """Rows of ink in ``scaled`` that none of ``lines`` covers and that are shaped like text, each read as a line.

    Page layout analysis drops faint small print in photos (the hours and
    date lines of a sheet on a desk), and a line printed pale (a gold name
    in a greyscale scan).
    """
    boxes = [line.box for line in lines if line.box is not None]
    if not boxes:
        return []
    line_h = float(np.median([b[3] for b in boxes]))
    gap = max(2, int(0.4 * line_h))
    clear = _uncovered_ink(scaled, boxes, faint=False)
    bands = [(top, bottom, clear) for top, bottom in ink_bands(_ink_rows(clear), gap=gap)]
    # Pale print is looked for only between the rows of clear ink: on a photo
    # the faint mask also holds paper grain and shading, which would merge
    # the clear rows into bands too tall to be lines.
    pale = _uncovered_ink(scaled, boxes, faint=True)
    # A sheet's frame runs down every row of the pale mask; letters never stand three lines tall.
    pale &= ~cv2.morphologyEx(pale, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, int(3 * line_h))))
    bands += [
        (top, bottom, pale) for top, bottom in ink_bands(_ink_rows(pale), gap=gap)
        if not any(top < b and a < bottom for a, b, _ in bands)
    ]
    # Rows held by ink: the found lines and the bands.  A missed row's crop
    # stops short of them: a big name wrapped onto a second row stands close
    # under the first, and a crop reaching a line height up into it read as nothing.
    held = [(y, y + h) for _, y, _, h in boxes] + [(top, bottom) for top, bottom, _ in bands]
    found: list[TextLine] = []
    for top, bottom, ink in sorted(bands, key=lambda band: band[0]):
        h = bottom - top
        cols = np.nonzero(ink[top:bottom].any(axis=0))[0]
        box = (int(cols[0]), top, int(cols[-1] - cols[0] + 1), h)
        # Small print stands a third of the name's height; specks, rules, seals and signatures do not look like a line.
        if not max(10.0, 0.3 * line_h) <= h <= MAX_ROW_HEIGHT * line_h or box[2] < 3 * h:
            continue
        above = max((b for a, b in held if b <= top), default=None)
        below = min((a for a, b in held if a >= bottom), default=None)
        crop = line_crop(scaled, box, above=above, below=below)
        read = ocr_single_line(crop, h) if crop is not None else None
        if read is not None and read.confidence >= 0.6 and len(squash(read.text)) >= 3:
            found.append(TextLine(read.text, read.confidence, float(h), box))
    return found


def _uncovered_ink(scaled: np.ndarray, boxes: Sequence[tuple[int, int, int, int]], *, faint: bool) -> np.ndarray:
    """The ink of ``scaled`` outside the found lines' boxes (each padded by half its height)."""
    ink = _ink(scaled, faint=faint)
    for x, y, w, h in boxes:
        pad = int(0.5 * h)
        ink[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad] = 0
    return ink


def _ink_rows(ink: np.ndarray) -> np.ndarray:
    """Which rows hold more than a speck of ink."""
    return ink.sum(axis=1) / 255 > max(3.0, 0.002 * ink.shape[1])


def _otsu(gray: np.ndarray) -> float:
    cut, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return float(cut)


def _ink(gray: np.ndarray, *, faint: bool = False, cut: float | None = None) -> np.ndarray:
    """Ink (255) on paper (0), without single-pixel specks.

    Otsu's cut falls between the paper and the black print, so a line
    printed pale (a gold name in a greyscale scan comes out light grey)
    counts as paper.  With ``faint``, anything clearly darker than the
    light-normalised paper (255) is ink as well.  ``cut`` replaces Otsu's,
    for a region that may hold no print at all.
    """
    otsu = _otsu(gray) if cut is None else cut
    _, ink = cv2.threshold(gray, max(otsu, FAINT_INK_BELOW) if faint else otsu, 255, cv2.THRESH_BINARY_INV)
    return cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
