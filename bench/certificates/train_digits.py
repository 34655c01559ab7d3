"""Train the Thai-digit glyph classifier shipped as certificates/data/thai_digits.npz.

Digits are rendered as short numbers in fonts the benchmark generator does
NOT use (Noto Thai, Noto Looped Thai, Arundina, Purisa, Tlwg Mono, Tlwg
Typewriter), degraded (blur, scaling, JPEG, slight rotation), cut into
glyphs with the reader's own segmentation, and used to train a small
two-layer network in numpy.  Accuracy is then reported on the generator's
fonts (fonts-thai-tlwg faces), which the network never saw.

Needs the Debian packages fonts-thai-tlwg, fonts-noto-core and
fonts-sipa-arundina.  Run: ``.venv/bin/python bench/certificates/train_digits.py``
"""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from certificates.thai_digits import MODEL_PATH, THAI_DIGITS, glyph_features, segment_glyphs  # noqa: E402

TRAIN_FONTS = [
    "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansThai-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerifThai-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerifThai-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoLoopedThai-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoLoopedThai-Bold.ttf",
    "/usr/share/fonts/truetype/arundina/ArundinaSans.ttf",
    "/usr/share/fonts/truetype/arundina/ArundinaSans-Bold.ttf",
    "/usr/share/fonts/truetype/arundina/ArundinaSerif.ttf",
    "/usr/share/fonts/truetype/arundina/ArundinaSerif-Bold.ttf",
    "/usr/share/fonts/truetype/arundina/ArundinaSansMono.ttf",
    "/usr/share/fonts/truetype/tlwg/Purisa.ttf",
    "/usr/share/fonts/truetype/tlwg/Purisa-Bold.ttf",
    "/usr/share/fonts/truetype/tlwg/TlwgMono.ttf",
    "/usr/share/fonts/truetype/tlwg/TlwgMono-Bold.ttf",
    "/usr/share/fonts/truetype/tlwg/TlwgTypewriter.ttf",
    # Slanted and other weights of the same families: more shapes per digit.
    "/usr/share/fonts/truetype/arundina/ArundinaSans-Oblique.ttf",
    "/usr/share/fonts/truetype/arundina/ArundinaSans-BoldOblique.ttf",
    "/usr/share/fonts/truetype/arundina/ArundinaSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/arundina/ArundinaSansMono-Oblique.ttf",
    "/usr/share/fonts/truetype/tlwg/Purisa-Oblique.ttf",
    "/usr/share/fonts/truetype/tlwg/TlwgMono-Oblique.ttf",
    "/usr/share/fonts/truetype/tlwg/TlwgTypewriter-Bold.ttf",
    "/usr/share/fonts/truetype/tlwg/TlwgTypewriter-BoldOblique.ttf",
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
    "/usr/share/fonts/truetype/arundina/ArundinaSans.ttf",
    "/usr/share/fonts/truetype/arundina/ArundinaSerif.ttf",
    "/usr/share/fonts/truetype/tlwg/Purisa.ttf",
    "/usr/share/fonts/truetype/tlwg/TlwgMono.ttf",
    "/usr/share/fonts/truetype/tlwg/TlwgTypewriter.ttf",
]
HELD_OUT_FONTS = [
    f"/usr/share/fonts/truetype/tlwg/{name}.ttf"
    for name in ("Garuda", "Loma", "Kinnari", "Norasi", "Sawasdee", "TlwgTypist", "Umpush", "Laksaman", "Waree",
                 "TlwgTypo", "Garuda-Bold", "Kinnari-Bold", "Laksaman-Bold", "Sawasdee-Bold")
]
LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


def render_number(font_path: str, digits: str, rng: random.Random) -> np.ndarray:
    """A degraded grey image of a Thai number, cropped around it."""
    size = rng.randint(16, 64)
    fnt = ImageFont.truetype(font_path, size, layout_engine=LAYOUT)
    img = Image.new("L", (size * (len(digits) + 2), size * 2), 255)
    d = ImageDraw.Draw(img)
    d.text((size // 2, size // 3), digits, font=fnt, fill=rng.randint(0, 90))
    arr = np.array(img)
    if rng.random() < 0.5:
        m = cv2.getRotationMatrix2D((arr.shape[1] / 2, arr.shape[0] / 2), rng.uniform(-3, 3), 1.0)
        arr = cv2.warpAffine(arr, m, (arr.shape[1], arr.shape[0]), borderValue=255)
    if rng.random() < 0.6:
        arr = cv2.GaussianBlur(arr, (0, 0), rng.uniform(0.3, 1.5))
    # Chat apps and phone photos leave digits 10-15 px tall before the reader upscales them.
    if rng.random() < 0.7:
        f = rng.uniform(max(0.3, 11 / size), 0.9)
        small = cv2.resize(arr, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        arr = cv2.resize(small, (arr.shape[1], arr.shape[0]), interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.6:
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "JPEG", quality=rng.randint(35, 90))
        arr = np.array(Image.open(buf))
    # Stroke weight varies between faces more than anything else: thicken or thin it.
    r = rng.random()
    if r < 0.2:
        arr = cv2.erode(arr, np.ones((2, 2), np.uint8))
    elif r < 0.4:
        arr = cv2.dilate(arr, np.ones((2, 2), np.uint8))
    ink = np.where(arr < 200)
    if len(ink[0]) == 0:
        return arr
    y0, y1 = max(0, ink[0].min() - 3), min(arr.shape[0], ink[0].max() + 4)
    x0, x1 = max(0, ink[1].min() - 3), min(arr.shape[1], ink[1].max() + 4)
    return arr[y0:y1, x0:x1]


def make_set(fonts: list[str], per_font: int, seed: int, latin: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (0–9 Thai digits, 10–19 Latin digits) from numbers in the given fonts."""
    rng = random.Random(seed)
    xs, ys = [], []
    for font_path in fonts:
        if not Path(font_path).exists():
            print(f"missing font {font_path}", file=sys.stderr)
            continue
        for _ in range(per_font):
            labels = [rng.randrange(10) for _ in range(rng.randint(1, 4))]
            if latin:
                text = "".join(str(i) for i in labels)
                labels = [i + 10 for i in labels]
            else:
                text = "".join(THAI_DIGITS[i] for i in labels)
            crop = render_number(font_path, text, rng)
            glyphs = segment_glyphs(crop)
            if len(glyphs) != len(labels):
                continue  # touching or broken glyphs: the label order would be wrong
            for g, label in zip(glyphs, labels):
                xs.append(glyph_features(g))
                ys.append(label)
    return np.stack(xs), np.array(ys)


def train(x: np.ndarray, y: np.ndarray, hidden: int = 64, epochs: int = 60, seed: int = 0) -> dict[str, np.ndarray]:
    """A two-layer ReLU network with softmax, trained by Adam on cross-entropy."""
    rng = np.random.default_rng(seed)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-3
    xn = (x - mean) / std
    d = x.shape[1]
    params = {
        "w1": rng.normal(0, np.sqrt(2 / d), (d, hidden)).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": rng.normal(0, np.sqrt(2 / hidden), (hidden, 20)).astype(np.float32),
        "b2": np.zeros(20, np.float32),
    }
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(val) for k, val in params.items()}
    lr, b1, b2, eps, wd = 3e-3, 0.9, 0.999, 1e-8, 1e-4
    step = 0
    onehot = np.eye(20, dtype=np.float32)[y]
    for _ in range(epochs):
        order = rng.permutation(len(xn))
        for start in range(0, len(order), 128):
            idx = order[start : start + 128]
            xb, tb = xn[idx], onehot[idx]
            h = np.maximum(0, xb @ params["w1"] + params["b1"])
            logits = h @ params["w2"] + params["b2"]
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            g_logits = (p - tb) / len(idx)
            grads = {
                "w2": h.T @ g_logits + wd * params["w2"],
                "b2": g_logits.sum(axis=0),
            }
            g_h = g_logits @ params["w2"].T
            g_h[h <= 0] = 0
            grads["w1"] = xb.T @ g_h + wd * params["w1"]
            grads["b1"] = g_h.sum(axis=0)
            step += 1
            for k in params:
                m[k] = b1 * m[k] + (1 - b1) * grads[k]
                v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
                mh = m[k] / (1 - b1**step)
                vh = v[k] / (1 - b2**step)
                params[k] -= lr * mh / (np.sqrt(vh) + eps)
    return {"mean": mean.astype(np.float32), "std": std.astype(np.float32), **params}


def ensemble(x: np.ndarray, y: np.ndarray, members: int = 5) -> dict[str, np.ndarray]:
    """Several networks from different seeds, stacked on a leading axis."""
    nets = [train(x, y, seed=seed, epochs=40) for seed in range(members)]
    out = {"mean": nets[0]["mean"], "std": nets[0]["std"]}
    for key in ("w1", "b1", "w2", "b2"):
        out[key] = np.stack([n[key] for n in nets])
    return out


def accuracy(model: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Share of glyphs classified right by the ensemble."""
    import certificates.thai_digits as td

    td._model.cache_clear()
    saved = td._model
    td._model = lambda: model  # score this model, not the file on disk
    try:
        pred, _ = td.classify_features(x)
    finally:
        td._model = saved
    return float((pred == y).mean())


def tesseract_confusion(fonts: list[str], per_font: int, seed: int) -> np.ndarray:
    """P(Tesseract's character | true Thai digit), from Tesseract reading rendered numbers.

    Rows: Tesseract's output class (0–9 Thai or Latin digit value, 10 = any
    other character); columns: the true digit.  Tesseract's Thai model maps
    several digits onto one (๔, ๘, ๙ often come out as ๕) but keeps others
    apart (๑, ๓, ๐), which is just what the glyph classifier confuses.
    """
    import subprocess
    import tempfile

    rng = random.Random(seed)
    counts = np.ones((11, 10), np.float64)  # add-one smoothing
    with tempfile.TemporaryDirectory() as tmp:
        for font_path in fonts:
            if not Path(font_path).exists():
                continue
            for _ in range(per_font):
                labels = [rng.randrange(10) for _ in range(rng.randint(2, 4))]
                crop = render_number(font_path, "".join(THAI_DIGITS[i] for i in labels), rng)
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
    x_thai, y_thai = make_set(TRAIN_FONTS, 200, seed=1)
    x_lat, y_lat = make_set(ASCII_FONTS, 150, seed=3, latin=True)
    x_train, y_train = np.concatenate([x_thai, x_lat]), np.concatenate([y_thai, y_lat])
    x_test, y_test = make_set(HELD_OUT_FONTS, 60, seed=2)
    x_test_lat, y_test_lat = make_set(HELD_OUT_FONTS, 30, seed=4, latin=True)
    print(f"train glyphs {len(y_train)} from {len(TRAIN_FONTS)} fonts; held-out glyphs {len(y_test)}")
    model = ensemble(x_train, y_train)
    print(f"train accuracy {accuracy(model, x_train, y_train):.3f}")
    print(f"held-out (generator fonts, never seen) Thai-digit accuracy {accuracy(model, x_test, y_test):.3f}")
    print(f"held-out Latin-digit accuracy {accuracy(model, x_test_lat, y_test_lat):.3f}")
    model["tess_confusion"] = tesseract_confusion(TRAIN_FONTS, 40, seed=5)
    print("P(tesseract char | true digit), rows ๐..๙/0..9 and other:")
    print(np.round(model["tess_confusion"], 2))
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(MODEL_PATH, **{k: v.astype(np.float16) for k, v in model.items()})
    print(f"saved {MODEL_PATH} ({MODEL_PATH.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
