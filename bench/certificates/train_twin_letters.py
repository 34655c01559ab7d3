"""Train the twin-letter classifiers shipped as certificates/data/twin_letters.onnx, twin_cho_so.onnx and twin_loops_tails.onnx.

ด/ต and ฎ/ฏ differ only in the head: a loop inside (ด, ฎ) or a notch in
the top (ต, ฏ).  In the 32-px-tall line the line network reads, that
detail is a pixel or two, and it decides ฎ/ฏ by which spelling its
training names made usual ("ณัฏฐ" for a printed "ณัฎฐ").  This network
sees one glyph at the crop's own resolution (``thai_digits.glyph_image``)
and says which of the four it is, or that it is another letter (a glyph
cut wrongly).

Trained on the line network's faces (``train_line_recognizer.train_fonts``),
through the digit classifier's capture chain (``train_digits.degrade``).
Accuracy is printed on the bench's TLWG faces and held-out web families,
which it never sees.  Needs PyTorch, in the training environment described
in ``train_line_recognizer.py``::

    /tmp/trainvenv/bin/python bench/certificates/train_twin_letters.py   # about 20 minutes on two cores
    /tmp/trainvenv/bin/python bench/certificates/train_twin_letters.py --classifier cho-so --epochs 4
    /tmp/trainvenv/bin/python bench/certificates/train_twin_letters.py --classifier loops-tails --epochs 5

The shipped classifier was made with the defaults (97,492 glyphs, ten
epochs, seed 17).  It read 94.4 % of the held-out TLWG glyphs and 94.9 % of
the held-out web ones right; nearly all its errors are ด/ต and ฎ/ฏ at the
smallest capture sizes.  Trained with the digit classifier's capture sizes
(text 7-24 px tall), far smaller than a name's, it read only 82 %.

The same network trained on eight letters (ช/ซ and ท/ห as well, which the
line network also confuses) read 92-93 % of the held-out glyphs; on the
captured names of draws 2585-2594 it mended 4 ฎ/ฏ letters instead of 12,
2 ช read as ซ, and no ท/ห, so the four-letter one ships.

The ช/ซ classifier (``--classifier cho-so``, four epochs, 97,460 glyphs) is
trained apart for that reason.  It reads 88 % of the held-out TLWG glyphs
and 95 % of the web ones; most of its errors take a small ช for ซ, but
unsure, and the reader swaps a letter only at 0.95 (see
``certificates.twin_letters.CHO_SO``).

The ท/ห, ก/ภ, ค/ศ classifier (``--classifier loops-tails``, five epochs,
98,812 glyphs, 16 minutes) reads 98.1 % of the held-out TLWG glyphs and
98.5 % of the web ones; most of its errors take a ท for ห (Pridi's ท has
no loop) or a ภ for ก.  The reader trusts it at 0.93 (see
``certificates.twin_letters.LOOPS_TAILS``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = str(os.cpu_count() or 1)

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import train_digits  # noqa: E402
import webfonts  # noqa: E402
from train_digit_cnn import export, fit  # noqa: E402
from train_line_recognizer import train_fonts  # noqa: E402

from certificates.twin_letters import CHO_SO, HEADS, LOOPS_TAILS, TwinClassifier  # noqa: E402
from certificates.thai_digits import GLYPH_SIDE, glyph_image, segment_glyphs  # noqa: E402

CLASSIFIERS = {"heads": HEADS, "cho-so": CHO_SO, "loops-tails": LOOPS_TAILS}
# Letters a wrong cut may hand the classifier instead (neighbours, heads alike),
# less the classifier's own.
OTHERS = "กคจฉชซญฐฑดตณถทนบปผพฟภมยรลวศษสหอฮ"
# A name is printed larger than the body: a letter with its tail is 12-40 px
# tall in a chat JPEG, photo or PDF, and 36-70 px in the reader's name crop.
NAME_CAPTURED_PX = (12, 40)
NAME_READ_PX = (36, 70)
# Marks drawn over a letter in names ("ณัฎฐ", "ฎิ"): too small to be cut with it, but they crowd its head.
MARKS = ("", "", "", "ั", "ิ", "ี", "่", "้", "ุ")


def _samples(job: tuple[str, int, int, bool, str]) -> tuple[list[np.ndarray], list[int]]:
    font_path, count, seed, train, letters = job
    others = "".join(ch for ch in OTHERS if ch not in letters)
    rng = random.Random(seed)
    xs, ys = [], []
    for _ in range(count):
        labels, text = [], ""
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.75:
                k = rng.randrange(len(letters))
                labels.append(k)
                text += letters[k] + rng.choice(MARKS)
            else:
                labels.append(len(letters))
                text += rng.choice(others)
        printed = train_digits._render(font_path, text, rng)
        captured = train_digits.degrade(printed, rng, reshape=train, captured_px=NAME_CAPTURED_PX, reader_px=NAME_READ_PX)
        glyphs = segment_glyphs(train_digits._crop(captured, rng, clip=False))
        if len(glyphs) != len(labels):
            continue  # touching or broken glyphs: the label order would be wrong
        for g, label in zip(glyphs, labels):
            xs.append(glyph_image(g))
            ys.append(label)
    return xs, ys


def make_set(fonts: list[str], per_font: int, seed: int, train: bool, letters: str) -> tuple[np.ndarray, np.ndarray]:
    jobs = [(f, per_font, seed * 1000 + k, train, letters) for k, f in enumerate(fonts) if Path(f).exists()]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        parts = pool.map(_samples, jobs)
    return (np.stack([x for p, _ in parts for x in p]).astype(np.float32),
            np.array([y for _, p in parts for y in p], np.int64))


def build(n_classes: int):
    from torch import nn

    def block(cin: int, cout: int) -> list:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(
        *block(1, 32), *block(32, 32), nn.MaxPool2d(2),
        *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
        *block(64, 64), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * (GLYPH_SIDE // 8) ** 2, 64), nn.ReLU(), nn.Linear(64, n_classes),
    )


def main() -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--per-font", type=int, default=400)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--classifier", choices=CLASSIFIERS, default="heads")
    parser.add_argument("--out", type=Path, help="default: the classifier's place in certificates/data")
    args = parser.parse_args()
    classifier: TwinClassifier = CLASSIFIERS[args.classifier]
    letters = classifier.letters
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    t0 = time.time()
    x, y = make_set(train_fonts(), args.per_font, args.seed, train=True, letters=letters)
    held_web = [str(p) for fam in webfonts.HELD_OUT for p in webfonts.family_files(fam, ("400", "700"))]
    tests = {"tlwg": make_set(train_digits.HELD_OUT_FONTS, 80, args.seed + 1, train=False, letters=letters),
             "web": make_set(held_web, 80, args.seed + 2, train=False, letters=letters)}
    print(f"{len(y)} training glyphs ({np.bincount(y).tolist()}), made in {time.time() - t0:.0f} s", flush=True)
    model = fit(build(classifier.n_classes), x, y, tests, args.epochs, t0)
    for kind, (tx, ty) in tests.items():
        with torch.no_grad():
            pred = model(torch.from_numpy(tx[:, None])).argmax(1).numpy()
        confusion = np.zeros((classifier.n_classes, classifier.n_classes), int)
        np.add.at(confusion, (ty, pred), 1)
        print(f"{kind} confusion (rows: {letters} other):\n{confusion}")
    export(model, args.out or classifier.path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
