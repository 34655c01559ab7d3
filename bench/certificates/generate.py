"""Generator of realistic OCSC certificates and of the ways staff send them.

Renders portrait A4 certificates like the portal's (issuer lines, optional
"ร่วมกับ" partner, intro phrase, learner name in a big coloured font,
completion wording, "วิชา"/"หลักสูตร" title, hours, date, signatures, border,
background shapes and emblems) with the Thai fonts of fonts-thai-tlwg, or
with fifteen of Google's Thai families, on which no rule of the reader was
tuned and eight of which stay out of all training (``--faces web``, see
``webfonts.py``), laid out by Pillow with raqm so Thai marks stack
correctly.  A share are landscape (older portal layout) so the reader is
not measured on one layout only.

Each certificate is then degraded as one variant:

- ``clean``       the PNG as the portal renders it
- ``chat_jpeg``   downscaled to 1024–1280 px and JPEG-compressed like LINE/Telegram
- ``photo``       a phone photo: perspective, background, uneven light, blur, noise
- ``rotated``     turned 90/180/270 (a quarter also carry an EXIF orientation tag)
- ``screenshot``  a phone screenshot with status and navigation bars
- ``pdf``         an image-only PDF
- ``pdf_text``    a PDF with an invisible text layer over the image (searchable PDF)

Usage: ``python bench/certificates/generate.py --per-variant 5 --out bench/certificates/out``
writes the files and ``truth.jsonl`` (one JSON object per file).
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import datetime as dt
import io
import json
import math
import random
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

from long_names import LONG_NAME_SHARE, WRAPPING_TEMPLATES, draw_long_name

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # the reader's Thai spelling rules, for plausible invented names
CATALOG_PATH = REPO / "certificates" / "data" / "ocsc_catalog.csv"
FONT_DIR = Path("/usr/share/fonts/truetype/tlwg")
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

VARIANTS = ("clean", "chat_jpeg", "photo", "rotated", "screenshot", "pdf", "pdf_text")

# (regular, bold) files of the Thai families used for text.  Purisa and the
# typewriter faces are left out: certificates use formal faces.
FONT_FAMILIES: dict[str, tuple[Path, Path]] = {
    family: (FONT_DIR / regular, FONT_DIR / bold)
    for family, (regular, bold) in {
        "Garuda": ("Garuda.ttf", "Garuda-Bold.ttf"),
        "Loma": ("Loma.ttf", "Loma-Bold.ttf"),
        "Kinnari": ("Kinnari.ttf", "Kinnari-Bold.ttf"),
        "Norasi": ("Norasi.ttf", "Norasi-Bold.ttf"),
        "Sawasdee": ("Sawasdee.ttf", "Sawasdee-Bold.ttf"),
        "TlwgTypist": ("TlwgTypist.ttf", "TlwgTypist-Bold.ttf"),
        "Umpush": ("Umpush.ttf", "Umpush-Bold.ttf"),
        "Laksaman": ("Laksaman.ttf", "Laksaman-Bold.ttf"),
        "Waree": ("Waree.ttf", "Waree-Bold.ttf"),
        "TlwgTypo": ("TlwgTypo.ttf", "TlwgTypo-Bold.ttf"),
    }.items()
}
TLWG_FAMILIES = tuple(FONT_FAMILIES)
# Face sets a bench run can render in: the TLWG faces above, or the held-out
# web faces (see webfonts.py), fetched on first use.
FACE_SETS = ("tlwg", "web")

OCSC_FULL = "สำนักงานคณะกรรมการข้าราชการพลเรือน"
OCSC_SHORT = "สำนักงาน ก.พ."
PARTNERS = [
    "ศูนย์อำนวยการบริหารจังหวัดชายแดนภาคใต้",
    "สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)",
    "สถาบันพระปกเกล้า",
    "กรมบัญชีกลาง",
    "สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตแห่งชาติ",
    "มหาวิทยาลัยเกษตรศาสตร์",
    "สำนักงานสถิติแห่งชาติ",
    "กรมสุขภาพจิต",
    "สถาบันคลังสมองของชาติ",
    "สำนักงานอัยการสูงสุด",
    "สำนักงานศาลยุติธรรม",
    "กรมพัฒนาฝีมือแรงงาน",
    "สำนักงานคณะกรรมการดิจิทัลเพื่อเศรษฐกิจและสังคมแห่งชาติ",
    "มหาวิทยาลัยสุโขทัยธรรมาธิราช",
    "สถาบันส่งเสริมการสอนวิทยาศาสตร์และเทคโนโลยี",
]
INTROS = [
    "ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า",
    "ขอมอบประกาศนียบัตรฉบับนี้ให้เพื่อแสดงว่า",
    "ประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า",
]
COMPLETIONS = [
    "ได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด",
    "ได้ผ่านการพัฒนาทางไกลด้วยระบบอิเล็กทรอนิกส์",
    "ได้ผ่านการอบรม",
]
# (printed title, glued to the first name?) — ranks and abbreviations are often spaced.
TITLES = [
    ("นาย", True, 30), ("นาง", True, 14), ("นางสาว", True, 22), ("น.ส.", True, 2),
    ("ว่าที่ร้อยตรี", True, 4), ("ว่าที่ ร.ต.", False, 2), ("ว่าที่ร้อยตรีหญิง", True, 1),
    ("ดร.", True, 3), ("ผศ.ดร.", True, 1), ("จ่าเอก", True, 1), ("สิบตำรวจโท", True, 1),
    ("ร้อยตำรวจเอก", True, 1), ("พันตำรวจโท", True, 1), ("จ่าสิบเอก", True, 1), ("พันเอก", True, 1),
    ("นายแพทย์", True, 1), ("แพทย์หญิง", True, 1),
]
FULL_MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
               "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]
SHORT_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
SIGNER_POSITIONS = [
    "เลขาธิการคณะกรรมการข้าราชการพลเรือน",
    "รองเลขาธิการคณะกรรมการข้าราชการพลเรือน",
    "ผู้อำนวยการสถาบันพัฒนาข้าราชการพลเรือน",
]
# Pieces of invented course titles: plausible, and checked to be far from the catalog.
_TOPIC_A = ["การพัฒนาทักษะ", "การบริหารจัดการ", "การเสริมสร้าง", "หลักการ", "เทคนิค", "การประยุกต์ใช้",
            "การวางแผน", "แนวทางการ", "การออกแบบ", "ความรู้เบื้องต้นเกี่ยวกับ"]
_TOPIC_B = ["การสื่อสารเชิงกลยุทธ์", "งานสารบรรณอิเล็กทรอนิกส์", "ข้อมูลเปิดภาครัฐ", "ความปลอดภัยไซเบอร์",
            "การประเมินผลโครงการ", "การให้คำปรึกษา", "ภาวะผู้นำเชิงสร้างสรรค์", "การจัดการความรู้",
            "การทำงานเป็นทีม", "การบริการประชาชน", "นวัตกรรมท้องถิ่น", "การเงินส่วนบุคคล",
            "ผู้นำทีมที่มีประสิทธิภาพ", "การควบคุมภายใน", "การจัดการข้อร้องเรียน", "ระบบงานยุคดิจิทัล"]
_TOPIC_C = ["", "", "สำหรับข้าราชการ", "สำหรับหัวหน้างาน", "ในยุคดิจิทัล", "เพื่อการพัฒนาองค์กร",
            "สำหรับผู้บริหารระดับต้น", "ภาครัฐ", " (Advanced)", " รุ่นที่ 2"]


@dataclass
class Spec:
    """Everything printed on one certificate, and the expected reading."""

    name: str
    course: str
    kind: str
    code: str | None
    hours: float
    completed_on: str
    issuers: list[str]
    issuer_line: str
    partner: str | None
    intro: str
    completion: str
    hours_line: str
    date_line: str
    body_font: str
    name_font: str
    landscape: bool
    name_listed: bool = True  # given and family name both on PyThaiNLP's lists
    name_long: bool = False  # a long rank with long given and family names (see long_names.py)
    # A name too wide for the template's text box breaks onto a second line at
    # its last space that fits, as an HTML template with a fixed font size does;
    # else the name's font is made smaller until it fits between the frame's sides.
    name_wraps: bool = False


def _thai_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))


def load_catalog() -> list[dict[str, str]]:
    """Catalog rows from the repository copy."""
    with CATALOG_PATH.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _name_lists() -> tuple[list[str], list[str]]:
    """First and family names from PyThaiNLP's shipped corpora (Thai letters only)."""
    from pythainlp.corpus import thai_family_names, thai_female_names, thai_male_names

    def ok(n: str) -> bool:
        return 2 <= len(n) <= 14 and all("\u0e01" <= c <= "\u0e4e" for c in n)

    firsts = sorted(n for n in set(thai_male_names()) | set(thai_female_names()) if ok(n))
    lasts = sorted(n for n in set(thai_family_names()) if ok(n))
    return firsts, lasts


def unlisted_name(rng: random.Random, pool: list[str]) -> str:
    """A name spelled like Thai names but on no list: the first syllables of one listed name, the last of another.

    The reader uses PyThaiNLP's name lists to choose among its readings, so a
    bench drawing every name from those lists would flatter it.  The names
    are joined at syllable boundaries: joined at character clusters they came
    out as spellings no Thai name has ("วรจัอน", "ญูนัชัย", "พุฒซ้รมย์").
    """
    from pythainlp.tokenize import syllable_tokenize

    from certificates.thai_text import invalid_thai_sequences

    listed = set(pool)
    while True:
        a, b = (syllable_tokenize(rng.choice(pool), engine="dict") for _ in range(2))
        if len(a) < 2 or len(b) < 2:
            continue
        name = "".join(a[: (len(a) + 1) // 2] + b[len(b) // 2 :])
        # No archaic letters or impossible spellings: real names, just not listed ones.
        if name not in listed and 3 <= len(name) <= 14 and "ๅ" not in name and not invalid_thai_sequences(name):
            return name


def invented_title(rng: random.Random, catalog_names: list[str]) -> str:
    """A course title not in the catalog (and not close to any catalog name)."""
    from rapidfuzz import fuzz, process

    while True:
        title = (rng.choice(_TOPIC_A) + rng.choice(_TOPIC_B) + rng.choice(_TOPIC_C)).strip()
        best = process.extractOne(title, catalog_names, scorer=fuzz.ratio)
        if best is None or best[1] < 80:
            return title


def make_spec(
    rng: random.Random,
    catalog: list[dict[str, str]],
    names: tuple[list[str], list[str]],
    fonts: list[str],
    long_rng: random.Random | None = None,
) -> Spec:
    """Draw the content of one certificate, printed in faces drawn from ``fonts``.

    With ``long_rng``, about one learner in ten (``long_names.LONG_NAME_SHARE``)
    has a long name instead.  It draws from a generator of its own so that
    every other draw of a seed stays as it was.
    """
    firsts, lasts = names
    title, glued, _ = rng.choices(TITLES, weights=[t[2] for t in TITLES])[0]
    first, last = rng.choice(firsts), rng.choice(lasts)
    # A third of the learners have names no list knows, as many real people do.
    listed = rng.random() >= 0.33
    if not listed:
        first, last = unlisted_name(rng, firsts), unlisted_name(rng, lasts)
    name = f"{title}{first} {last}" if glued else f"{title} {first} {last}"
    long = long_rng is not None and long_rng.random() < LONG_NAME_SHARE
    wraps = False
    if long:
        drawn = draw_long_name(long_rng)
        name, listed = drawn.printed, drawn.listed
        wraps = long_rng.random() < WRAPPING_TEMPLATES

    catalog_names = [r["name"] for r in catalog]
    if rng.random() < 0.7:
        row = rng.choice(catalog)
        course, kind = " ".join(row["name"].split()), row["kind"]
        same = [r for r in catalog if r["name"] == row["name"] and r["kind"] == kind]
        code = row["code"] if len(same) == 1 else None
    else:
        course, kind, code = invented_title(rng, catalog_names), rng.choice(["course", "course", "curriculum"]), None

    hours: float = rng.choice([1, 2, 3, 3, 4, 5, 6, 6, 8, 9, 10, 12, 15, 18, 20, 24, 30, 36, 45, 60])
    if rng.random() < 0.08:
        hours += 0.5
    start = dt.date(2019, 1, 1).toordinal()
    day = dt.date.fromordinal(rng.randint(start, dt.date(2025, 12, 31).toordinal()))
    thai_digits = rng.random() < 0.15

    hours_txt = f"{hours:g}"
    r = rng.random()
    if r < 0.8:
        hours_line = f"(รวมระยะเวลาทั้งสิ้น {hours_txt} ชั่วโมง)"
    elif r < 0.9:
        hours_line = f"รวมระยะเวลา {hours_txt} ชั่วโมง"
    else:
        hours_line = f"(รวมระยะเวลาทั้งสิ้น {hours_txt} ชม.)"
    be = day.year + 543
    r = rng.random()
    if r < 0.8:
        date_txt = f"{day.day} {FULL_MONTHS[day.month - 1]} พ.ศ. {be}"
    elif r < 0.93:
        date_txt = f"{day.day} {SHORT_MONTHS[day.month - 1]} {be}"
    else:
        date_txt = f"{day.day} {SHORT_MONTHS[day.month - 1]} {be % 100:02d}"
    date_line = f"ให้ไว้ ณ วันที่ {date_txt}"
    if thai_digits:
        hours_line, date_line = _thai_digits(hours_line), _thai_digits(date_line)

    issuer_line = OCSC_FULL if rng.random() < 0.6 else OCSC_SHORT
    partner = rng.choice(PARTNERS) if rng.random() < 0.35 else None
    issuers = [issuer_line] + ([partner] if partner else [])
    return Spec(
        name=name,
        course=course,
        kind=kind,
        code=code,
        hours=hours,
        completed_on=day.isoformat(),
        issuers=issuers,
        issuer_line=issuer_line,
        partner=partner,
        intro=rng.choice(INTROS),
        completion=rng.choice(COMPLETIONS),
        hours_line=hours_line,
        date_line=date_line,
        body_font=rng.choice(fonts),
        name_font=rng.choice(fonts),
        landscape=rng.random() < 0.12,
        name_listed=listed,
        name_long=long,
        name_wraps=wraps,
    )


# --- rendering ---------------------------------------------------------------------------

_LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
_font_cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """A cached FreeType font with complex (raqm) layout when available."""
    key = (str(path), size)
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(str(path), size, layout_engine=_LAYOUT)
    return _font_cache[key]


def family_font(family: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A font of one of the Thai families."""
    regular, bold_file = FONT_FAMILIES[family]
    return font(bold_file if bold else regular, size)


def wrap(text: str, fnt: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Break a title to fit max_width: at spaces first, else between Thai words."""
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))

    def width(s: str) -> float:
        return draw.textlength(s, font=fnt)

    if width(text) <= max_width:
        return [text]
    from pythainlp.tokenize import word_tokenize

    tokens = word_tokenize(text, keep_whitespace=True)
    lines: list[str] = []
    current = ""
    for tok in tokens:
        if current and width(current + tok) > max_width:
            lines.append(current.strip())
            current = tok.lstrip()
        else:
            current += tok
    if current.strip():
        lines.append(current.strip())
    return lines


_LINE_SPACING = [1.45]


def _centered(draw: ImageDraw.ImageDraw, cx: float, y: float, text: str, fnt: ImageFont.FreeTypeFont, fill) -> float:
    """Draw text centred at cx with its top at y; return the line height used."""
    l, t, r, b = draw.textbbox((0, 0), text, font=fnt)
    draw.text((cx - (r - l) / 2 - l, y), text, font=fnt, fill=fill)
    return fnt.size * _LINE_SPACING[0]


def _emblem(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, rng: random.Random) -> None:
    """A round emblem: rings, spokes and a dark or golden face."""
    gold = (rng.randint(190, 230), rng.randint(140, 175), rng.randint(20, 60))
    face = rng.choice([gold, (20, 20, 20), (255, 255, 255), (30, 50, 120)])
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=face, outline=gold, width=max(2, int(r * 0.08)))
    inner = r * 0.7
    draw.ellipse([cx - inner, cy - inner, cx + inner, cy + inner], outline=gold, width=max(1, int(r * 0.04)))
    for k in range(rng.choice([8, 12, 16])):
        a = 2 * math.pi * k / 16
        draw.line([cx + inner * 0.3 * math.cos(a), cy + inner * 0.3 * math.sin(a),
                   cx + inner * 0.9 * math.cos(a), cy + inner * 0.9 * math.sin(a)], fill=gold, width=max(1, int(r * 0.05)))


def _signature(draw: ImageDraw.ImageDraw, x: float, y: float, w: float, rng: random.Random) -> None:
    """A scribbled signature made of random strokes."""
    pts = []
    n = rng.randint(6, 12)
    for k in range(n):
        pts.append((x + w * k / n + rng.uniform(-w * 0.05, w * 0.05), y + rng.uniform(-w * 0.15, w * 0.15)))
    colour = rng.choice([(10, 10, 10), (20, 30, 110), (30, 30, 60)])
    draw.line(pts, fill=colour, width=max(2, int(w * 0.015)), joint="curve")


def _broken_at_spaces(text: str, fnt: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """``text`` in lines of at most ``max_width``, broken at spaces only (a long word stands alone)."""
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    lines: list[str] = []
    for word in text.split(" "):
        if lines and draw.textlength(f"{lines[-1]} {word}", font=fnt) <= max_width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _name_lines(spec: Spec, size: float, box_width: float, frame_width: float) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The name's bold face and printed lines: at ``size`` if it fits, else as the template fits it.

    A template that wraps (``spec.name_wraps``) breaks the name at spaces
    to fit its text box, ``box_width``; otherwise the name stays on one line
    and its font is made smaller until it fits between the frame's sides,
    ``frame_width``, as the template does with its other over-long lines (a
    partner's signer position, see render).  A line that still does not fit
    makes the font smaller either way.
    """
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    width = box_width if spec.name_wraps else frame_width
    fnt = family_font(spec.name_font, int(size), True)
    while True:
        lines = _broken_at_spaces(spec.name, fnt, width) if spec.name_wraps else [spec.name]
        if all(draw.textlength(line, font=fnt) <= width for line in lines) or fnt.size <= 20:
            return fnt, lines
        fnt = family_font(spec.name_font, fnt.size - 2, True)


def render(spec: Spec, rng: random.Random) -> Image.Image:
    """Render a certificate page as RGB."""
    if spec.landscape:
        W = rng.randint(1600, 2200)
        H = int(W / 1.4142)
    else:
        W = rng.randint(1240, 1754)
        H = int(W * 1.4142)
    u = W / 1567 if not spec.landscape else H / 1567 * 1.05  # layout unit, like the sample's pixels
    bg = rng.choice([(255, 255, 255), (253, 251, 245), (250, 250, 250), (255, 253, 240)])
    img = Image.new("RGB", (W, H), bg)
    over = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    od = ImageDraw.Draw(over)
    # Faint polygons in the background, as on the portal's design.
    for _ in range(rng.randint(4, 14)):
        pts = [(rng.uniform(0, W), rng.uniform(H * 0.3, H)) for _ in range(3)]
        g = rng.randint(200, 240)
        od.polygon(pts, fill=(g, g, g + rng.randint(0, 10), rng.randint(20, 70)))
    navy = (rng.randint(10, 40), rng.randint(40, 80), rng.randint(100, 150), 255)
    gold = (rng.randint(200, 235), rng.randint(150, 185), rng.randint(30, 70), 255)
    # Corner swooshes.
    if rng.random() < 0.8:
        od.polygon([(0, 0), (W * rng.uniform(0.35, 0.55), 0), (0, H * rng.uniform(0.08, 0.12))], fill=navy)
        od.polygon([(W, H), (W * rng.uniform(0.45, 0.65), H), (W, H * rng.uniform(0.88, 0.92))], fill=navy)
        od.line([(W * 0.55, 0), (0, H * 0.13)], fill=gold, width=int(10 * u))
        od.line([(W * 0.42, H), (W, H * 0.86)], fill=gold, width=int(10 * u))
    img.paste(over, (0, 0), over)
    draw = ImageDraw.Draw(img)
    # Frame.
    m = int(W * rng.uniform(0.025, 0.05))
    draw.rectangle([m, m, W - m, H - m], outline=gold[:3], width=max(2, int(rng.uniform(3, 8) * u)))
    if rng.random() < 0.4:
        m2 = m + int(12 * u)
        draw.rectangle([m2, m2, W - m2, H - m2], outline=navy[:3], width=max(1, int(2 * u)))

    cx = W / 2
    # Spread the text over the page as the portal does (portrait pages have room).
    g = 1.0 if spec.landscape else rng.uniform(1.2, 1.6)
    _LINE_SPACING[0] = 1.45 if spec.landscape else rng.uniform(1.5, 1.75)
    body = lambda size, bold=False: family_font(spec.body_font, int(size * u), bold)  # noqa: E731
    dark = rng.choice([(20, 20, 20), (40, 40, 40), (25, 35, 70)])
    y = H * (0.07 if spec.landscape else 0.09)
    # Emblems.
    n_emblems = 2 if spec.partner and rng.random() < 0.8 else rng.choice([1, 1, 2])
    er = (70 if spec.landscape else 110) * u * rng.uniform(0.85, 1.1)
    for k in range(n_emblems):
        ex = cx + (k - (n_emblems - 1) / 2) * er * 2.6
        _emblem(draw, ex, y + er, er, rng)
    y += 2 * er + 60 * u * g
    issuer_size = rng.uniform(40, 50)
    y += _centered(draw, cx, y, spec.issuer_line, body(issuer_size, rng.random() < 0.5), dark)
    if spec.partner:
        y += _centered(draw, cx, y, "ร่วมกับ", body(32), dark)
        for part in wrap(spec.partner, body(issuer_size, True), W * 0.8):
            y += _centered(draw, cx, y, part, body(issuer_size, True), dark)
    y += 20 * u * g
    y += _centered(draw, cx, y, spec.intro, body(34), dark)
    if rng.random() < 0.6:
        draw.line([(W * 0.2, y + 5 * u), (W * 0.8, y + 5 * u)], fill=(200, 200, 200), width=max(1, int(2 * u)))
    y += 40 * u * g
    name_colour = rng.choice([(225, 165, 30), (200, 140, 20), (20, 60, 140), (150, 20, 30), (20, 20, 20)])
    name_font, name_lines = _name_lines(spec, rng.uniform(56, 72) * u, W * 0.78, W - 2 * m - 80 * u)
    for part in name_lines:
        y += _centered(draw, cx, y, part, name_font, name_colour)
    y += 25 * u * g
    y += _centered(draw, cx, y, spec.completion, body(32), dark)
    y += 30 * u * g
    keyword = "วิชา" if spec.kind == "course" else "หลักสูตร"
    title_font = body(rng.uniform(40, 48), rng.random() < 0.6)
    title_lines = wrap(f"{keyword} {spec.course}", title_font, W * 0.78)
    for part in title_lines:
        y += _centered(draw, cx, y, part, title_font, dark)
    y += 30 * u * g
    y += _centered(draw, cx, y, spec.hours_line, body(34), dark)
    y += _centered(draw, cx, y, spec.date_line, body(34), dark)
    y += 60 * u * g
    # Signatures: one or two (a co-certificate has one per issuer).
    n_sign = 2 if spec.partner else rng.choice([1, 1, 2])
    sig_font = body(26)
    for k in range(n_sign):
        sx = cx if n_sign == 1 else (W * (0.3 if k == 0 else 0.7))
        _signature(draw, sx - 110 * u, y + 30 * u, 220 * u, rng)
        signer = f"({rng.choice(['นาย', 'นาง', 'นางสาว'])}{rng.choice(['ปิยวัฒน์', 'วรรณพงษ์', 'สมศักดิ์', 'อรุณี', 'ศิริพร'])} {rng.choice(['ศิวรักษ์', 'คชรักษ์', 'ทองดี', 'ใจงาม'])})"
        _centered(draw, sx, y + 90 * u, signer, sig_font, dark)
        position = SIGNER_POSITIONS[0] if k == 0 else f"ผู้อำนวยการ{(spec.partner or 'สถาบัน')[:30]}"
        pf = sig_font
        while draw.textlength(position, font=pf) > W * (0.9 if n_sign == 1 else 0.44) and pf.size > 10:
            pf = body(pf.size / u - 2)
        _centered(draw, sx, y + 130 * u, position, pf, dark)
    # A seal at the bottom right.
    if rng.random() < 0.7:
        r = 110 * u
        bx, by = W * 0.8, min(H - m - r - 10, y + 300 * u)
        if by > y + 170 * u + r:
            draw.ellipse([bx - r, by - r, bx + r, by + r], fill=gold[:3], outline=navy[:3], width=int(8 * u))
            draw.ellipse([bx - r * 0.7, by - r * 0.7, bx + r * 0.7, by + r * 0.7], fill=navy[:3])
            draw.text((bx - r * 0.45, by - r * 0.2), "OCSC", font=font(LATIN_FONT, int(r * 0.35)), fill=(255, 255, 255))
    return img


# --- degradations ------------------------------------------------------------------------


def _jpeg(img: Image.Image, quality: int, **kw) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False, compress_level=3)
    return buf.getvalue()


def _resize_long(img: Image.Image, long_side: int) -> Image.Image:
    s = long_side / max(img.size)
    return img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.Resampling.LANCZOS)


def chat_jpeg(img: Image.Image, rng: random.Random) -> bytes:
    """What LINE/Telegram deliver: 1024–1280 px on the long side, JPEG quality 55–82."""
    return _jpeg(_resize_long(img, rng.randint(1024, 1280)), rng.randint(55, 82))


def _background(w: int, h: int, rng: random.Random) -> np.ndarray:
    """A desk/table/fabric background with texture."""
    base = np.array(rng.choice([(120, 85, 55), (160, 120, 80), (90, 90, 95), (60, 60, 65), (180, 175, 165),
                                (40, 45, 60), (140, 30, 30)]), dtype=np.float32)
    noise = cv2.GaussianBlur(np.random.default_rng(rng.randint(0, 2**31)).normal(0, 18, (h, w)).astype(np.float32), (0, 0), 3)
    stripes = 10 * np.sin(np.linspace(0, rng.uniform(10, 60), w))[None, :].astype(np.float32) if rng.random() < 0.5 else 0
    out = base[None, None, :] + (noise + stripes)[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def phone_photo(img: Image.Image, rng: random.Random) -> bytes:
    """A tilted phone photo of a printed certificate with uneven light, blur and noise."""
    nrng = np.random.default_rng(rng.randint(0, 2**31))
    paper = np.array(_resize_long(img, 1700))
    ph, pw = paper.shape[:2]
    # The frame: a 3:4 photo, portrait or landscape as the paper.
    fw, fh = (1500, 2000) if ph >= pw else (2000, 1500)
    fill = rng.uniform(0.65, 0.88)
    s = min(fw * fill / pw, fh * fill / ph)
    w2, h2 = pw * s, ph * s
    cx, cy = fw / 2 + rng.uniform(-0.05, 0.05) * fw, fh / 2 + rng.uniform(-0.05, 0.05) * fh
    angle = math.radians(rng.uniform(-8, 8))
    corners = []
    for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x, y = dx * w2 / 2, dy * h2 / 2
        x, y = x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle)
        jitter = 0.04 * min(w2, h2)
        corners.append((cx + x + rng.uniform(-jitter, jitter), cy + y + rng.uniform(-jitter, jitter)))
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    M = cv2.getPerspectiveTransform(src, np.float32(corners))
    bgimg = _background(fw, fh, rng)
    warped = cv2.warpPerspective(paper, M, (fw, fh), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), M, (fw, fh))
    out = np.where(mask[..., None] > 127, warped, bgimg).astype(np.float32)
    # Uneven light: a linear gradient and a soft shadow blob.
    yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    grad = (xx * math.cos(a) + yy * math.sin(a))
    grad = (grad - grad.min()) / (grad.max() - grad.min() + 1e-6)
    light = rng.uniform(0.55, 0.8) + (1.05 - rng.uniform(0.55, 0.8)) * grad
    if rng.random() < 0.5:
        sx, sy, sr = rng.uniform(0, fw), rng.uniform(0, fh), rng.uniform(0.2, 0.5) * fw
        light *= 1 - 0.3 * np.exp(-((xx - sx) ** 2 + (yy - sy) ** 2) / (2 * sr**2))
    tint = np.array([rng.uniform(0.95, 1.05), 1.0, rng.uniform(0.88, 1.0)], np.float32)  # warm indoor light
    out = out * light[..., None] * tint
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.3))
    out += nrng.normal(0, rng.uniform(2, 6), out.shape)
    photo = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    # Sent through a chat app or as a file: 1280–2000 px.
    return _jpeg(_resize_long(photo, rng.randint(1280, 2000)), rng.randint(70, 90))


_EXIF_FOR_ROTATION = {90: 6, 180: 3, 270: 8}  # EXIF orientation that undoes a CCW rotation


def rotated(img: Image.Image, rng: random.Random) -> tuple[bytes, int]:
    """A certificate turned 90/180/270 degrees; a quarter say so in EXIF instead."""
    deg = rng.choice([90, 180, 270])
    turned = _resize_long(img, rng.randint(1280, 1700)).rotate(deg, expand=True)
    if rng.random() < 0.25:
        exif = Image.Exif()
        exif[0x0112] = _EXIF_FOR_ROTATION[deg]
        return _jpeg(turned, 85, exif=exif), deg
    return _jpeg(turned, rng.randint(70, 90)), deg


def screenshot(img: Image.Image, rng: random.Random) -> bytes:
    """A phone screenshot of the certificate in a gallery/chat app, with system bars."""
    sw, sh = rng.choice([(1080, 2340), (1170, 2532), (1080, 1920), (1242, 2688)])
    bgc = rng.choice([(0, 0, 0), (0, 0, 0), (255, 255, 255), (33, 33, 33), (240, 240, 245)])
    fg = (255, 255, 255) if sum(bgc) < 300 else (0, 0, 0)
    canvas = Image.new("RGB", (sw, sh), bgc)
    d = ImageDraw.Draw(canvas)
    status_h = int(sh * rng.uniform(0.03, 0.045))
    bar_colour = rng.choice([bgc, (18, 140, 80), (40, 120, 200), (250, 250, 250)])
    d.rectangle([0, 0, sw, status_h], fill=bar_colour)
    sfont = font(LATIN_FONT, int(status_h * 0.45))
    bar_fg = (255, 255, 255) if sum(bar_colour) < 300 else (0, 0, 0)
    d.text((int(sw * 0.05), int(status_h * 0.25)), f"{rng.randint(6, 23)}:{rng.randint(0, 59):02d}", font=sfont, fill=bar_fg)
    bx = sw - int(sw * 0.12)
    d.rectangle([bx, int(status_h * 0.3), bx + int(status_h * 0.9), int(status_h * 0.7)], outline=bar_fg, width=3)
    d.text((bx - int(status_h * 2.2), int(status_h * 0.25)), f"{rng.randint(10, 99)}%", font=sfont, fill=bar_fg)
    for k in range(4):
        h = int(status_h * (0.2 + 0.12 * k))
        x = bx - int(status_h * 3.2) + k * 12
        d.rectangle([x, int(status_h * 0.75) - h, x + 7, int(status_h * 0.75)], fill=bar_fg)
    top = status_h
    if rng.random() < 0.6:
        app_h = int(sh * 0.055)
        d.rectangle([0, top, sw, top + app_h], fill=bar_colour)
        d.text((int(sw * 0.04), top + int(app_h * 0.2)), "<", font=font(LATIN_FONT, int(app_h * 0.5)), fill=bar_fg)
        d.text((int(sw * 0.14), top + int(app_h * 0.25)), rng.choice(["รูปภาพ", "certificate.png", "LINE", "แชท"]),
               font=family_font("Garuda", int(app_h * 0.4)), fill=bar_fg)
        top += app_h
    nav_h = int(sh * rng.uniform(0.035, 0.06))
    d.rectangle([0, sh - nav_h, sw, sh], fill=bar_colour if rng.random() < 0.5 else bgc)
    if rng.random() < 0.5:
        d.rounded_rectangle([sw * 0.38, sh - nav_h * 0.45, sw * 0.62, sh - nav_h * 0.35], radius=4, fill=fg)
    else:
        for k, x in enumerate((0.25, 0.5, 0.75)):
            r = nav_h * 0.18
            d.ellipse([sw * x - r, sh - nav_h / 2 - r, sw * x + r, sh - nav_h / 2 + r], outline=fg, width=3)
    avail_h = sh - top - nav_h
    margin = rng.choice([0, 0, 16, 32])
    cert = img.copy()
    s = min((sw - 2 * margin) / cert.width, avail_h / cert.height)
    cert = cert.resize((int(cert.width * s), int(cert.height * s)), Image.Resampling.LANCZOS)
    canvas.paste(cert, ((sw - cert.width) // 2, top + (avail_h - cert.height) // 2))
    return _png(canvas) if rng.random() < 0.6 else _jpeg(canvas, rng.randint(75, 92))


def image_pdf(img: Image.Image, rng: random.Random) -> bytes:
    """An image-only PDF as scanners and 'print to PDF' of a picture produce."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "PDF", resolution=float(rng.choice([150, 200, 300])))
    return buf.getvalue()


def text_pdf(img: Image.Image, spec: Spec, rng: random.Random) -> bytes:
    """A searchable PDF: the page image with the printed lines as an invisible text layer."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    W, H = (842.0, 595.0) if spec.landscape else (595.0, 842.0)
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(W, H)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=85)
    buf.seek(0)
    pimg = pdfium.PdfImage.new(pdf)
    pimg.load_jpeg(buf, inline=True)
    pimg.set_matrix(pdfium.PdfMatrix().scale(W, H))
    page.insert_obj(pimg)
    regular, _ = FONT_FAMILIES[spec.body_font]
    data = regular.read_bytes()
    cbuf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    pdf_font = raw.FPDFText_LoadFont(pdf, cbuf, len(data), raw.FPDF_FONT_TRUETYPE, 1)
    keyword = "วิชา" if spec.kind == "course" else "หลักสูตร"
    lines = [spec.issuer_line] + (["ร่วมกับ", spec.partner] if spec.partner else []) + [
        spec.intro, spec.name, spec.completion, f"{keyword} {spec.course}", spec.hours_line, spec.date_line,
        SIGNER_POSITIONS[0],
    ]
    y = H * 0.75
    keep = []
    for line in lines:
        obj = raw.FPDFPageObj_CreateTextObj(pdf, pdf_font, 14.0)
        ws = (line + "\x00").encode("utf-16-le")
        sbuf = ctypes.create_string_buffer(ws, len(ws))
        keep.append(sbuf)
        raw.FPDFText_SetText(obj, ctypes.cast(sbuf, raw.FPDF_WIDESTRING))
        raw.FPDFTextObj_SetTextRenderMode(obj, raw.FPDF_TEXTRENDERMODE_INVISIBLE)
        raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, W * 0.15, y)
        raw.FPDFPage_InsertObject(page, obj)
        y -= 24
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


# --- driver --------------------------------------------------------------------------------


def face_set(name: str) -> list[str]:
    """The families of one face set (see FACE_SETS), registered in FONT_FAMILIES."""
    if name == "tlwg":
        return list(TLWG_FAMILIES)
    if name == "web":
        from webfonts import web_font_families

        web = web_font_families()
        FONT_FAMILIES.update(web)
        return list(web)
    raise ValueError(name)


def generate(
    out_dir: Path, per_variant: int, seed: int = 2566, variants: tuple[str, ...] = VARIANTS, faces: str = "tlwg"
) -> list[dict]:
    """Write per_variant certificates of each variant into out_dir; return the truth records."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fonts = face_set(faces)
    if not fonts:
        raise RuntimeError(f"no fonts of the {faces!r} face set could be had")
    rng = random.Random(seed)
    long_rng = random.Random(f"{seed}:long-names")
    catalog = load_catalog()
    names = _name_lists()
    records = []
    for variant in variants:
        for i in range(per_variant):
            spec = make_spec(rng, catalog, names, fonts, long_rng)
            img = render(spec, rng)
            extra: dict = {}
            if variant == "clean":
                data, ext = _png(img), "png"
            elif variant == "chat_jpeg":
                data, ext = chat_jpeg(img, rng), "jpg"
            elif variant == "photo":
                data, ext = phone_photo(img, rng), "jpg"
            elif variant == "rotated":
                data, deg = rotated(img, rng)
                ext, extra = "jpg", {"rotation": deg}
            elif variant == "screenshot":
                data = screenshot(img, rng)
                ext = "png" if data[:4] == b"\x89PNG" else "jpg"
            elif variant == "pdf":
                data, ext = image_pdf(img, rng), "pdf"
            elif variant == "pdf_text":
                data, ext = text_pdf(img, spec, rng), "pdf"
            else:
                raise ValueError(variant)
            fname = f"{variant}_{i:03d}.{ext}"
            (out_dir / fname).write_bytes(data)
            rec = {"file": fname, "variant": variant, "faces": faces, **asdict(spec), **extra}
            records.append(rec)
    with (out_dir / "truth.jsonl").open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return records


def main(argv: list[str] | None = None) -> int:
    """Command line: generate certificates into a folder."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-variant", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2566)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("out"))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--faces", choices=FACE_SETS, default="tlwg")
    args = ap.parse_args(argv)
    if not features.check("raqm"):
        print("warning: Pillow has no raqm; Thai marks will be misplaced (apt-get install libraqm0)", file=sys.stderr)
    recs = generate(args.out, args.per_variant, args.seed, tuple(args.variants.split(",")), args.faces)
    print(f"wrote {len(recs)} files to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
