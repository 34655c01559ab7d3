"""Train the convolutional Thai-digit glyph classifier shipped as certificates/data/thai_digit_glyphs.onnx.

Same task, classes and training faces as ``train_digits.py`` (ten Thai
digits, ten Latin digits, "not a digit"; faces the benchmark generator does
not use, through the same simulated capture chain), but the network sees the
glyph itself, :func:`certificates.thai_digits.glyph_image`, instead of
hand-made features.  Accuracy is reported on the generator's TLWG faces,
which it never sees.

Needs PyTorch (CPU) and ONNX besides the project's packages, in the separate
training environment described in ``train_line_recognizer.py``::

    /tmp/trainvenv/bin/python bench/certificates/train_digit_cnn.py   # about 20 minutes on two cores

The shipped network was made with the defaults (101,375 glyphs, eight
epochs, seed 11).  On the generator's faces it read 98.3 % of Thai digits,
97.0 % of Latin digits and 91.9 % of other glyphs right, against 97.3 %,
97.8 % and 96.8 % for the feature ensemble of ``train_digits.py``; the
reader averages the two (``thai_digits._glyph_probs``).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = str(os.cpu_count() or 1)

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_digits  # noqa: E402
from train_digits import ASCII_FONTS, HELD_OUT_FONTS, TRAIN_FONTS, sipa_fonts  # noqa: E402

from certificates.thai_digits import CNN_PATH, GLYPH_SIDE, N_CLASSES  # noqa: E402


def make_set(fonts: list[str], per_font: int, seed: int, kind: str = "thai", train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Glyph images and labels, made as ``train_digits.make_set`` makes its features."""
    x, y = train_digits.make_set(fonts, per_font, seed, kind, train, images=True)
    return x.astype(np.float32), y.astype(np.int64)


def build():
    from torch import nn

    def block(cin: int, cout: int) -> list:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(
        *block(1, 32), *block(32, 32), nn.MaxPool2d(2),
        *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
        *block(64, 128), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * (GLYPH_SIDE // 8) ** 2, 128), nn.ReLU(), nn.Linear(128, N_CLASSES),
    )


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(torch.from_numpy(x[i:i + 512, None])).argmax(1) for i in range(0, len(x), 512)])
    return float((pred.numpy() == y).mean())


def main() -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the number of rendered samples per font")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=CNN_PATH)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    t0 = time.time()
    sipa = sipa_fonts()
    train_fonts = TRAIN_FONTS + sipa
    n = lambda k: int(k * args.scale)  # noqa: E731
    parts = [make_set(train_fonts, n(800), seed=args.seed), make_set(ASCII_FONTS + sipa, n(500), seed=args.seed + 2, kind="latin"),
             make_set(train_fonts, n(60), seed=args.seed + 4, kind="junk")]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    tests = {kind: make_set(HELD_OUT_FONTS, per, seed=args.seed + 1 + k, kind=kind, train=False)
             for k, (kind, per) in enumerate((("thai", 60), ("latin", 30), ("junk", 30)))}
    print(f"{len(y)} training glyphs, made in {time.time() - t0:.0f} s", flush=True)
    model = fit(build(), x, y, tests, args.epochs, t0)
    export(model, args.out)
    return 0


def fit(model, x: np.ndarray, y: np.ndarray, tests: dict[str, tuple[np.ndarray, np.ndarray]], epochs: int, t0: float):
    """Train a glyph classifier on images ``x`` and labels ``y``, printing its accuracy on ``tests`` every epoch."""
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * ((len(x) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.15)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    xt, yt = torch.from_numpy(x[:, None]), torch.from_numpy(y)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(xt))
        for i in range(0, len(order), 128):
            idx = order[i:i + 128]
            # A glyph cut a pixel or two off centre, as a loose box leaves it.
            dx, dy = random.randint(-2, 2), random.randint(-2, 2)
            loss = loss_fn(model(torch.roll(xt[idx], shifts=(dy, dx), dims=(2, 3))), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        figures = ", ".join(f"{kind} {accuracy(model, tx, ty):.4f}" for kind, (tx, ty) in tests.items())
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}; held-out faces: {figures} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    return model


def export(model, path: Path) -> None:
    """The classifier as ONNX: glyphs (n × 1 × GLYPH_SIDE × GLYPH_SIDE) in, class probabilities out."""
    import torch

    probs = torch.nn.Sequential(model, torch.nn.Softmax(dim=1))
    torch.onnx.export(probs, torch.zeros(1, 1, GLYPH_SIDE, GLYPH_SIDE), str(path), input_names=["glyph"],
                      output_names=["probs"], dynamic_axes={"glyph": {0: "n"}, "probs": {0: "n"}}, opset_version=17,
                      dynamo=False)
    print(f"saved {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    raise SystemExit(main())
