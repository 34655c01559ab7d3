"""A tone mark over sara am ("ก่ำ"), which Tesseract drops, is restored from the picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from certificates.ocr import tesseract_available
from certificates.stacked_marks import restore_tone_over_sara_am

FONT = Path("/usr/share/fonts/truetype/tlwg/Loma-Bold.ttf")
pytestmark = pytest.mark.skipif(not (tesseract_available() and FONT.exists()), reason="tesseract or Thai fonts missing")


def _line(text: str) -> np.ndarray:
    fnt = ImageFont.truetype(str(FONT), 56)
    img = Image.new("L", (60 + int(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(text, font=fnt)), 150), 255)
    ImageDraw.Draw(img).text((30, 30), text, font=fnt, fill=0)
    return np.array(img)


@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("นายภูคม เพชรรักก่ำ", "นายภูคม เพชรรักกำ"),  # the tone was lost
        ("นายวิมล ปานกล่ำ", "นายวิมล ปานกล่า"),  # the ring was lost
    ],
)
def test_tone_over_sara_am_is_restored(printed: str, read: str) -> None:
    assert restore_tone_over_sara_am(read, _line(printed)) == printed


@pytest.mark.parametrize("printed", ["นายสมชาย คำดี", "ว่าที่ร้อยตรีสมศักดิ์ ป่าไม้", "นางสาวน้ำฝน ใจดี"])
def test_single_marks_are_left_alone(printed: str) -> None:
    assert restore_tone_over_sara_am(printed, _line(printed)) == printed


def test_pictures_without_text_change_nothing() -> None:
    # Tesseract returns empty symbols for noise; the name must come back as read.
    noise = np.random.default_rng(1).integers(0, 255, (60, 300)).astype(np.uint8)
    for picture in (np.full((60, 300), 255, np.uint8), noise):
        assert restore_tone_over_sara_am("นายภูคม เพชรรักกำ", picture) == "นายภูคม เพชรรักกำ"
