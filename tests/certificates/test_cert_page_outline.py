"""Finding the sheet in a phone photo: its outline must be the paper's edges, not its decorations."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from certificates import preprocessing as pre


def _photo_with_dark_corners(angle: float) -> tuple[np.ndarray, np.ndarray]:
    """A white A4 sheet turned by ``angle`` on a grey desk, with navy triangles in two corners.

    Returns the RGB picture and the sheet's true corners (tl, tr, br, bl).
    """
    rng = np.random.default_rng(7)
    h, w = 1280, 960
    # A dark grey desk about as dark as the navy: only hue tells them apart.
    desk = np.clip(rng.normal(62, 5, (h, w, 3)), 0, 255).astype(np.uint8)
    sheet_w, sheet_h = 600, int(600 * 1.414)
    flat = np.full((sheet_h, sheet_w, 3), 245, np.uint8)
    navy = (25, 40, 105)
    cut = int(0.45 * sheet_w)
    cv2.fillPoly(flat, [np.array([[0, 0], [cut, 0], [0, cut]])], navy)
    cv2.fillPoly(flat, [np.array([[sheet_w, sheet_h], [sheet_w - cut, sheet_h], [sheet_w, sheet_h - cut]])], navy)
    cv2.putText(flat, "CERTIFICATE", (120, 400), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (40, 40, 40), 3)
    src = np.array([[0, 0], [sheet_w, 0], [sheet_w, sheet_h], [0, sheet_h]], np.float32)
    centre = np.array([w / 2, h / 2])
    rot = cv2.getRotationMatrix2D((0, 0), angle, 1.0)[:, :2]
    dst = ((src - [sheet_w / 2, sheet_h / 2]) @ rot.T + centre).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(flat, m, (w, h))
    mask = cv2.warpPerspective(np.full((sheet_h, sheet_w), 255, np.uint8), m, (w, h)) > 0
    desk[mask] = warped[mask]
    return cv2.GaussianBlur(desk, (0, 0), 2.0), dst


@pytest.mark.parametrize("angle", [-9.0, 0.0, 7.0])
def test_sheet_with_dark_corner_decorations_is_found_whole(angle: float) -> None:
    picture, truth = _photo_with_dark_corners(angle)
    quad = pre.find_page_quad(picture)
    assert quad is not None
    # Lightness alone cuts the navy corners off and the crop slices through the text.
    assert np.abs(pre._order_corners(quad) - pre._order_corners(truth)).max() < 15


def test_four_longest_sides_rebuild_a_rectangle_with_cut_corners() -> None:
    # A 400 x 600 rectangle with its top-left and bottom-right corners cut off.
    hexagon = np.array([[80, 0], [400, 0], [400, 520], [320, 600], [0, 600], [0, 80]], np.float32)
    quad = pre._quad_from_long_sides(hexagon, (700, 500))
    assert quad is not None
    expected = np.array([[0, 0], [400, 0], [400, 600], [0, 600]], np.float32)
    assert np.abs(pre._order_corners(quad) - expected).max() < 1
    # Sides that would meet outside the picture are not the sheet's edges.
    assert pre._quad_from_long_sides(hexagon, (560, 380)) is None


def test_shape_that_is_no_cut_rectangle_gives_no_quad() -> None:
    # An octagon with equal sides: no four sides dominate.
    octagon = np.array(
        [[100 + 100 * np.cos(a), 100 + 100 * np.sin(a)] for a in np.linspace(0, 2 * np.pi, 9)[:-1]], np.float32
    )
    assert pre._quad_from_long_sides(octagon, (300, 300)) is None
