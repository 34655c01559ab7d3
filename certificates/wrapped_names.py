"""A learner's name printed over two lines, read as the one line it stands for.

A template with a fixed font size breaks a name too wide for its text box
at its space: the title and given name on one line, the family name alone
under it ("ว่าที่ร้อยตรีหญิงวารินทร์ทิพย์" / "เกียรติกิจวัฒนพาณิชย์").  The
parser joins the two (:func:`certificates.fields.wrapped_family_name`); the
re-read of the name sets the two lines' crops side by side, on one
baseline, a word space apart, so the name is voted, checked and spaced as a
name printed on one line is: every step that mends a name (the title, the
name lists, the space between given and family name) sees the whole of it.
"""

from __future__ import annotations

import cv2
import numpy as np

# The gap set between the given and the family name, in line-box heights:
# wider than any gap between letters, as a printed word space is (see word_gaps).
WORD_SPACE = 0.5


def _baseline(crop: np.ndarray) -> int | None:
    """The last row of the crop's body of letters (where its ink rows are at least half the fullest's)."""
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows = ink.sum(axis=1)
    if rows.max() == 0:
        return None
    return int(np.flatnonzero(rows >= 0.5 * rows.max())[-1])


def _inked_columns(crop: np.ndarray) -> tuple[int, int] | None:
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    cols = np.flatnonzero(ink.sum(axis=0) > 0)
    return (int(cols[0]), int(cols[-1]) + 1) if cols.size else None


def side_by_side(first: np.ndarray, second: np.ndarray, box_height: int) -> np.ndarray | None:
    """Two grey line crops (see ``ocr.line_crop``) as one line: ``first``'s letters, a word space, ``second``'s.

    The crops are cut to their ink sideways, set on one baseline, and given
    a margin of ``box_height`` on either side, as a line crop has.  None when
    either holds no ink.
    """
    base_a, base_b = _baseline(first), _baseline(second)
    cols_a, cols_b = _inked_columns(first), _inked_columns(second)
    if base_a is None or base_b is None or cols_a is None or cols_b is None:
        return None
    a, b = first[:, cols_a[0] : cols_a[1]], second[:, cols_b[0] : cols_b[1]]
    above = max(base_a, base_b)
    below = max(a.shape[0] - base_a, b.shape[0] - base_b)

    def on_baseline(crop: np.ndarray, base: int) -> np.ndarray:
        return cv2.copyMakeBorder(crop, above - base, below - (crop.shape[0] - base), 0, 0,
                                  cv2.BORDER_CONSTANT, value=255)

    height = above + below
    margin = np.full((height, box_height), 255, np.uint8)
    space = np.full((height, max(2, int(WORD_SPACE * box_height))), 255, np.uint8)
    return np.hstack([margin, on_baseline(a, base_a), space, on_baseline(b, base_b), margin])
