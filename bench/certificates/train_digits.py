"""Train the Thai-digit glyph classifier shipped as certificates/data/thai_digits.npz.

The classifier must read faces it has never seen, so it is trained on as
many faces as can be had that the benchmark generator does NOT use: Noto
Thai, Noto Looped Thai, Arundina, Purisa, Tlwg Mono and Typewriter, and the
SIPA national fonts (TH Sarabun New, TH Niramit AS, TH Krub, ... fourteen
faces that Thai government documents are set in), with synthetic bold.
Accuracy is reported on the generator's fonts (fonts-thai-tlwg faces),
which the network never sees.

Short numbers are rendered at print resolution and put through the chain a
certificate goes through before the reader cuts the glyphs: a capture
size where a digit is 7–24 px tall (chat apps and phone photos), blur,
noise, JPEG at that small size, then the reader's upscaling, uneven ink and
crops that clip a little off the first or last digit, as Tesseract's word
boxes do.  Glyphs are cut with the reader's own segmentation.  Besides the
ten Thai and ten Latin digits the network has a "not a digit" class
(Thai letters, marks, punctuation) so the reader can drop a neighbouring
letter that the crop caught.

Needs the Debian packages fonts-thai-tlwg, fonts-noto-core, fonts-sipa-arundina
and fonts-dejavu/fonts-liberation; the SIPA fonts come from the PyPI package
odoo-addon-l10n-th-fonts (fetched with pip into ~/.cache, never installed).
Run: ``.venv/bin/python bench/certificates/train_digits.py`` (a few minutes).
"""

from __future__ import annotations

import io
import multiprocessing
import random
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from certificates.thai_digits import (  # noqa: E402
    JUNK,
    MODEL_PATH,
    N_CLASSES,
    THAI_DIGITS,
    glyph_features,
    glyph_image,
    segment_glyphs,
)

TLWG = "/usr/share/fonts/truetype/tlwg"
NOTO = "/usr/share/fonts/truetype/noto"
ARUNDINA = "/usr/share/fonts/truetype/arundina"
TRAIN_FONTS = [
    f"{NOTO}/NotoSansThai-Regular.ttf",
    f"{NOTO}/NotoSansThai-Bold.ttf",
    f"{NOTO}/NotoSerifThai-Regular.ttf",
    f"{NOTO}/NotoSerifThai-Bold.ttf",
    f"{NOTO}/NotoLoopedThai-Regular.ttf",
    f"{NOTO}/NotoLoopedThai-Bold.ttf",
    f"{ARUNDINA}/ArundinaSans.ttf",
    f"{ARUNDINA}/ArundinaSans-Bold.ttf",
    f"{ARUNDINA}/ArundinaSerif.ttf",
    f"{ARUNDINA}/ArundinaSerif-Bold.ttf",
    f"{ARUNDINA}/ArundinaSansMono.ttf",
    f"{ARUNDINA}/ArundinaSans-Oblique.ttf",
    f"{ARUNDINA}/ArundinaSans-BoldOblique.ttf",
    f"{ARUNDINA}/ArundinaSansMono-Bold.ttf",
    f"{ARUNDINA}/ArundinaSansMono-Oblique.ttf",
    f"{TLWG}/Purisa.ttf",
    f"{TLWG}/Purisa-Bold.ttf",
    f"{TLWG}/Purisa-Oblique.ttf",
    f"{TLWG}/TlwgMono.ttf",
    f"{TLWG}/TlwgMono-Bold.ttf",
    f"{TLWG}/TlwgMono-Oblique.ttf",
    f"{TLWG}/TlwgTypewriter.ttf",
    f"{TLWG}/TlwgTypewriter-Bold.ttf",
    f"{TLWG}/TlwgTypewriter-BoldOblique.ttf",
]
# Latin digits too: the classifier must tell "2566" in Latin digits (which
# Tesseract reads well) from Thai digits (which it does not).
ASCII_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    f"{ARUNDINA}/ArundinaSans.ttf",
    f"{ARUNDINA}/ArundinaSerif.ttf",
    f"{TLWG}/Purisa.ttf",
    f"{TLWG}/TlwgMono.ttf",
    f"{TLWG}/TlwgTypewriter.ttf",
]
# The generator's faces (generate.py FONT_FAMILIES): never trained on.
HELD_OUT_FONTS = [
    f"{TLWG}/{name}.ttf"
    for name in ("Garuda", "Loma", "Kinnari", "Norasi", "Sawasdee", "TlwgTypist", "Umpush", "Laksaman", "Waree",
                 "TlwgTypo", "Garuda-Bold", "Kinnari-Bold", "Laksaman-Bold", "Sawasdee-Bold")
]
# The SIPA national fonts, as the Odoo Thai localisation ships them.
SIPA_PACKAGE = "odoo-addon-l10n-th-fonts==18.0.1.0.0.2"
SIPA_NAMES = ("THSarabunNew", "THSarabun", "THNiramitAS", "THKrub", "THKoHo", "THKodchasal", "THK2DJuly8",
              "THFahkwang", "THChakraPetch", "THBaijam", "THMaliGrade6", "THCharmofAU", "THCharmonman", "THSrisakdi")
FONT_CACHE = Path.home() / ".cache" / "ocsc-bench" / "fonts"
LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
# Words for the "not a digit" class: what sits next to a number on a certificate
# line, and single letters.  No Latin letters: S, Z, B, b would teach it to take
# Latin 5, 2, 8, 6 for letters.
JUNK_WORDS = (
    "ให้ไว้", "ณ", "วันที่", "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
    "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม", "ม.ค.", "เม.ย.", "ต.ค.", "พ.ศ.", "ทั้งสิ้น",
    "ระยะเวลา", "ชั่วโมง", "ชม.", "(", ")", *"กขคฆงจฉชซญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮะาำเแโใไๆฯ",
)


def sipa_fonts() -> list[str]:
    """Paths of the SIPA fonts, downloaded once with pip into FONT_CACHE (empty if that fails)."""
    paths = [FONT_CACHE / f"{name}.ttf" for name in SIPA_NAMES]
    if not all(p.exists() for p in paths):
        FONT_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(FONT_CACHE),
                        SIPA_PACKAGE], check=False)
        for wheel in FONT_CACHE.glob("odoo_addon_l10n_th_fonts-*.whl"):
            with zipfile.ZipFile(wheel) as z:
                for name in z.namelist():
                    if Path(name).stem in SIPA_NAMES and name.endswith(".ttf"):
                        (FONT_CACHE / Path(name).name).write_bytes(z.read(name))
    found = [str(p) for p in paths if p.exists()]
    if len(found) < len(paths):
        print(f"SIPA fonts: {len(found)} of {len(paths)} found in {FONT_CACHE}", file=sys.stderr)
    return found


def _render(font_path: str, text: str, rng: random.Random) -> np.ndarray:
    """Text at print resolution (grey, white paper), with random tracking and synthetic bold."""
    size = rng.randint(44, 72)
    fnt = ImageFont.truetype(font_path, size, layout_engine=LAYOUT)
    bold = rng.choice([0, 0, 0, 1, 2]) * size // 36  # Pillow's stroke emboldens any face
    img = Image.new("L", (size * (len(text) + 3), size * 3), 255)
    d = ImageDraw.Draw(img)
    # Character by character for random tracking, marks with their base letter
    # (a lone mark is drawn on a dotted circle, which looks like ๐).
    clusters: list[str] = []
    for ch in text:
        if clusters and unicodedata.category(ch) == "Mn":
            clusters[-1] += ch
        else:
            clusters.append(ch)
    x = float(size)
    for cl in clusters:
        d.text((x, size), cl, font=fnt, fill=0, stroke_width=bold, stroke_fill=0)
        x += d.textlength(cl, font=fnt) + bold + rng.uniform(-0.02, 0.2) * size
    return np.array(img)


def _reshape(arr: np.ndarray, text_h: int, rng: random.Random) -> np.ndarray:
    """Faces the training set lacks: the glyphs stretched and smoothly bent.

    Unseen faces differ from the training ones by proportions (narrow,
    wide) and by how curves and loops are drawn; a random width and a
    smooth random displacement field (elastic distortion) of a few percent
    of the text height make the network rely on the digit's structure.
    """
    h, w = arr.shape
    stretch = rng.uniform(0.8, 1.2)
    arr = cv2.resize(arr, (max(1, int(w * stretch)), h), interpolation=cv2.INTER_AREA if stretch < 1 else cv2.INTER_CUBIC)
    if rng.random() < 0.7:
        h, w = arr.shape
        nrng = np.random.default_rng(rng.randrange(2**31))
        sigma, alpha = 0.12 * text_h, rng.uniform(0.02, 0.07) * text_h
        dx = cv2.GaussianBlur(nrng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
        dy = cv2.GaussianBlur(nrng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
        scale = alpha / (max(np.abs(dx).max(), np.abs(dy).max()) + 1e-6)
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        mx, my = (gx + dx * scale).astype(np.float32), (gy + dy * scale).astype(np.float32)
        arr = cv2.remap(arr, mx, my, cv2.INTER_LINEAR, borderValue=255)
    return arr


def degrade(arr: np.ndarray, rng: random.Random, reshape: bool = True,
            captured_px: tuple[float, float] = (7, 24), reader_px: tuple[float, float] = (13, 24)) -> np.ndarray:
    """The chain from print to the reader's crop: capture size, blur, noise, JPEG, reader upscaling.

    ``reshape``: distort the glyphs too (training only; held-out faces are measured as they are).
    ``captured_px``, ``reader_px``: the text's height in the captured image and in the reader's crop
    (the defaults are a body-text digit's).
    """
    ink = np.nonzero((arr < 128).any(axis=1))[0]
    text_h = max(1, ink[-1] - ink[0] + 1) if len(ink) else arr.shape[0]
    if reshape:
        arr = _reshape(arr, text_h, rng)
    if rng.random() < 0.5:
        m = cv2.getRotationMatrix2D((arr.shape[1] / 2, arr.shape[0] / 2), rng.uniform(-2.5, 2.5), 1.0)
        m[0, 1] += rng.uniform(-0.08, 0.08)  # slant of a phone photo's perspective
        arr = cv2.warpAffine(arr, m, (arr.shape[1], arr.shape[0]), borderValue=255)
    # Capture: a digit 7-24 px tall, as in chat-app JPEGs, photos and PDFs.
    captured = rng.uniform(*captured_px)
    f = captured / text_h
    arr = cv2.resize(arr, None, fx=f, fy=f, interpolation=cv2.INTER_AREA).astype(np.float32)
    ink_level, paper = rng.uniform(0, 110), rng.uniform(200, 255)
    arr = ink_level + (paper - ink_level) * arr / 255.0
    if rng.random() < 0.6:
        arr = cv2.GaussianBlur(arr, (0, 0), rng.uniform(0.3, 1.0))
    if rng.random() < 0.4:
        arr = arr + np.random.default_rng(rng.randrange(2**31)).normal(0, rng.uniform(2, 10), arr.shape)
    arr = np.clip(arr, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "JPEG", quality=rng.randint(30, 92))
        arr = np.array(Image.open(buf))
    # The reader works at a page size where body digits are ~14-24 px tall.
    reader = max(captured, rng.uniform(*reader_px))
    if reader > captured * 1.05:
        f = reader / captured
        interp = rng.choice([cv2.INTER_CUBIC, cv2.INTER_LINEAR])
        arr = cv2.resize(arr, None, fx=f, fy=f, interpolation=interp)
    # Stroke weight varies between faces and scans more than anything else.
    r = rng.random()
    if r < 0.12:
        arr = cv2.erode(arr, np.ones((2, 2), np.uint8))
    elif r < 0.24:
        arr = cv2.dilate(arr, np.ones((2, 2), np.uint8))
    return arr


def _crop(arr: np.ndarray, rng: random.Random, clip: bool) -> np.ndarray:
    """A crop around the ink, padded a little; with ``clip`` sometimes cutting into the outer glyphs."""
    ys, xs = np.nonzero(arr < 150)
    if len(ys) == 0:
        return arr
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    h = y1 - y0
    pads = [rng.randint(1, 6) for _ in range(4)]
    if clip and rng.random() < 0.25:
        # Tesseract's boxes for digits it misread can cut a slice off an edge.
        side = rng.randrange(4)
        pads[side] = -int(rng.uniform(0.05, 0.2) * h)
    return arr[max(0, y0 - pads[0]) : y1 + pads[1], max(0, x0 - pads[2]) : x1 + pads[3]]


def _samples(job: tuple[str, int, int, str, bool, bool]) -> tuple[list[np.ndarray], list[int]]:
    """Feature rows (or glyph images) and labels from one font: ``kind`` is "thai", "latin" or "junk"."""
    font_path, count, seed, kind, train, images = job
    describe = glyph_image if images else glyph_features
    rng = random.Random(seed)
    xs, ys = [], []
    for _ in range(count):
        if kind == "junk":
            text = " ".join(rng.choice(JUNK_WORDS) for _ in range(rng.randint(1, 2)))
            labels = None
        else:
            labels = [rng.randrange(10) for _ in range(rng.randint(1, 4))]
            text = "".join(str(i) if kind == "latin" else THAI_DIGITS[i] for i in labels)
            if kind == "latin":
                labels = [i + 10 for i in labels]
        crop = _crop(degrade(_render(font_path, text, rng), rng, reshape=train), rng, clip=train and kind == "thai")
        glyphs = segment_glyphs(crop)
        if labels is None:
            labels = [JUNK] * len(glyphs)
        elif len(glyphs) != len(labels):
            continue  # touching or broken glyphs: the label order would be wrong
        for g, label in zip(glyphs, labels):
            xs.append(describe(g))
            ys.append(label)
    return xs, ys


def make_set(
    fonts: list[str], per_font: int, seed: int, kind: str = "thai", train: bool = True, images: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (0–9 Thai digits, 10–19 Latin digits, 20 not a digit) from the given fonts.

    ``train``: with the training-only augmentations (distorted glyphs, clipped crops).
    ``images``: glyph images (``glyph_image``, for train_digit_cnn.py) instead of features.
    """
    jobs = []
    for k, font_path in enumerate(fonts):
        if not Path(font_path).exists():
            print(f"missing font {font_path}", file=sys.stderr)
            continue
        jobs.append((font_path, per_font, seed * 1000 + k, kind, train, images))
    # Spawned workers: forking after OpenCV/BLAS have started threads can deadlock.
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        parts = pool.map(_samples, jobs)
    xs = [x for part, _ in parts for x in part]
    ys = [y for _, part in parts for y in part]
    return np.stack(xs), np.array(ys)


def train(x: np.ndarray, y: np.ndarray, hidden: int, epochs: int, seed: int) -> dict[str, np.ndarray]:
    """A two-layer ReLU network with softmax, trained by Adam on cross-entropy with input dropout.

    Dropping a fifth of the (standardised) features makes the network look
    at the whole glyph rather than at the few pixels that tell the training
    faces apart, which is what carries over to unseen faces.
    """
    rng = np.random.default_rng(seed)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-3
    xn = ((x - mean) / std).astype(np.float32)
    d = x.shape[1]
    params = {
        "w1": rng.normal(0, np.sqrt(2 / d), (d, hidden)).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": rng.normal(0, np.sqrt(2 / hidden), (hidden, N_CLASSES)).astype(np.float32),
        "b2": np.zeros(N_CLASSES, np.float32),
    }
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(val) for k, val in params.items()}
    b1, b2, eps, wd = 0.9, 0.999, 1e-8, 1e-4
    step, total = 0, epochs * ((len(xn) + 127) // 128)
    onehot = np.eye(N_CLASSES, dtype=np.float32)[y]
    for _ in range(epochs):
        order = rng.permutation(len(xn))
        for start in range(0, len(order), 128):
            idx = order[start : start + 128]
            xb, tb = xn[idx] * (rng.random((len(idx), d)) > 0.2) / 0.8, onehot[idx]
            h = np.maximum(0, xb @ params["w1"] + params["b1"])
            logits = h @ params["w2"] + params["b2"]
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            g_logits = (p - tb) / len(idx)
            grads = {"w2": h.T @ g_logits + wd * params["w2"], "b2": g_logits.sum(axis=0)}
            g_h = g_logits @ params["w2"].T
            g_h[h <= 0] = 0
            grads["w1"] = xb.T @ g_h + wd * params["w1"]
            grads["b1"] = g_h.sum(axis=0)
            step += 1
            lr = 3e-3 * 0.5 * (1 + np.cos(np.pi * step / total))  # cosine decay
            for k in params:
                m[k] = b1 * m[k] + (1 - b1) * grads[k]
                v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
                params[k] -= lr * (m[k] / (1 - b1**step)) / (np.sqrt(v[k] / (1 - b2**step)) + eps)
    return {"mean": mean.astype(np.float32), "std": std.astype(np.float32), **params}


def ensemble(x: np.ndarray, y: np.ndarray, members: int = 4, hidden: int = 96, epochs: int = 30) -> dict[str, np.ndarray]:
    """Several networks from different seeds, stacked on a leading axis."""
    nets = [train(x, y, hidden, epochs, seed) for seed in range(members)]
    out = {"mean": nets[0]["mean"], "std": nets[0]["std"]}
    for key in ("w1", "b1", "w2", "b2"):
        out[key] = np.stack([n[key] for n in nets])
    return out


def predict(model: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Class probabilities of feature rows under ``model`` (not the file on disk)."""
    import certificates.thai_digits as td

    saved = td._model
    td._model = lambda: model
    try:
        return td._class_probs(x)
    finally:
        td._model = saved


def accuracy(model: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Share of glyphs classified right by the ensemble."""
    return float((predict(model, x).argmax(axis=1) == y).mean())


def tesseract_confusion(fonts: list[str], per_font: int, seed: int) -> np.ndarray:
    """P(Tesseract's character | true Thai digit), from Tesseract reading rendered numbers.

    Rows: Tesseract's output class (0–9 Thai or Latin digit value, 10 = any
    other character); columns: the true digit.  Tesseract's Thai model maps
    several digits onto one (๔, ๘, ๙ often come out as ๕) but keeps others
    apart (๑, ๓, ๐), which is just what the glyph classifier confuses.
    """
    import tempfile

    rng = random.Random(seed)
    counts = np.ones((11, 10), np.float64)  # add-one smoothing
    with tempfile.TemporaryDirectory() as tmp:
        for font_path in fonts:
            if not Path(font_path).exists():
                continue
            for _ in range(per_font):
                labels = [rng.randrange(10) for _ in range(rng.randint(2, 4))]
                text = "".join(THAI_DIGITS[i] for i in labels)
                crop = _crop(degrade(_render(font_path, text, rng), rng, reshape=False), rng, clip=False)
                path = f"{tmp}/n.png"
                cv2.imwrite(path, cv2.copyMakeBorder(crop, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255))
                out = subprocess.run(
                    ["tesseract", path, "-", "-l", "tha+eng", "--psm", "7"],
                    capture_output=True, text=True, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
                ).stdout
                chars = [c for c in out if not c.isspace()]
                if len(chars) != len(labels):
                    continue  # cannot align
                for c, label in zip(chars, labels):
                    row = THAI_DIGITS.find(c) if c in THAI_DIGITS else (int(c) if c.isdigit() else 10)
                    counts[row, label] += 1
    return (counts / counts.sum(axis=0, keepdims=True)).astype(np.float32)


def main() -> int:
    """Build the data sets, train, report, save."""
    sipa = sipa_fonts()
    train_fonts = TRAIN_FONTS + sipa
    x_thai, y_thai = make_set(train_fonts, 800, seed=1)
    x_lat, y_lat = make_set(ASCII_FONTS + sipa, 500, seed=3, kind="latin")
    x_junk, y_junk = make_set(train_fonts, 60, seed=5, kind="junk")
    x_train = np.concatenate([x_thai, x_lat, x_junk])
    y_train = np.concatenate([y_thai, y_lat, y_junk])
    x_test, y_test = make_set(HELD_OUT_FONTS, 60, seed=2, train=False)
    x_test_lat, y_test_lat = make_set(HELD_OUT_FONTS, 30, seed=4, kind="latin", train=False)
    x_test_junk, y_test_junk = make_set(HELD_OUT_FONTS, 30, seed=6, kind="junk", train=False)
    print(f"train glyphs {len(y_train)} ({len(y_thai)} Thai digits from {len(train_fonts)} fonts, "
          f"{len(y_lat)} Latin, {len(y_junk)} other); held-out Thai-digit glyphs {len(y_test)}")
    model = ensemble(x_train, y_train)
    print(f"train accuracy {accuracy(model, x_train, y_train):.3f}")
    print(f"held-out (generator fonts, never seen) Thai-digit accuracy {accuracy(model, x_test, y_test):.3f}")
    print(f"held-out Latin-digit accuracy {accuracy(model, x_test_lat, y_test_lat):.3f}")
    print(f"held-out not-a-digit accuracy {accuracy(model, x_test_junk, y_test_junk):.3f}")
    model["tess_confusion"] = tesseract_confusion(train_fonts, 20, seed=7)
    print("P(tesseract char | true digit), rows ๐..๙/0..9 and other:")
    print(np.round(model["tess_confusion"], 2))
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(MODEL_PATH, **{k: v.astype(np.float16) for k, v in model.items()})
    print(f"saved {MODEL_PATH} ({MODEL_PATH.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
