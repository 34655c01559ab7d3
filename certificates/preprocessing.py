"""Image preprocessing before OCR: find the page, straighten it, even out the light.

Staff send phone photos (tilted, on a desk, lit from one side), chat-app
JPEGs downscaled to ~1280 px, screenshots with phone UI bars, and clean
renders.  Tesseract reads best from an upright, evenly lit, grey page whose
body text is 20–40 px tall, so each step brings the picture closer to that.
All functions take and return numpy arrays (RGB ``uint8`` or grey ``uint8``).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

# The page's geometric mean side (sqrt(w*h)) that OCR works at: an A4 page at
# ~1650x2340 px puts 16-pt body text at ~30 px, where Tesseract's Thai model is
# both accurate and fast.  Chat-app images (~1280 px) are upscaled to it.
TARGET_PAGE_SIDE = 1960
# Phone photos are searched for the page at this size: enough for edges, cheap.
_DETECT_SIDE = 720

cv2.setNumThreads(1)  # one OCR worker per core; OpenCV must not spawn its own pool


def pil_to_rgb(img: Image.Image) -> np.ndarray:
    """A PIL image as an RGB uint8 array."""
    return np.asarray(img.convert("RGB"))


def resize_long_side(arr: np.ndarray, long_side: int) -> np.ndarray:
    """Resize so the long side is long_side (area filter down, cubic up)."""
    h, w = arr.shape[:2]
    scale = long_side / max(h, w)
    if abs(scale - 1.0) < 0.01:
        return arr
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(arr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)


def scale_for_ocr(gray: np.ndarray, target_side: int = TARGET_PAGE_SIDE) -> np.ndarray:
    """Scale a page so sqrt(w*h) is about target_side: upscales chat-app images, downscales photos."""
    h, w = gray.shape[:2]
    scale = target_side / math.sqrt(w * h)
    if 0.93 < scale < 1.07:
        return gray
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)


# --- finding the page in a photo ---------------------------------------------------------


def _order_corners(pts: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    pts = pts.reshape(4, 2).astype(np.float32)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def _quad_ok(quad: np.ndarray, area: float, img_area: float) -> bool:
    """A plausible page outline: big enough, not the whole frame, corners near 90°."""
    if not 0.2 * img_area <= area <= 0.97 * img_area:
        return False
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2).astype(np.int32)):
        return False
    q = _order_corners(quad)
    for i in range(4):
        a, b, c = q[i - 1], q[i], q[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-6))
        if abs(cos) > 0.45:  # more than ~27° off square: not a photographed sheet
            return False
    return True


def _quad_from_long_sides(poly: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """The quadrilateral on a polygon's four longest sides, extended to meet inside a picture of ``shape``.

    A sheet whose corners are dark decorations (or under a thumb) comes out
    of the lightness mask with those corners cut off; a four-point
    approximation of that outline cuts through the page, while the sheet's
    own edges are still its four longest sides.
    """
    n = len(poly)
    lengths = [float(np.linalg.norm(poly[(i + 1) % n] - poly[i])) for i in range(n)]
    sides = sorted(sorted(range(n), key=lambda i: -lengths[i])[:4])
    if sum(lengths[i] for i in sides) < 0.75 * sum(lengths):
        return None  # not a rectangle with a few corners cut
    corners = []
    for a, b in zip(sides, sides[1:] + sides[:1]):
        p1, d1 = poly[a], poly[(a + 1) % n] - poly[a]
        p2, d2 = poly[b], poly[(b + 1) % n] - poly[b]
        cross = d1[0] * d2[1] - d1[1] * d2[0]
        if abs(cross) < 1e-6 * (np.linalg.norm(d1) * np.linalg.norm(d2) + 1e-6):
            return None  # parallel neighbours: the long sides are not the sheet's four edges
        t = ((p2[0] - p1[0]) * d2[1] - (p2[1] - p1[1]) * d2[0]) / cross
        corners.append(p1 + t * d1)
    quad = np.array(corners, np.float32)
    h, w = shape
    margin = 0.02 * max(h, w)
    if quad.min() < -margin or (quad[:, 0] > w + margin).any() or (quad[:, 1] > h + margin).any():
        return None  # sides that meet outside the picture are not the sheet's edges
    return quad


def _unlike_desk(rgb: np.ndarray) -> np.ndarray:
    """Mask (255) of what differs from the desk seen along the picture's border."""
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (5, 5), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    border = np.concatenate([lab[:4].reshape(-1, 3), lab[-4:].reshape(-1, 3), lab[:, :4].reshape(-1, 3), lab[:, -4:].reshape(-1, 3)])
    desk = np.median(border, axis=0)
    # Lightness and colour apart: a navy corner is as dark as a grey desk but far from it in hue.
    unlike = np.zeros(lab.shape[:2], bool)
    for channels, floor in (((0,), 25.0), ((1, 2), 12.0)):
        spread = float(np.median(np.linalg.norm(border[:, channels] - desk[list(channels)], axis=1)))
        unlike |= np.linalg.norm(lab[:, :, channels] - desk[list(channels)], axis=2) > max(floor, 3.0 * spread)
    mask = unlike.astype(np.uint8) * 255
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))


def has_background(rgb: np.ndarray) -> bool:
    """True when the picture's edges are mostly not paper: a sheet photographed on something.

    A scan, a render or a screenshot on a white app shows paper right up to
    its edges; searching those for a sheet outline finds decorations (corner
    swooshes, frames) and crops the wrong thing.
    """
    h, w = rgb.shape[:2]
    scale = 240 / max(h, w)
    small = cv2.resize(rgb, (max(4, round(w * scale)), max(4, round(h * scale))), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    value, sat = hsv[..., 2].astype(np.int16), hsv[..., 1]
    sh, sw = value.shape
    centre = value[sh // 4 : 3 * sh // 4, sw // 4 : 3 * sw // 4]
    paper = float(np.percentile(centre, 90))  # the sheet is the brightest large area
    b = max(2, int(0.03 * min(sh, sw)))
    border = np.ones((sh, sw), bool)
    border[b:-b, b:-b] = False
    paper_like = (np.abs(value - paper) < 30) & (sat < 50)
    return float(paper_like[border].mean()) < 0.5


def find_page_quad(rgb: np.ndarray) -> np.ndarray | None:
    """The four corners of the sheet in a photo or screenshot (full-res coordinates), or None."""
    if not has_background(rgb):
        return None
    h, w = rgb.shape[:2]
    scale = _DETECT_SIDE / max(h, w)
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    img_area = float(gray.shape[0] * gray.shape[1])
    candidates: list[tuple[float, np.ndarray]] = []

    def consider(contours) -> None:
        for cnt in contours:
            area = cv2.contourArea(cnt)
            if area < 0.2 * img_area:
                continue
            peri = cv2.arcLength(cnt, True)
            fine = cv2.approxPolyDP(cnt, 0.01 * peri, True).reshape(-1, 2).astype(np.float32)
            extended = _quad_from_long_sides(fine, gray.shape[:2]) if 5 <= len(fine) <= 8 else None
            if extended is not None:
                quad_area = cv2.contourArea(extended)
                if _quad_ok(extended, quad_area, img_area):
                    candidates.append((quad_area, extended))
            for eps in (0.02, 0.04):
                approx = cv2.approxPolyDP(cnt, eps * peri, True)
                if len(approx) == 4:
                    break
            else:
                # A sheet with a bent corner or a thumb over it: its rotated box.
                hull = cv2.convexHull(cnt)
                rect = cv2.boxPoints(cv2.minAreaRect(hull))
                if cv2.contourArea(hull) < 0.9 * cv2.contourArea(rect):
                    continue
                approx = rect.reshape(4, 1, 2)
            quad_area = cv2.contourArea(approx.astype(np.float32))
            if _quad_ok(approx.reshape(4, 2), quad_area, img_area):
                candidates.append((quad_area, approx.reshape(4, 2).astype(np.float32)))

    # 1) The sheet is brighter than most desks: Otsu on lightness.
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    _, bright = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    consider(contours)
    # 2) Whatever differs from the desk seen along the picture's border: keeps a
    #    sheet's dark coloured corner decorations, which lightness alone cuts off.
    contours, _ = cv2.findContours(_unlike_desk(small), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    consider(contours)
    # 3) Edges, for light desks and dark screenshots' borders alike.
    med = float(np.median(blur))
    edges = cv2.Canny(blur, int(max(0, 0.66 * med)), int(min(255, 1.33 * med)) or 50)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    consider(contours)
    if not candidates:
        return None
    _, quad = max(candidates, key=lambda c: c[0])
    return _order_corners(quad) / scale


def warp_page(rgb: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Perspective-correct the sheet bounded by quad to a flat rectangle."""
    tl, tr, br, bl = quad
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    dst = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return cv2.warpPerspective(rgb, m, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def crop_ui_bars(rgb: np.ndarray) -> np.ndarray:
    """Cut a phone screenshot's status/app bars and navigation bar off the top and bottom.

    Only for phone-shaped images (tall, h/w >= 1.7).  A bar is a band of
    near-uniform rows at an edge, followed by a change of colour; it is cut
    when the band is under 15% of the height.
    """
    h, w = rgb.shape[:2]
    if h / w < 1.7:
        return rgb
    small = cv2.resize(rgb, (160, max(1, round(h * 160 / w))), interpolation=cv2.INTER_AREA).astype(np.int16)
    sh = small.shape[0]
    row_mean = small.mean(axis=1)
    row_flat = small.std(axis=1).max(axis=1) < 6

    def band_end(rows: range) -> int:
        """Index where the uniform band starting at the edge changes to content."""
        last = None
        for i in rows:
            if last is not None and np.abs(row_mean[i] - last).max() > 20:
                return i
            if not row_flat[i] and last is not None:
                return i
            if row_flat[i]:
                last = row_mean[i]
        return rows.start

    limit = int(sh * 0.15)
    top = 0
    # Walk down through flat bands (status bar, app bar) and the icons inside them.
    i = 0
    while i < limit:
        if row_flat[i]:
            j = i
            while j < limit and row_flat[j] and np.abs(row_mean[j] - row_mean[i]).max() <= 20:
                j += 1
            if j >= limit:
                break
            if np.abs(row_mean[min(j, sh - 1)] - row_mean[i]).max() > 20:
                top = j
            i = j
        else:
            i += 1
    bottom = sh
    i = sh - 1
    while i > sh - limit:
        if row_flat[i]:
            j = i
            while j > sh - limit and row_flat[j] and np.abs(row_mean[j] - row_mean[i]).max() <= 20:
                j -= 1
            if j <= sh - limit:
                break
            if np.abs(row_mean[max(j, 0)] - row_mean[i]).max() > 20:
                bottom = j + 1
            i = j
        else:
            i -= 1
    y0 = int(top * h / sh)
    y1 = int(bottom * h / sh)
    if y1 - y0 < 0.6 * h:
        return rgb
    return rgb[y0:y1]


# --- tone ---------------------------------------------------------------------------------


def text_gray(rgb: np.ndarray) -> np.ndarray:
    """Grey where coloured ink is dark: the per-pixel minimum of R, G, B.

    Names are printed in gold or blue; plain luminance makes gold text pale,
    while the minimum channel keeps any saturated ink dark on white paper.
    """
    return rgb.min(axis=2)


def normalize_light(gray: np.ndarray) -> np.ndarray:
    """Divide by the estimated paper brightness to remove shadows and light gradients."""
    h, w = gray.shape[:2]
    # Estimate the background at 1/4 size: closing removes strokes thinner than
    # the kernel (all text), leaving paper brightness and big shapes.
    factor = 4
    small = cv2.resize(gray, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    k = max(5, int(round(math.sqrt(w * h) / factor / 45)) | 1)
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.GaussianBlur(bg, (0, 0), k / 3)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    out = cv2.divide(gray, np.maximum(bg, 1), scale=255)
    return out


def remove_rules(gray: np.ndarray) -> np.ndarray:
    """Paint long horizontal and vertical lines (rules under headings, frames) white.

    A rule close under a line of text makes Tesseract read the line as
    junk; frames split its layout analysis.  Letters never form runs an
    eighth of the page long, so opening with such a kernel keeps only rules.
    """
    h, w = gray.shape[:2]
    # Clear ink only: on a faint, evenly lit page Otsu can split paper grain
    # into "ink", and grain forms long runs too.
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, mask = cv2.threshold(gray, min(otsu, 170), 255, cv2.THRESH_BINARY_INV)
    horiz = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 8), 1)))
    vert = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, h // 8))))
    # Only thin rules: thick bands are filled shapes, not lines.
    thin_h = horiz & ~cv2.morphologyEx(horiz, cv2.MORPH_OPEN, np.ones((max(8, h // 150), 1), np.uint8))
    thin_v = vert & ~cv2.morphologyEx(vert, cv2.MORPH_OPEN, np.ones((1, max(8, w // 150)), np.uint8))
    rules = cv2.bitwise_or(thin_h, thin_v)
    if not rules.any() or rules.mean() > 0.05 * 255:
        return gray  # nothing to do, or something that is not rules
    rules = cv2.dilate(rules, np.ones((3, 3), np.uint8))
    out = gray.copy()
    out[rules > 0] = 255
    return out


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Binary text mask (255 = ink) of a light-normalised page."""
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask


# --- geometry -----------------------------------------------------------------------------


def rotate_quarter(arr: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate counter-clockwise by 0/90/180/270 degrees."""
    degrees %= 360
    if degrees == 0:
        return arr
    code = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}[degrees]
    return cv2.rotate(arr, code)


def estimate_skew(gray: np.ndarray, max_angle: float = 10.0) -> float:
    """Small skew angle in degrees (counter-clockwise positive) from text-line projection profiles."""
    h, w = gray.shape[:2]
    scale = 900 / max(h, w)
    small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    mask = ink_mask(small)
    # Keep only letter-sized blobs: long rules, frames and diagonal swooshes
    # would otherwise win the profile contest at their own angle.
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    sh0, sw0 = mask.shape
    bw, bh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    keep = (bh >= 3) & (bh <= 0.05 * sh0) & (bw <= 0.08 * sw0)
    keep[0] = False
    if keep.sum() < 20:
        return 0.0  # too few letters to measure
    mask = np.where(keep[labels], 255, 0).astype(np.uint8)
    # Smear letters horizontally into line blobs: sharper profiles, fewer angles fooled by marks.
    mask = cv2.dilate(mask, np.ones((1, 9), np.uint8))
    sh, sw = mask.shape
    centre = (sw / 2, sh / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rot = cv2.warpAffine(mask, m, (sw, sh), flags=cv2.INTER_NEAREST, borderValue=0)
        profile = rot.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-max_angle, max_angle + 0.01, 1.0), key=sharpness)
    fine = max(np.arange(best - 0.8, best + 0.81, 0.2), key=sharpness)
    return float(fine)


def rotate_small(arr: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by a small angle (degrees, CCW), filling corners with the edge colour."""
    h, w = arr.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(arr, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def is_blank(gray: np.ndarray) -> bool:
    """True when a page has (almost) no ink: a blank sheet or a flat colour."""
    small = cv2.resize(gray, (200, max(1, round(gray.shape[0] * 200 / gray.shape[1]))), interpolation=cv2.INTER_AREA)
    return float(small.std()) < 4.0
