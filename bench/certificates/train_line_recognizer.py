"""Train the Thai line recogniser shipped as certificates/data/thai_lines.onnx.

The network must read names printed in the faces certificates use, and in
faces it has never seen.  It is trained on Noto Thai (sans, serif, looped),
Arundina, Purisa, Tlwg Mono and Typewriter, the SIPA national fonts, Google
Thai families outside the bench (``TRAIN_FAMILIES`` here: KoHo, Kodchasan,
Maitree, Anuphan, IBM Plex Sans Thai Looped, ...), and seven of the bench's
web families, the ones certificates use most (``webfonts.NETWORK_FAMILIES``:
Sarabun, Kanit, Prompt, Athiti, Mitr, Noto Sans Thai, IBM Plex Sans Thai).
The bench's TLWG faces and its other eight web families
(``webfonts.HELD_OUT``) stay out of all training, and the bench prints the
files printed wholly in those apart.  Debian's Noto Sans Thai and six SIPA
fonts (TH Sarabun New, Niramit, Krub, K2D, Chakra Petch, Baijam) are earlier
cuts of bench web families, so on Niramit, Krub, K2D, Chakra Petch and Bai
Jamjuree the held-out figure is flattered a little.

Lines are names (a title, then given and family names from PyThaiNLP's
lists, from dictionary words, or from recombined syllables, as real names
off every list are) and short certificate phrases.  One name in five is a
long one (``TextSource._long_name``: a long rank such as ว่าที่ร้อยตรีหญิง
or พันตำรวจโทหญิง, the longest listed given names, long listed or composed
family names, as ``long_names`` draws the bench's), half of them printed
smaller, half wrapped at the space and joined as the reader joins a wrapped
name (``wrapped_names.side_by_side``, see ``render_drawn``).  A tenth of
name parts get a last syllable with a below vowel (วาภาณุ, สุชารัญญู) and
a twelfth a syllable with a rare letter (ฌ ฐ ฆ ฑ ธ ฬ), which names drawn
evenly seldom have.  Each is rendered at
print size and put through the chain a certificate goes through before the
reader cuts the line: a capture size where the text is 12–40 px tall, blur,
noise, JPEG, the reader's upscaling, sometimes a hard threshold; then
``line_recognizer.normalize_line``, exactly as at reading time.  A long name
still fits the network's input: normalised to 32 px high, the widest of 200
long names on one line came out 624 px wide, well under ``MAX_WIDTH``
(1,024), and a wrapped one adds its word space.

Needs PyTorch (CPU) and ONNX besides the project's packages, in a separate
environment so the service never carries them::

    apt-get install fonts-noto-core fonts-arundina   # training faces the service does not need
    python -m venv /tmp/trainvenv
    /tmp/trainvenv/bin/pip install --no-binary tesserocr -c requirements.lock -e ".[test]"
    /tmp/trainvenv/bin/pip install torch==2.13.0 onnx
    /tmp/trainvenv/bin/python bench/certificates/train_line_recognizer.py   # about 65 minutes on two cores

It writes ``certificates/data/thai_lines.onnx``.  The shipped model was made
with the defaults (96,000 lines, five epochs, seed 7; 1,291 of the 1,500
validation lines read exactly right).  It replaced one of the same shape
trained without the seven bench families: on two bench draws all four
fields were right on 390 and 390 of 420 files (seeds 2574, 2575) against
389 and 387, and on the held-out files 51 of 58 and 46 of 48 against 49
and 46, at the same speed.

``--resume`` continues from saved weights (``--checkpoint``), and
``--resume-onnx`` from an exported model such as the shipped one, of which
no PyTorch weights were kept (``onnx_weights``: the exporter folds the
BatchNorms and renames every weight, so they are matched by the graph's
structure; the loaded model's log-probabilities are checked against ONNX
Runtime's on the validation lines).  Resuming the
shipped model on 96,000 fresh lines (``--seed 1000 --epochs 4 --max-lr
1e-3``, about 45 minutes) of a mix with hours lines and more dates
(abbreviated months, years 2540–2575), two in five in Thai digits, gave a
network that read 1,313 of its validation lines exactly right against the
shipped one's 1,171 (which never saw a Thai digit).  It changed the reader
little: with it, also judging Thai digits after the glyph classifier, the
bench's draws 2585 and 2586 had seven files mended and eight broken (names
both ways, a 20 read as 29) against the shipped network; of 646 recorded
Thai-digit lines it mended four and broke one.  It was not shipped.

Fine-tuning the shipped model on long names (issue 36): ``--resume-onnx
certificates/data/thai_lines.onnx --seed 2000 --epochs 3 --max-lr 1e-3
--samples 33500 --out /tmp/ft/thai_lines.onnx`` (33,500 lines, one in seven
holding a long name, rendered in 91 s; 55 minutes on two cores shared with
bench runs).  The loaded model read 1,240 of its 1,500 validation lines
exactly right one by one (ONNX Runtime: 1,240) and 1,258 in padded batches,
its log-probabilities within 6e-5 of ONNX Runtime's.  After the three epochs
it read 1,236 one by one and 1,249 in batches (1,157 and 1,243 in batches
after the first and second): no better than the shipped model on the very
lines it was tuned for, so it was not judged on the bench and not shipped.
"""

from __future__ import annotations

import os

# The reader caps OpenMP at one thread for Tesseract (certificates/ocr.py);
# under that cap PyTorch's two-thread backward pass never returns.
os.environ["OMP_THREAD_LIMIT"] = str(os.cpu_count() or 1)

import argparse  # noqa: E402
import io  # noqa: E402
import multiprocessing  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont, features  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from certificates.line_recognizer import FRAME, HEIGHT, MODEL_PATH, N_CLASSES, collapse, encode, normalize_line  # noqa: E402
from certificates.person_names import TITLES  # noqa: E402
from certificates.wrapped_names import side_by_side  # noqa: E402

import long_names  # noqa: E402
import onnx_weights  # noqa: E402
import train_digits  # noqa: E402
import webfonts  # noqa: E402

# Google Thai families that webfonts.FAMILIES (the held-out bench faces) does not hold.
TRAIN_FAMILIES = (
    "koho", "kodchasan", "maitree", "anuphan", "ibm-plex-sans-thai-looped", "noto-sans-thai-looped",
    "noto-serif-thai", "fahkwang", "mali", "itim", "chonburi", "charm", "charmonman", "sriracha", "pattaya",
    "playpen-sans-thai",
)
TRAIN_WEIGHTS = ("300", "400", "500", "600", "700")
LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
PHRASES = (
    "ให้ไว้ ณ วันที่", "ระยะเวลา", "ชั่วโมง", "ได้ผ่านการอบรมหลักสูตร", "ประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า",
    "สำนักงานคณะกรรมการข้าราชการพลเรือน", "ได้สำเร็จการศึกษาชุดวิชา", "พ.ศ.", "ม.ค.", "ต.ค.",
)
MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
          "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")


def train_fonts() -> list[str]:
    """Every face the network may learn from: none of the bench's TLWG faces or held-out web families."""
    fonts = [f for f in train_digits.TRAIN_FONTS if Path(f).exists()] + train_digits.sipa_fonts()
    held_out = set(webfonts.HELD_OUT)
    for family in TRAIN_FAMILIES + webfonts.NETWORK_FAMILIES:
        assert family not in held_out
        fonts += [str(path) for path in webfonts.family_files(family, TRAIN_WEIGHTS)]
    return fonts


# The share of name lines that are long names (a long rank, long given and family names), and of those
# the share printed smaller to fit on one line; the others are wrapped at the space and read joined.
LONG_NAME_SHARE = 0.2
SMALLER_SHARE = 0.5
# Long rank titles: every title of 11 letters or more ("ว่าที่ร้อยตรีหญิง", "พันตำรวจโทหญิง").
LONG_RANKS = tuple(sorted(t for t in TITLES if len(t) >= 11 and " " not in t))
# Letters names seldom have, that the reader confused with common ones (ฌ/ณ, ฐ/ช, ธ/ร).
RARE_LETTERS = "ฌฐฆฑธฬ"
BELOW_VOWELS = "ุู"
# Shares of name parts given a last syllable with a below vowel ("วาภาณุ", "สุชารัญญู"), and a syllable
# with a rare letter: drawn from the lists and syllables alone, one part in seventy ends in a below
# vowel, and ฌ or ฬ is in under one name in a hundred.
BELOW_END_SHARE = 0.1
RARE_SHARE = 0.08


@dataclass(frozen=True, slots=True)
class DrawnLine:
    """A training line's text and how it is printed: on one line, smaller (a long name made to fit),
    or wrapped at its space and read as the reader reads a wrapped name, the two lines joined."""

    text: str
    layout: str = "line"  # "line", "smaller" or "wrapped"


class TextSource:
    """Name lines and certificate phrases, drawn at random."""

    def __init__(self, seed: int) -> None:
        from pythainlp.corpus import thai_family_names, thai_female_names, thai_male_names, thai_words
        from pythainlp.tokenize import syllable_tokenize

        thai_only = lambda s: s and all("\u0e01" <= c <= "\u0e4e" for c in s)  # noqa: E731
        self.firsts = sorted(n for n in set(thai_male_names()) | set(thai_female_names()) if thai_only(n))
        self.lasts = sorted(n for n in set(thai_family_names()) if thai_only(n))
        self.words = sorted(w for w in thai_words() if thai_only(w) and 2 <= len(w) <= 12)
        names = self.firsts[:3000] + self.lasts[:3000]
        self.syllables = sorted({s for n in names for s in syllable_tokenize(n, engine="dict") if thai_only(s)})
        # A below vowel, perhaps under a tone mark: ณุ, ญู, ภู่.
        self.below_ending = [s for s in self.syllables if s[-1] in BELOW_VOWELS or
                             (len(s) > 1 and s[-2] in BELOW_VOWELS and s[-1] in "่้๊๋")]
        self.rare = [s for s in self.syllables if any(c in RARE_LETTERS for c in s)]
        self.rng = random.Random(seed)

    def _part(self, listed: list[str]) -> str:
        r, rng = self.rng.random(), self.rng
        if r < 0.5:
            part = rng.choice(listed)
        elif r < 0.8:
            part = "".join(rng.choice(self.syllables) for _ in range(rng.randint(2, 4)))
        else:
            part = "".join(rng.choice(self.words) for _ in range(rng.randint(1, 2)))
        if rng.random() < RARE_SHARE:
            part = rng.choice(self.rare) + part if rng.random() < 0.5 else part + rng.choice(self.rare)
        if rng.random() < BELOW_END_SHARE:
            part += rng.choice(self.below_ending)
        return part

    def _long_name(self) -> str:
        """A long rank glued to a long given name, and a long family name: half as the bench draws them
        (``long_names``), half under any long rank; some composed of name syllables."""
        rng = self.rng
        if rng.random() < 0.5:
            drawn = long_names.draw_long_name(rng).printed
            title = next(t for t, _ in long_names.LONG_TITLES if drawn.startswith(t))  # female forms come first
            first, last = drawn[len(title):].split(" ")
        else:
            title = rng.choice(LONG_RANKS)
            men, women, lasts = long_names.long_pools()
            first = rng.choice(women if title.endswith("หญิง") else men)
            last = rng.choice(lasts) if rng.random() < 0.5 else long_names.composed_family_name(rng)
        if rng.random() < 0.3:  # names off every list, spelled as names are
            first = "".join(rng.choice(self.syllables) for _ in range(rng.randint(3, 4)))
        if rng.random() < 0.2:
            last = "".join(rng.choice(self.syllables) for _ in range(rng.randint(4, 6)))
        if rng.random() < BELOW_END_SHARE:
            first += rng.choice(self.below_ending)
        if rng.random() < RARE_SHARE:
            last = rng.choice(self.rare) + last
        return f"{title}{first} {last}"

    def line(self) -> DrawnLine:
        rng = self.rng
        r = rng.random()
        if r < 0.75:
            if rng.random() < LONG_NAME_SHARE:
                return DrawnLine(self._long_name(), "smaller" if rng.random() < SMALLER_SHARE else "wrapped")
            title = rng.choice(TITLES) if rng.random() < 0.9 else ""
            return DrawnLine(f"{title}{self._part(self.firsts)} {self._part(self.lasts)}")
        if r < 0.85:
            phrase, day, month = rng.choice(PHRASES), rng.randint(1, 31), rng.choice(MONTHS)
            return DrawnLine(f"{phrase} {day} {month} {rng.randint(2560, 2570)}")
        return DrawnLine(" ".join(rng.choice(self.words) for _ in range(rng.randint(2, 4))))


def render(text: str, font_path: str, rng: random.Random, em_scale: float = 1.0) -> np.ndarray:
    """``text`` at print size, then through a capture chain; grey, dark on light.

    ``em_scale`` below 1 prints it smaller on the same capture, as a template fits a long name.
    """
    size = rng.randint(40, 64)
    fnt = ImageFont.truetype(font_path, size, layout_engine=LAYOUT)
    left, top, right, bottom = fnt.getbbox(text)
    margin = size // 2
    w, h = right - left + 2 * margin, bottom - top + 2 * margin
    paper, ink = rng.randint(200, 255), rng.randint(0, 70)
    img = Image.new("L", (w, h), paper)
    stroke = 1 if rng.random() < 0.25 else 0  # synthetic bold: heavy faces are the hard ones
    ImageDraw.Draw(img).text((margin - left, margin - top), text, font=fnt, fill=ink,
                             stroke_width=stroke, stroke_fill=ink)
    arr = np.asarray(img)
    if rng.random() < 0.3:  # a slight tilt the deskew left
        angle = rng.uniform(-0.8, 0.8)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        arr = cv2.warpAffine(arr, m, (w, h), borderValue=paper)
    # Capture: the text's em is 12-40 px in the photo, chat image or scan.
    down = max(8.0, rng.uniform(12, 40) * em_scale) / size
    small = cv2.resize(arr, None, fx=down, fy=down, interpolation=cv2.INTER_AREA)
    if rng.random() < 0.6:
        small = cv2.GaussianBlur(small, (0, 0), rng.uniform(0.3, 1.0))
    if rng.random() < 0.5:
        noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(2, 10), small.shape)
        small = np.clip(small + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        buf = io.BytesIO()
        Image.fromarray(small).save(buf, "JPEG", quality=rng.randint(35, 95))
        small = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    # The reader upscales small text before it cuts lines.
    up = rng.uniform(1.5, 3.0)
    out = cv2.resize(small, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.3:
        _, out = cv2.threshold(out, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return out


def render_drawn(drawn: DrawnLine, font_path: str, rng: random.Random) -> np.ndarray | None:
    """The line crop the reader would hand the network for ``drawn``.

    A wrapped name's two lines go through the same capture (one seed) and
    are joined as the reader joins them (``wrapped_names.side_by_side``),
    its gap the word space it sets from Tesseract's line-box height, which
    is about the letters' body, less than the ink's full height.
    """
    if drawn.layout == "line":
        return render(drawn.text, font_path, rng)
    if drawn.layout == "smaller":
        return render(drawn.text, font_path, rng, em_scale=rng.uniform(0.55, 0.85))
    given, family = drawn.text.split(" ", 1)
    capture = rng.randrange(1 << 30)
    first = render(given, font_path, random.Random(capture))
    second = render(family, font_path, random.Random(capture))
    _, ink = cv2.threshold(first, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows = np.flatnonzero(ink.sum(axis=1))
    if rows.size == 0:
        return None
    box_height = max(8, int((rows[-1] - rows[0] + 1) * rng.uniform(0.55, 0.9)))
    return side_by_side(first, second, box_height)


def _make(args: tuple[int, int, list[str]]) -> list[tuple[np.ndarray, list[int]]]:
    seed, count, fonts = args
    rng = random.Random(seed)
    texts = TextSource(seed)
    out = []
    while len(out) < count:
        drawn = texts.line()
        labels = encode(drawn.text.replace(" ", ""))
        if not labels:
            continue
        crop = render_drawn(drawn, rng.choice(fonts), rng)
        line = None if crop is None else normalize_line(crop)
        if line is None or line.shape[1] // FRAME < 1.5 * len(labels):
            continue
        out.append(((line * 255).astype(np.uint8), labels))
    return out


def make_samples(count: int, seed: int, fonts: list[str], procs: int) -> list[tuple[np.ndarray, list[int]]]:
    """``count`` rendered lines with their labels, made in ``procs`` processes."""
    chunk = 2000
    jobs = [(seed + i, min(chunk, count - i * chunk), fonts) for i in range((count + chunk - 1) // chunk)]
    with multiprocessing.Pool(procs) as pool:
        return [s for part in pool.imap_unordered(_make, jobs) for s in part]


def build_model():
    import torch
    from torch import nn

    def block(cin: int, cout: int) -> list:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    class Recognizer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cnn = nn.Sequential(
                *block(1, 16), nn.MaxPool2d(2, 2),  # 16 × W/2
                *block(16, 32), nn.MaxPool2d(2, 2),  # 8 × W/4
                *block(32, 64), *block(64, 64), nn.MaxPool2d((2, 1)),  # 4
                *block(64, 128), nn.MaxPool2d((2, 1)),  # 2
            )
            self.rnn = nn.LSTM(256, 128, num_layers=2, bidirectional=True, batch_first=True)
            self.out = nn.Linear(256, N_CLASSES)

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            f = self.cnn(image)  # B × C × 2 × T
            b, c, h, t = f.shape
            f = f.permute(0, 3, 1, 2).reshape(b, t, c * h)
            f, _ = self.rnn(f)
            return torch.log_softmax(self.out(f), dim=-1)  # B × T × classes

    return Recognizer()


def batches(samples, batch_size: int, rng: random.Random):
    """Batches of lines of similar width, shuffled."""
    order = sorted(range(len(samples)), key=lambda i: samples[i][0].shape[1] + rng.random() * 40)
    groups = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(groups)
    return groups


def to_tensor(samples, idx):
    import torch

    width = max(samples[i][0].shape[1] for i in idx)
    width += (-width) % 4
    x = np.zeros((len(idx), 1, HEIGHT, width), np.float32)
    for j, i in enumerate(idx):
        img = samples[i][0]
        x[j, 0, :, : img.shape[1]] = img / 255.0
    targets = [samples[i][1] for i in idx]
    in_lens = [samples[i][0].shape[1] // FRAME for i in idx]
    return (torch.from_numpy(x), torch.tensor([c for t in targets for c in t]),
            torch.tensor(in_lens), torch.tensor([len(t) for t in targets]))


def exactly_right(model, valid, rng: random.Random) -> int:
    """How many validation lines the model's greedy reading gets exactly right, in batches padded to their widest.

    The BiLSTM reads the padding, so a few lines differ from reading each alone (see onnx_exactly_right).
    """
    import torch

    model.eval()
    right = 0
    with torch.no_grad():
        for idx in batches(valid, 64, rng):
            x, _, _, _ = to_tensor(valid, idx)
            best = model(x).argmax(-1).numpy()
            frames = [valid[i][0].shape[1] // FRAME for i in idx]
            right += sum(collapse(best[j][: frames[j]]) == valid[i][1] for j, i in enumerate(idx))
    return right


def onnx_exactly_right(path: Path, valid) -> tuple[int, list[np.ndarray]]:
    """How many validation lines an exported model's greedy reading gets exactly right, and its log-probs."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    right, outs = 0, []
    for img, labels in valid:
        (lp,) = session.run(None, {"image": (img / 255.0).astype(np.float32)[None, None]})
        outs.append(lp[0])
        right += collapse(lp[0].argmax(-1)[: img.shape[1] // FRAME]) == labels
    return right, outs


def resume_from_onnx(model, path: Path, train, valid, rng: random.Random) -> None:
    """Load an exported model's weights (``onnx_weights``) and check the loaded model reads as it does.

    Fails loudly when a weight is missing or misshapen, or when the loaded
    model's log-probabilities differ from ONNX Runtime's on the validation lines.
    """
    import torch

    onnx_weights.load_onnx_weights(model, path)
    calib = [to_tensor(train, idx)[0] for idx in batches(train[:4000], 32, rng)]
    onnx_weights.calibrate_batch_norms(model, calib)
    shipped, expected = onnx_exactly_right(path, valid)
    model.eval()
    worst, loaded = 0.0, 0
    with torch.no_grad():  # line by line, unpadded, as ONNX Runtime and the reader read
        for (img, labels), lp in zip(valid, expected):
            got = model(torch.from_numpy((img / 255.0).astype(np.float32))[None, None])[0].numpy()
            worst = max(worst, float(np.abs(got - lp).max()))
            loaded += collapse(got.argmax(-1)[: img.shape[1] // FRAME]) == labels
    print(f"resumed from {path}: lines exactly right {loaded}/{len(valid)} line by line (ONNX Runtime: {shipped}), "
          f"{exactly_right(model, valid, rng)} in padded batches; largest log-prob difference {worst:.2e}", flush=True)
    if worst > 1e-3 or abs(loaded - shipped) > 2:
        raise onnx_weights.WeightMismatch(f"the loaded model does not read as {path} does")


def export(model, path: Path) -> None:
    """The model as ONNX, its width free."""
    import torch

    model.eval()
    dummy = torch.zeros(1, 1, HEIGHT, 256)
    torch.onnx.export(model, dummy, str(path), input_names=["image"], output_names=["logp"],
                      dynamic_axes={"image": {3: "width"}, "logp": {1: "frames"}}, opset_version=17, dynamo=False)


def main(argv: list[str] | None = None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=96000)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7,
                    help="lines are drawn in chunks of 2,000 seeded SEED, SEED+1, ...: a further run on fresh "
                         "lines needs a seed past the last chunk of the runs before it")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--checkpoint", type=Path, help="also save PyTorch weights here after every epoch")
    ap.add_argument("--resume", type=Path, help="start from these PyTorch weights instead of from scratch")
    ap.add_argument("--resume-onnx", type=Path,
                    help="start from an exported model's weights (the shipped certificates/data/thai_lines.onnx)")
    ap.add_argument("--max-lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    fonts = train_fonts()
    print(f"{len(fonts)} training faces", flush=True)
    t0 = time.time()
    samples = make_samples(args.samples, args.seed, fonts, procs=2)
    valid, train = samples[:1500], samples[1500:]
    print(f"{len(samples)} lines rendered in {time.time() - t0:.0f} s", flush=True)

    model = build_model()
    if args.resume and args.resume_onnx:
        ap.error("--resume and --resume-onnx: one or the other")
    if args.resume_onnx:
        resume_from_onnx(model, args.resume_onnx, train, valid, rng)
    if args.resume:
        model.load_state_dict(torch.load(args.resume))
        print(f"resumed from {args.resume}: lines exactly right {exactly_right(model, valid, rng)}/{len(valid)}",
              flush=True)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    steps = args.epochs * ((len(train) + 31) // 32)
    opt = torch.optim.AdamW(model.parameters(), lr=args.max_lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.max_lr, total_steps=steps, pct_start=0.1)
    for epoch in range(args.epochs):
        model.train()
        total, n = 0.0, 0
        for idx in batches(train, 32, rng):
            x, y, il, tl = to_tensor(train, idx)
            lp = model(x).permute(1, 0, 2)  # T × B × C for CTCLoss
            loss = ctc(lp, y, il, tl)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            total, n = total + loss.item(), n + 1
            if n % 500 == 0:
                print(f"  step {n}: loss {total / n:.3f} ({time.time() - t0:.0f} s)", flush=True)
        right = exactly_right(model, valid, rng)
        print(f"epoch {epoch + 1}: loss {total / n:.3f}, lines exactly right {right}/{len(valid)} "
              f"({time.time() - t0:.0f} s)", flush=True)
        export(model, args.out)  # after every epoch, so a long run can be judged (and stopped) early
        print(f"  exported: {onnx_exactly_right(args.out, valid)[0]}/{len(valid)} exactly right line by line "
              f"as the reader reads", flush=True)
        if args.checkpoint:
            torch.save(model.state_dict(), args.checkpoint)
    print(f"saved {args.out} ({args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
