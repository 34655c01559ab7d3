"""A small trained recogniser for one printed Thai line, used to check Tesseract's readings.

Debian's Thai model misreads some letters of modern web faces at every
scale, often in all its readings at once: ฐ as ช, ธ as ร on loopless faces,
ุ as ู.  Its float model, which could be fine-tuned, is not packaged.  This
module runs a convolutional + BiLSTM network trained with CTC (``data/
thai_lines.onnx``, trained by ``bench/certificates/train_line_recognizer.py``
on faces the benchmark never uses) through ONNX Runtime.

The network does not replace Tesseract: :func:`ctc_log_likelihood` over
:func:`log_probs` says how likely a candidate spelling is under the
network, so the reader can choose among Tesseract's readings and
look-alike variants of them (:mod:`certificates.spelling_check`).  A line is normalised the same way in
training and here (:func:`normalize_line`): the ink's bounding box, scaled
to :data:`HEIGHT` pixels, white text on black in 0..1.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import math
import threading
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from .onnx_models import load_session

MODEL_PATH = Path(__file__).with_name("data") / "thai_lines.onnx"
HEIGHT = 32
FRAME = 4  # pixels of normalised width per output frame
MAX_WIDTH = 1024
# Index 0 is CTC's blank.  Thai letters, vowels, tone marks and digits, Latin
# digits and the punctuation a name or a certificate line carries.  No space:
# the network judges letters, and word spacing is Tesseract's to give.
CHARSET = (
    "".join(chr(c) for c in range(0x0E01, 0x0E3B))
    + "".join(chr(c) for c in range(0x0E40, 0x0E5A))
    + "0123456789.()-/:"
)
_INDEX = {ch: i + 1 for i, ch in enumerate(CHARSET)}
N_CLASSES = len(CHARSET) + 1
# A label for print the network has no letters for (a Latin word in a Thai
# title): it spans any run of frames at WILDCARD_COST nats a frame, so
# spellings that differ only in Thai letters can still be compared.  The cost
# keeps it from swallowing Thai letters next to it: a confident letter costs
# next to nothing, and a letter is several frames wide.
WILDCARD = -1
WILDCARD_COST = 3.0


def _ink_box(gray: np.ndarray) -> tuple[tuple[int, int, int, int], float, float] | None:
    """The padded box (top, bottom, left, right) of a grey line crop's ink, and its ink and paper levels."""
    lo, hi = np.percentile(gray, (1, 99))
    if hi - lo < 30:
        return None
    ink = gray < (lo + hi) / 2
    # A stray speck or a neighbour's clipped stroke must not stretch the box.
    rows = np.flatnonzero(ink.sum(axis=1) >= max(2, 0.003 * ink.shape[1]))
    cols = np.flatnonzero(ink.sum(axis=0) >= 1)
    if rows.size == 0 or cols.size == 0:
        return None
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    pad = max(1, (bottom - top) // 12)
    h, w = gray.shape
    return (max(0, top - pad), min(h, bottom + pad), max(0, left - pad), min(w, right + pad)), float(lo), float(hi)


def _line_width(box_width: int, box_height: int) -> int:
    """The width of a normalised line whose ink box is ``box_width`` × ``box_height``."""
    return int(min(MAX_WIDTH, max(8, round(box_width * (HEIGHT / box_height)))))


def normalize_line(gray: np.ndarray) -> np.ndarray | None:
    """The ink of a line crop (dark text on light paper), ``HEIGHT`` px tall, ink high, as float32 in 0..1.

    None when the crop holds no ink.
    """
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    found = _ink_box(gray)
    if found is None:
        return None
    (top, bottom, left, right), lo, hi = found
    box = gray[top:bottom, left:right]
    scale = HEIGHT / box.shape[0]
    width = _line_width(box.shape[1], box.shape[0])
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(box, (width, HEIGHT), interpolation=interp).astype(np.float32)
    small = (hi - small) / max(hi - lo, 1.0)
    return np.clip(small, 0.0, 1.0)


def frame_x(gray: np.ndarray, frame: int) -> float | None:
    """The x in a grey line crop that the middle of output frame ``frame`` of :func:`normalize_line`'s line sees."""
    found = _ink_box(gray)
    if found is None:
        return None
    (top, bottom, left, right), _, _ = found
    width = _line_width(right - left, bottom - top)
    return left + (frame * FRAME + FRAME / 2) * (right - left) / width


def encode(text: str) -> list[int] | None:
    """Class indices of ``text``, or None when it holds a character the network does not know."""
    out = [_INDEX.get(ch) for ch in text]
    return None if any(i is None for i in out) else out  # type: ignore[return-value]


def encode_with_wildcards(text: str) -> list[int]:
    """Class indices of ``text``'s words, each word the network cannot spell one :data:`WILDCARD` ("(Advanced)")."""
    out: list[int] = []
    for word in text.split():
        labels = encode(word)
        if labels is not None:
            out.extend(labels)
        elif not out or out[-1] != WILDCARD:
            out.append(WILDCARD)
    return out


@functools.lru_cache(maxsize=1)
def _session():
    return load_session(MODEL_PATH)


def load_model() -> bool:
    """Load the network now (it loads on first use otherwise); False when its file is missing."""
    return _session() is not None


def _run(line: np.ndarray) -> np.ndarray:
    """Per-frame log-probabilities of a normalised line (the session must exist)."""
    width = line.shape[1] + (-line.shape[1]) % FRAME
    batch = np.zeros((1, 1, HEIGHT, width), np.float32)
    batch[0, 0, :, : line.shape[1]] = line
    (out,) = _session().run(None, {"image": batch})
    return out[0]


def log_probs(gray: np.ndarray) -> np.ndarray | None:
    """Per-frame log-probabilities (frames × classes) of a line crop, or None (no ink, no model)."""
    views = log_probs_views(gray)
    return views[0] if views else None


def log_probs_views(gray: np.ndarray) -> list[np.ndarray]:
    """:func:`log_probs` of the line, and of the line shifted by half a frame ([] when None).

    Each output frame sees a 4-px column of the line; where a letter's
    telling stroke falls against a frame boundary decides more than it
    should between look-alikes.  A spelling's likelihood averaged over both
    phases is steadier: on the name-line checks of bench draws 2576/2577 it
    chose 698 of 720 right against 693, on the title lines the same, and
    on the hours and date lines 1,224 of 1,238 against 1,222.
    The last few crops' views are kept: each repair of a line reads the same crop.
    """
    if _session() is None:
        return []
    key = (gray.shape, str(gray.dtype), hashlib.blake2b(np.ascontiguousarray(gray).data, digest_size=16).digest())
    with _SEEN_LOCK:
        if key in _SEEN:
            _SEEN.move_to_end(key)
            return list(_SEEN[key])
    line = normalize_line(gray)
    views = [] if line is None else [_run(line), _run(np.pad(line, ((0, 0), (FRAME // 2, 0))))]
    for view in views:
        view.flags.writeable = False  # shared by every caller of the same crop
    with _SEEN_LOCK:
        _SEEN[key] = views
        while len(_SEEN) > _SEEN_MAX:
            _SEEN.popitem(last=False)
    return list(views)


# The views of the last crops read (see log_probs_views): a page's field lines, each through its repairs.
_SEEN_MAX = 16
_SEEN: collections.OrderedDict[tuple, list[np.ndarray]] = collections.OrderedDict()
_SEEN_LOCK = threading.Lock()


def collapse(best: Iterable[int]) -> list[int]:
    """A frame path's labels: repeats merged, blanks dropped."""
    out, prev = [], 0
    for k in best:
        if k != prev and k != 0:
            out.append(int(k))
        prev = k
    return out


def greedy(lp: np.ndarray) -> str:
    """The text of the best path through the frames."""
    return "".join(CHARSET[k - 1] for k in collapse(lp.argmax(axis=1)))


def ctc_log_likelihood(lp: np.ndarray, labels: list[int]) -> float:
    """log P(labels | frames) by CTC's forward algorithm (-inf when the line is too short for them).

    ``labels`` may hold :data:`WILDCARD`.
    """
    if WILDCARD in labels:
        wild = lp.shape[1]
        lp = np.concatenate([lp, np.full((lp.shape[0], 1), -WILDCARD_COST, lp.dtype)], axis=1)
        labels = [wild if k == WILDCARD else k for k in labels]
    n = len(labels)
    frames = lp.shape[0]
    if n == 0:
        return float(lp[:, 0].sum())
    ext = [0] * (2 * n + 1)
    ext[1::2] = labels
    ext_arr = np.array(ext)
    size = len(ext)
    # A label may skip the blank before it unless it repeats the label before.
    skip = np.zeros(size, bool)
    skip[3::2] = ext_arr[3::2] != ext_arr[1:-2:2]
    alpha = np.full(size, -np.inf)
    alpha[0] = lp[0, 0]
    alpha[1] = lp[0, ext[1]]
    for t in range(1, frames):
        # Stay on a symbol, step from the one before, or jump over a blank.
        step = np.concatenate(([-np.inf], alpha[:-1]))
        jump = np.where(skip, np.concatenate(([-np.inf, -np.inf], alpha[:-2])), -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, step), jump) + lp[t, ext_arr]
    total = np.logaddexp(alpha[-1], alpha[-2])
    return float(total) if math.isfinite(total) else float("-inf")


def label_frames(lp: np.ndarray, labels: list[int]) -> list[int] | None:
    """The frame at which each label is first emitted on the likeliest CTC path that spells ``labels``.

    Viterbi over the same extended sequence as :func:`ctc_log_likelihood`;
    None when the line is too short for the labels.
    """
    n, frames = len(labels), lp.shape[0]
    if n == 0 or frames < n:
        return None
    ext = np.zeros(2 * n + 1, int)
    ext[1::2] = labels
    size = len(ext)
    skip = np.zeros(size, bool)
    skip[3::2] = ext[3::2] != ext[1:-2:2]
    score = np.full(size, -np.inf)
    score[0], score[1] = lp[0, 0], lp[0, ext[1]]
    back = np.zeros((frames, size), np.int8)  # 0 stay, 1 step, 2 jump
    for t in range(1, frames):
        stay = score
        step = np.concatenate(([-np.inf], score[:-1]))
        jump = np.where(skip, np.concatenate(([-np.inf, -np.inf], score[:-2])), -np.inf)
        moves = np.stack((stay, step, jump))
        back[t] = moves.argmax(axis=0)
        score = moves.max(axis=0) + lp[t, ext]
    state = size - 1 if score[-1] >= score[-2] else size - 2
    if not math.isfinite(score[state]):
        return None
    first = [0] * n
    for t in range(frames - 1, -1, -1):
        if state % 2 == 1:
            first[state // 2] = t
        if t:
            state -= int(back[t, state])
    return first
