"""Recognising Thai digits (๐–๙), which Tesseract's Thai model cannot read.

Tesseract's ``tha`` model turns most Thai digits into ๒, ๓ or ๕ ("๒๕๖๔"
comes out as "๒๕๒๕"), yet official documents print hours and dates in Thai
digits.  This module classifies digit glyphs itself: each glyph is a single
connected stroke, cut out of the word box Tesseract found, described by a
small bitmap plus gradient-orientation histograms, and scored by an
ensemble of small two-layer networks stored in ``data/thai_digits.npz``.

Glyphs are told from tone marks and specks by their height relative to the
tallest glyph of the number, not to the crop: a crop around a line can be
three times a digit's height, and ๓ or ๐ stand lower than ๒'s tail.  The
network has a "not a digit" class besides the Thai and Latin digits, so a
letter of the next word that a loose box caught ("๒๙ พ") is dropped.
Tesseract's reading still counts: its confusable characters are weighed in
through a confusion table learnt with the network.

The network is trained by ``bench/certificates/train_digits.py`` on fonts the
benchmark's generator does not use (Noto Thai, Arundina, Purisa, Tlwg Mono
and Typewriter, the SIPA national fonts) through a simulated capture chain
(small size, blur, noise, JPEG, upscaling), so the benchmark measures it on
unseen faces.  A small convolutional network over the glyph image itself
(``data/thai_digit_glyphs.onnx``, ``bench/certificates/train_digit_cnn.py``,
same faces and chain) is averaged in when present.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from .onnx_models import load_session

MODEL_PATH = Path(__file__).with_name("data") / "thai_digits.npz"
# The convolutional classifier of glyph images (bench/certificates/train_digit_cnn.py).
CNN_PATH = Path(__file__).with_name("data") / "thai_digit_glyphs.onnx"
GLYPH_SIDE = 32
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
# Classes: 0–9 Thai digits, 10–19 Latin digits, 20 anything else (a letter the crop caught).
N_CLASSES = 21
JUNK = 20
# P(not a digit) above which a glyph Tesseract read as a digit is dropped all the same.
SURE_LETTER = 0.95
# P(Thai digit) below which a glyph at the end of a number of Thai digits is no part of it.
FOREIGN_GLYPH = 0.1
_BITMAP = 18  # side of the normalised glyph bitmap
_CELLS = 6  # gradient histogram grid
_BINS = 8


def _square_canvas(mask: np.ndarray) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The ink of a glyph mask (255 = ink) centred on a square canvas (ink 1.0), and its height and width.

    Square keeps the aspect ratio (๑ is round, ๗ is tall and narrow).  None when the mask holds no ink.
    """
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    glyph = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255.0
    h, w = glyph.shape
    side = max(h, w) + 2
    canvas = np.zeros((side, side), np.float32)
    y0, x0 = (side - h) // 2, (side - w) // 2
    canvas[y0 : y0 + h, x0 : x0 + w] = glyph
    return canvas, (h, w)


def glyph_features(mask: np.ndarray) -> np.ndarray:
    """Feature vector of one glyph given as a binary mask (255 = ink), any size."""
    squared = _square_canvas(mask)
    if squared is None:
        return np.zeros(_BITMAP * _BITMAP + _CELLS * _CELLS * _BINS + 1, np.float32)
    canvas, (h, w) = squared
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


def glyph_image(mask: np.ndarray) -> np.ndarray:
    """A glyph mask (255 = ink) centred on a square canvas (aspect kept), ``GLYPH_SIDE`` px, ink 1.0."""
    squared = _square_canvas(mask)
    if squared is None:
        return np.zeros((GLYPH_SIDE, GLYPH_SIDE), np.float32)
    canvas, _ = squared
    interp = cv2.INTER_AREA if canvas.shape[0] > GLYPH_SIDE else cv2.INTER_LINEAR
    return cv2.resize(canvas, (GLYPH_SIDE, GLYPH_SIDE), interpolation=interp)


@functools.lru_cache(maxsize=1)
def digit_cnn():
    return load_session(CNN_PATH)


def _glyph_probs(glyphs: list[np.ndarray]) -> np.ndarray:
    """Per-glyph probabilities of the classes: the feature ensemble and the convolutional network, averaged.

    Neither is better alone: on the generator's faces the network reads
    more Thai digits right (98.3 % against 97.3 %) and fewer Latin digits
    and letters; averaged, 8 more of the 1,040 Thai-digit hours and date
    lines of draws 2578-2584 read right and no Latin one changed.
    """
    probs = _class_probs(np.stack([glyph_features(g) for g in glyphs]))
    cnn = digit_cnn()
    if cnn is None:
        return probs
    (out,) = cnn.run(None, {"glyph": np.stack([glyph_image(g) for g in glyphs])[:, None]})
    return 0.5 * probs + 0.5 * out


@functools.lru_cache(maxsize=1)
def _model() -> dict[str, np.ndarray] | None:
    if not MODEL_PATH.exists():
        return None
    with np.load(MODEL_PATH) as data:
        return {k: data[k].astype(np.float32) for k in data.files}


def load_models() -> None:
    """Load both glyph classifiers now (each loads on first use otherwise)."""
    _model()
    digit_cnn()


def model_available() -> bool:
    """True when the digit model file is present."""
    return _model() is not None


def segment_glyphs(gray: np.ndarray, keep: tuple[float, float] | None = None) -> list[np.ndarray]:
    """Binary masks of the glyphs in a crop of a number, left to right (each as tall as the crop).

    ``keep`` (x range): only glyphs whose centre falls inside it, so a crop
    widened to catch a clipped digit does not pick up its neighbours.
    """
    if gray.size == 0:
        return []
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    comps = [(x, x + w, y, y + bh, i) for i, (x, y, w, bh, area) in enumerate(stats) if i and area >= 6]
    if keep is not None:
        comps = [c for c in comps if keep[0] <= (c[0] + c[1]) / 2 <= keep[1]]
    if not comps:
        return []
    # Digits stand at least about half as tall as the tallest one (๓ beside ๒'s tail);
    # tone marks, dots and JPEG specks do not.  Measured against the
    # glyphs, not the crop: a line crop may be three times a digit's height.
    digit_h = max(c[3] - c[2] for c in comps)
    comps = sorted(c for c in comps if c[3] - c[2] >= 0.45 * digit_h)
    # A glyph broken by compression comes out as pieces stacked in one column: join them.
    merged: list[list[int]] = []
    for x0, x1, _, _, i in comps:
        if merged and min(x1, merged[-1][1]) - max(x0, merged[-1][0]) > 0.5 * min(x1 - x0, merged[-1][1] - merged[-1][0]):
            merged[-1][0] = min(merged[-1][0], x0)
            merged[-1][1] = max(merged[-1][1], x1)
            merged[-1].append(i)
        else:
            merged.append([x0, x1, i])
    glyphs = []
    for group in merged:
        glyph = np.where(np.isin(labels, group[2:]), 255, 0).astype(np.uint8)[:, group[0] : group[1]]
        glyphs.extend(_split_touching(glyph, digit_h))
    return glyphs


def _ink_height(glyph: np.ndarray) -> int:
    """Height of the ink in a glyph mask (masks are as tall as the crop)."""
    rows = np.nonzero(glyph.any(axis=1))[0]
    return int(rows[-1] - rows[0] + 1) if len(rows) else 0


def _cut(glyph: np.ndarray, count: int) -> list[np.ndarray]:
    """Cut a blob into ``count`` pieces at its thinnest columns near the even split points."""
    w = glyph.shape[1]
    profile = (glyph > 0).sum(axis=0)
    cuts = [0]
    for k in range(1, count):
        centre = int(k * w / count)
        lo, hi = max(cuts[-1] + 1, centre - w // (3 * count)), min(w - 1, centre + w // (3 * count))
        cuts.append(lo + int(np.argmin(profile[lo : hi + 1])) if hi > lo else centre)
    cuts.append(w)
    return [glyph[:, a:b] for a, b in zip(cuts, cuts[1:]) if b - a > 1]


def _split_touching(glyph: np.ndarray, digit_h: int) -> list[np.ndarray]:
    """Split a blob of digits that blur or compression joined.

    A Thai digit is at most ~1.45 times as wide as the tallest digit of its
    face (๗, ๘); two joined ones are usually ~1.7 times or more.  Measured against
    ``digit_h``, not the blob's own height: a lone ๓ is wide for its height.
    """
    w = glyph.shape[1]
    if w < 1.6 * digit_h:
        return [glyph]
    return _cut(glyph, max(2, int(round(w / (0.95 * digit_h)))))


def split_widest(glyphs: list[np.ndarray]) -> list[np.ndarray] | None:
    """Split the widest glyph in two, if it is wide enough to hold two digits.

    Called when Tesseract counted more digits than were segmented.  Its count
    is often wrong ("๒๕๒๐๓" for a four-digit year), so a glyph no wider than
    one digit is never cut.
    """
    digit_h = max(_ink_height(g) for g in glyphs)
    k = max(range(len(glyphs)), key=lambda i: glyphs[i].shape[1])
    if glyphs[k].shape[1] < max(6, 1.3 * digit_h):
        return None
    return glyphs[:k] + _cut(glyphs[k], 2) + glyphs[k + 1 :]


def _join_narrowest(glyphs: list[np.ndarray]) -> list[np.ndarray] | None:
    """Join the adjacent pair of glyphs that together are narrowest, if that still makes one digit."""
    if len(glyphs) < 2:
        return None
    digit_h = max(_ink_height(g) for g in glyphs)
    k = min(range(len(glyphs) - 1), key=lambda i: glyphs[i].shape[1] + glyphs[i + 1].shape[1])
    a, b = glyphs[k], glyphs[k + 1]
    if a.shape[1] + b.shape[1] > 1.3 * digit_h:
        return None
    return glyphs[:k] + [np.hstack([a, b])] + glyphs[k + 2 :]


def number_glyphs(
    gray: np.ndarray,
    keep: tuple[float, float] | None,
    expected: int | None,
    junk_of: Callable[[list[np.ndarray]], np.ndarray] | None = None,
) -> list[np.ndarray]:
    """The glyphs of one number, reconciled with Tesseract's digit count where it is plausible.

    ``junk_of`` gives each glyph's P(not a digit); by default the classifier's (:func:`junk_probs`).
    """
    glyphs = _without_end_letters(segment_glyphs(gray, keep), expected, junk_of)
    if expected and keep is not None and len(glyphs) < expected:
        # Tesseract's box can be narrower than the number: look a little wider, on
        # both sides, else on one (both may catch the clipped digit and the next word's letter).
        # Counted once the letters at the ends are dropped: a box that clips the first
        # digit may still hold a stroke of the next word ("๑๖ เม" read with "๖" and the
        # left stroke of "เ").
        margin = 0.5 * gray.shape[0]
        for lo, hi in ((margin, margin), (margin, 0.0), (0.0, margin)):
            wider = _without_end_letters(segment_glyphs(gray, (keep[0] - lo, keep[1] + hi)), expected, junk_of)
            if len(glyphs) < len(wider) <= expected:
                glyphs = wider
                break
    if not glyphs or len(glyphs) > 8:
        return glyphs
    # Tesseract counted the digits even when it misread them: blur-joined
    # digits are split until the counts agree.
    while expected and len(glyphs) < expected:
        split = split_widest(glyphs)
        if split is None:
            break
        glyphs = split
    # And a digit broken in two by compression is joined back with its neighbour.
    while expected and len(glyphs) > expected:
        joined = _join_narrowest(glyphs)
        if joined is None:
            break
        glyphs = joined
    return glyphs


def _without_end_letters(
    glyphs: list[np.ndarray], expected: int | None, junk_of: Callable[[list[np.ndarray]], np.ndarray] | None,
) -> list[np.ndarray]:
    """``glyphs`` without the letters at either end.

    A box that overlaps the next word catches its first letter ("๒๙ พ").
    Below the count of digits Tesseract saw there only a sure letter is
    dropped: a blurred ๑ half looks like one ("๑๔" read as 4).
    """
    if not glyphs or len(glyphs) > 8:
        return glyphs
    junk = (junk_of or junk_probs)(glyphs)
    lo, hi = 0, len(glyphs)

    def letter(k: int) -> bool:
        return junk[k] > (SURE_LETTER if expected and hi - lo <= expected else 0.5)

    while hi - lo > 1 and letter(lo):
        lo += 1
    while hi - lo > 1 and letter(hi - 1):
        hi -= 1
    return glyphs[lo:hi]


def junk_probs(glyphs: list[np.ndarray]) -> np.ndarray:
    """P(not a digit) of each glyph (zeros for a model without that class)."""
    probs = _glyph_probs(glyphs)
    return probs[:, JUNK] if probs.shape[1] > JUNK else np.zeros(len(glyphs))


def _class_probs(features: np.ndarray) -> np.ndarray:
    """Per-glyph probabilities of the classes (0–9 Thai digits, 10–19 Latin digits, 20 not a digit)."""
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


def _best_allowed(digit_probs: np.ndarray, allowed) -> tuple[str, float] | None:
    """The most probable reading of few glyphs that passes ``allowed``, from the top three digits of each."""
    n = len(digit_probs)
    top = [np.argsort(-row)[:3] for row in digit_probs]
    cand: tuple[str, float] | None = None
    for combo in np.array(np.meshgrid(*top)).T.reshape(-1, n):
        s = "".join(str(int(d)) for d in combo)
        if not allowed(s):
            continue
        p = float(np.prod([digit_probs[k, d] for k, d in enumerate(combo)]))
        if cand is None or p > cand[1]:
            cand = (s, p)
    return cand


def decode_digits(digit_probs: np.ndarray, allowed, not_digit: np.ndarray) -> tuple[str, list[int]]:
    """The most probable digit string that passes ``allowed``, and the glyphs it reads (falls back to plain argmax).

    When no reading of all the glyphs passes, one glyph may be none of the
    number's digits (a stroke of "ที่" beside the day, a bracket, a mark
    split off): each is left out in turn, weighed by ``not_digit``, its
    probability of being no Thai digit.
    """
    n = len(digit_probs)
    every = list(range(n))
    best = "".join(str(int(i)) for i in digit_probs.argmax(axis=1))
    if allowed is None or allowed(best) or n > 4:
        return best, every
    cand = _best_allowed(digit_probs, allowed)
    if cand is not None:
        return cand[0], every
    options = []
    for k in range(n) if n > 1 else ():
        rest = [i for i in every if i != k]
        found = _best_allowed(digit_probs[rest], allowed)
        if found is not None:
            options.append((found[1] * float(not_digit[k]), found[0], rest))
    if not options:
        return best, every
    _, text, kept = max(options, key=lambda o: o[0])
    return text, kept


# How sure the classifier must be of each Latin digit to overrule Tesseract's
# reading of it, or to vouch for it (``ocr.fix_thai_digits``, ``repairs.digits.glyphs_confirm``).
SURE_LATIN_DIGIT = 0.95


def read_latin_number(
    gray: np.ndarray, keep: tuple[float, float] | None = None, expected: int | None = None,
) -> tuple[str, float] | None:
    """Read a number printed in Latin digits from a grey crop: (its digits, how sure of the least sure one).

    None when the model is missing, the glyphs are not ``expected`` many, or
    they are not plainly Latin digits (Thai ones are :func:`read_thai_number`'s).
    """
    if not model_available():
        return None
    glyphs = number_glyphs(gray, keep, expected)
    if not glyphs or (expected and len(glyphs) != expected):
        return None
    full = _glyph_probs(glyphs)
    digits = full[:, :JUNK] / full[:, :JUNK].sum(axis=1, keepdims=True)
    latin = digits[:, 10:]
    if (latin.sum(axis=1) < 0.5).any() or (full[:, JUNK] > 0.5).any():
        return None
    return "".join(str(int(k)) for k in latin.argmax(axis=1)), float(latin.max(axis=1).min())


def latin_digits_in(gray: np.ndarray) -> list[tuple[str, float]]:
    """The glyphs of a line's crop the classifier takes for Latin digits, left to right: (the digit, how sure).

    Letters and marks, which it calls "not a digit" or a Thai digit, are left out.
    """
    if not model_available():
        return []
    glyphs = segment_glyphs(gray)
    if not glyphs:
        return []
    out = []
    for p in _glyph_probs(glyphs):
        digits = p[:JUNK] / p[:JUNK].sum()
        if p[JUNK] < 0.5 and digits[10:].sum() > digits[:10].sum():
            k = int(digits[10:].argmax())
            out.append((str(k), float(digits[10 + k])))
    return out


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
    glyphs = number_glyphs(gray, keep, expected)
    if not glyphs or len(glyphs) > 8:
        return None
    full = _glyph_probs(glyphs)
    # A glyph that stayed in the number is read as a digit: renormalise over the digit classes.
    probs = full[:, :JUNK] / full[:, :JUNK].sum(axis=1, keepdims=True)
    thai_p, latin_p = probs[:, :10].sum(axis=1), probs[:, 10:].sum(axis=1)
    if thai_p.sum() <= latin_p.sum():
        return None
    # A Thai number holds no Latin digit: a glyph at either end that is surely
    # no Thai digit while the rest are is a neighbour's stroke or a bracket
    # (the "1" of "136" read for ๓๖).  Only where no check on the value
    # (hours): a day or year the check rules out is mended in decode_digits, and a
    # blurred ๒ in "๒๗" may look like no digit at all.
    not_thai = 1.0 - full[:, :10].sum(axis=1)
    if allowed is None:
        foreign = not_thai > 1.0 - FOREIGN_GLYPH
        lo, hi = 0, len(glyphs)
        while hi - lo > 1 and foreign[lo] and (not_thai[lo + 1:hi] < 0.5).all():
            lo += 1
        while hi - lo > 1 and foreign[hi - 1] and (not_thai[lo:hi - 1] < 0.5).all():
            hi -= 1
        glyphs, probs, thai_p, not_thai = glyphs[lo:hi], probs[lo:hi], thai_p[lo:hi], not_thai[lo:hi]
    # Digit value regardless of script, then the best reading the slot allows
    # (a day is 1–31, a BE year on a certificate is 25xx).
    digit_probs = probs[:, :10] + probs[:, 10:]
    m = _model()
    if tesseract and len(tesseract) == len(glyphs) and m is not None and "tess_confusion" in m:
        # Learnt on the same degraded renders as the network, so used at full strength.
        table = m["tess_confusion"]
        for k, ch in enumerate(tesseract):
            row = THAI_DIGITS.find(ch) if ch in THAI_DIGITS else (int(ch) if ch.isdigit() and ch.isascii() else 10)
            digit_probs[k] *= table[row]
            digit_probs[k] /= digit_probs[k].sum()
    text, kept = decode_digits(digit_probs, allowed, not_thai)
    conf = float(min(digit_probs[k, int(d)] for k, d in zip(kept, text)))
    # How sure the glyphs are Thai digits at all (not Latin ones).
    script = float(thai_p[kept].min())
    return text, min(conf, 1.0), script
