"""How often line networks read a freshly rendered line exactly right, on their own.

Renders lines the way ``train_line_recognizer.py`` makes its training lines
(same faces, texts and capture chain), from a seed training never uses, and
prints for each ONNX model given how many of them its greedy reading gets
exactly right.  A quick, certificate-free check of a retrained network before
the full bench (``run.py``) judges it in the reader.

Usage::

    .venv/bin/python bench/certificates/line_network_eval.py certificates/data/thai_lines.onnx /tmp/new.onnx
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from certificates.line_recognizer import FRAME, collapse  # noqa: E402

import train_line_recognizer  # noqa: E402


def exactly_right(model: Path, samples: list[tuple[np.ndarray, list[int]]]) -> int:
    """How many of ``samples`` (normalised line, labels) the model's greedy reading gets exactly."""
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    right = 0
    for line, labels in samples:
        x = (line / 255.0).astype(np.float32)[None, None]
        x = np.pad(x, ((0, 0), (0, 0), (0, 0), (0, (-x.shape[3]) % 4)))  # the CNN pools width by 4
        logp = session.run(None, {"image": x})[0][0]
        right += collapse(logp.argmax(-1)[: line.shape[1] // FRAME]) == labels
    return right


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--lines", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=424242, help="training uses 7 and the seeds just above it")
    args = ap.parse_args(argv)

    samples = train_line_recognizer.make_samples(args.lines, args.seed, train_line_recognizer.train_fonts(), procs=2)
    for model in args.models:
        right = exactly_right(model, samples)
        print(f"{model}: {right}/{len(samples)} lines exactly right ({100 * right / len(samples):.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
