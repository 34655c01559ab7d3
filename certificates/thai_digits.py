"""Recognising Thai digits (๐–๙), which Tesseract's Thai model cannot read.

Tesseract's ``tha`` model turns most Thai digits into ๒, ๓ or ๕ ("๒๕๖๔"
comes out as "๒๕๒๕"), yet official documents print hours and dates in Thai
digits.  This module classifies digit glyphs itself: each glyph is a single
connected stroke, cut out of the word box Tesseract found, described by a
small bitmap plus gradient-orientation histograms, and scored by a tiny
two-layer network stored in ``data/thai_digits.npz``.

The network is trained by ``bench/certificates/train_digits.py`` on fonts the
benchmark's generator does not use (Noto Thai, Arundina, Purisa, Tlwg Mono
and Typewriter), so the benchmark measures it on unseen faces.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

MODEL_PATH = Path(__file__).with_name("data") / "thai_digits.npz"
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_BITMAP = 18  # side of the normalised glyph bitmap
_CELLS = 6  # gradient histogram grid
_BINS = 8


def glyph_features(mask: np.ndarray) -> np.ndarray:
    """Feature vector of one glyph given as a binary mask (255 = ink), any size."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return np.zeros(_BITMAP * _BITMAP + _CELLS * _CELLS * _BINS + 1, np.float32)
    glyph = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255.0
    h, w = glyph.shape
    # Square canvas keeps the aspect ratio (๑ is round, ๗ is tall and narrow).
    side = max(h, w) + 2
    canvas = np.zeros((side, side), np.float32)
    y0, x0 = (side - h) // 2, (side - w) // 2
    canvas[y0 : y0 + h, x0 : x0 + w] = glyph
    big = cv2.resize(canvas, (36, 36), interpolation=cv2.INTER_AREA)
    big = cv2.GaussianBlur(big, (3, 3), 0.8)
    bitmap = cv2.resize(big, (_BITMAP, _BITMAP), interpolation=cv2.INTER_AREA).ravel()
    gx = cv2.Sobel(big, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(big, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    ang = (np.arctan2(gy, gx) % (2 * np.pi)) / (2 * np.pi) * _BINS
    bins = np.minimum(ang.astype(np.int32), _BINS - 1)
    cell = 36 // _CELLS
    hog = np.zeros((_CELLS, _CELLS, _BINS), np.float32)
    for cy in range(_CELLS):
        for cx in range(_CELLS):
            sl = (slice(cy * cell, (cy + 1) * cell), slice(cx * cell, (cx + 1) * cell))
            hog[cy, cx] = np.bincount(bins[sl].ravel(), weights=mag[sl].ravel(), minlength=_BINS)
    hog = hog.ravel()
    hog /= np.linalg.norm(hog) + 1e-6
    bitmap = bitmap / (np.linalg.norm(bitmap) + 1e-6)
    aspect = np.array([np.log(w / h)], np.float32)
    return np.concatenate([bitmap, hog, aspect]).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _model() -> dict[str, np.ndarray] | None:
    if not MODEL_PATH.exists():
        return None
    with np.load(MODEL_PATH) as data:
        return {k: data[k].astype(np.float32) for k in data.files}


def classify_features(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Classes (0–9 Thai digits, 10–19 Latin digits) and their probabilities for feature rows."""
    probs = _class_probs(features)
    return probs.argmax(axis=1), probs.max(axis=1)


def model_available() -> bool:
    """True when the digit model file is present."""
    return _model() is not None


def segment_glyphs(gray: np.ndarray, keep: tuple[float, float] | None = None) -> list[np.ndarray]:
    """Binary masks of the glyphs in a crop of a number, left to right.

    ``keep`` (x range): only glyphs whose centre falls inside it, so a crop
    widened to catch a clipped digit does not pick up its neighbours.
    """
    if gray.size == 0:
        return []
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h = gray.shape[0]
    boxes = []
    for i in range(1, n):
        x, y, w, bh, area = stats[i]
        # Digits stand at least a third of the word's height; specks and dots do not.
        if bh < 0.3 * h or area < 6:
            continue
        boxes.append([x, x + w, i])
    if keep is not None:
        boxes = [b for b in boxes if keep[0] <= (b[0] + b[1]) / 2 <= keep[1]]
    boxes.sort()
    # A glyph broken by compression comes out as pieces stacked in one column: join them.
    merged: list[list[int]] = []
    for x0, x1, i in boxes:
        if merged and min(x1, merged[-1][1]) - max(x0, merged[-1][0]) > 0.5 * min(x1 - x0, merged[-1][1] - merged[-1][0]):
            merged[-1][0] = min(merged[-1][0], x0)
            merged[-1][1] = max(merged[-1][1], x1)
            merged[-1].append(i)
        else:
            merged.append([x0, x1, i])
    glyphs = []
    for group in merged:
        ids = group[2:]
        glyph = np.where(np.isin(labels, ids), 255, 0).astype(np.uint8)[:, group[0] : group[1]]
        glyphs.extend(_split_touching(glyph))
    return glyphs


def _split_touching(glyph: np.ndarray) -> list[np.ndarray]:
    """Split a blob of digits that blur or compression joined, at the thinnest columns.

    Thai digits are about as wide as they are tall; a blob much wider than
    its ink height holds several of them.
    """
    ys = np.nonzero(glyph.any(axis=1))[0]
    if len(ys) == 0:
        return [glyph]
    ink_h = ys[-1] - ys[0] + 1
    w = glyph.shape[1]
    count = int(round(w / (0.85 * ink_h)))
    if w < 1.45 * ink_h or count < 2:
        return [glyph]
    profile = (glyph > 0).sum(axis=0).astype(np.float32)
    cuts = [0]
    for k in range(1, count):
        centre = int(k * w / count)
        lo, hi = max(cuts[-1] + 1, centre - w // (3 * count)), min(w - 1, centre + w // (3 * count))
        cut = lo + int(np.argmin(profile[lo : hi + 1])) if hi > lo else centre
        cuts.append(cut)
    cuts.append(w)
    return [glyph[:, a:b] for a, b in zip(cuts, cuts[1:]) if b - a > 1]


def _split_widest(glyphs: list[np.ndarray]) -> list[np.ndarray] | None:
    """Split the widest glyph in two at its thinnest column near the middle, if it is wide."""
    k = max(range(len(glyphs)), key=lambda i: glyphs[i].shape[1])
    g = glyphs[k]
    ys = np.nonzero(g.any(axis=1))[0]
    w = g.shape[1]
    if len(ys) == 0 or w < 0.9 * (ys[-1] - ys[0] + 1) or w < 6:
        return None  # not wider than one digit: nothing to split
    profile = (g > 0).sum(axis=0)
    lo, hi = w // 3, 2 * w // 3
    cut = lo + int(np.argmin(profile[lo : hi + 1]))
    return glyphs[:k] + [g[:, :cut], g[:, cut:]] + glyphs[k + 1 :]


def _class_probs(features: np.ndarray) -> np.ndarray:
    """Per-glyph probabilities of the 20 classes (0–9 Thai digits, 10–19 Latin digits)."""
    m = _model()
    if m is None:
        raise FileNotFoundError(MODEL_PATH)
    x = (features - m["mean"]) / m["std"]
    probs = np.zeros((len(x), m["w2"].shape[-1]), np.float32)
    for w1, b1, w2, b2 in zip(m["w1"], m["b1"], m["w2"], m["b2"]):
        logits = np.maximum(0.0, x @ w1 + b1) @ w2 + b2
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        probs += p / p.sum(axis=1, keepdims=True)
    return probs / len(m["w1"])


def _decode(digit_probs: np.ndarray, allowed) -> tuple[str, float]:
    """The most probable digit string that passes ``allowed`` (falls back to plain argmax)."""
    n = len(digit_probs)
    best = "".join(str(int(i)) for i in digit_probs.argmax(axis=1))
    best_p = float(np.prod(digit_probs.max(axis=1)))
    if allowed is None or allowed(best) or n > 4:
        return best, best_p
    # Few glyphs: enumerate the top three digits per glyph.
    top = [np.argsort(-row)[:3] for row in digit_probs]
    cand: tuple[str, float] | None = None
    for combo in np.array(np.meshgrid(*top)).T.reshape(-1, n):
        s = "".join(str(int(d)) for d in combo)
        if not allowed(s):
            continue
        p = float(np.prod([digit_probs[k, d] for k, d in enumerate(combo)]))
        if cand is None or p > cand[1]:
            cand = (s, p)
    return cand if cand is not None else (best, best_p)


def _join_narrowest(glyphs: list[np.ndarray]) -> list[np.ndarray] | None:
    """Join the adjacent pair of glyphs that together are narrowest, if that still makes one digit."""
    if len(glyphs) < 2:
        return None
    k = min(range(len(glyphs) - 1), key=lambda i: glyphs[i].shape[1] + glyphs[i + 1].shape[1])
    a, b = glyphs[k], glyphs[k + 1]
    if a.shape[1] + b.shape[1] > 1.3 * a.shape[0]:
        return None
    return glyphs[:k] + [np.hstack([a, b])] + glyphs[k + 2 :]


def read_thai_number(
    gray: np.ndarray,
    keep: tuple[float, float] | None = None,
    expected: int | None = None,
    allowed=None,
    tesseract: str | None = None,
) -> tuple[str, float, float] | None:
    """Read a number printed in Thai digits from a grey crop: (ASCII digits, confidence, Thai-script certainty).

    None when the model is missing, the crop holds no glyphs, or the glyphs
    are mostly Latin digits (Tesseract reads those well; keep its reading).
    ``allowed(digits)`` restricts the reading to plausible values for the slot.
    ``tesseract``: what Tesseract read there; when it has one character per
    glyph, its (confusable but informative) reading is weighed in through
    the confusion table learnt with the model.
    """
    if not model_available():
        return None
    glyphs = segment_glyphs(gray, keep)
    if expected and keep is not None and len(glyphs) < expected:
        # Tesseract's box can be narrower than the number: look a little wider.
        margin = 0.5 * gray.shape[0]
        wider = segment_glyphs(gray, (keep[0] - margin, keep[1] + margin))
        if len(wider) <= expected:
            glyphs = wider
    if not glyphs or len(glyphs) > 8:
        return None
    # Tesseract counted the digits even when it misread them: blur-joined
    # digits are split until the counts agree.
    while expected and len(glyphs) < expected:
        split = _split_widest(glyphs)
        if split is None:
            break
        glyphs = split
    # And a digit broken in two by compression is joined back with its neighbour.
    while expected and len(glyphs) > expected:
        joined = _join_narrowest(glyphs)
        if joined is None:
            break
        glyphs = joined
    feats = np.stack([glyph_features(g) for g in glyphs])
    probs = _class_probs(feats)
    idx = probs.argmax(axis=1)
    thai = int((idx < 10).sum())
    if thai * 2 <= len(idx):
        return None
    # Digit value regardless of script, then the best reading the slot allows
    # (a day is 1–31, a BE year on a certificate is 25xx).
    digit_probs = probs[:, :10] + probs[:, 10:]
    m = _model()
    if tesseract and len(tesseract) == len(glyphs) and m is not None and "tess_confusion" in m:
        table = m["tess_confusion"]
        for k, ch in enumerate(tesseract):
            row = THAI_DIGITS.find(ch) if ch in THAI_DIGITS else (int(ch) if ch.isdigit() and ch.isascii() else 10)
            # Tempered: the table comes from clean crops, and on a page
            # Tesseract confuses more than it did there.
            digit_probs[k] *= np.sqrt(table[row])
            digit_probs[k] /= digit_probs[k].sum()
    text, _ = _decode(digit_probs, allowed)
    conf = float(min(digit_probs[k, int(d)] for k, d in enumerate(text)))
    # How sure the glyphs are Thai digits at all (not Latin ones).
    script = float(probs[:, :10].sum(axis=1).min())
    return text, min(conf, 1.0), script
