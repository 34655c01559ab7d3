"""A decimal point OCR lost from the hours, found in the line's ink."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from certificates.decimal_points import with_point_seen
from tests.builders.printed_lines import printed_line

FONT = Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="Thai fonts missing")


@pytest.mark.parametrize("hours", ["3.5", "1.5", "12.5"])
def test_a_point_the_print_shows_is_put_back(hours: str) -> None:
    crop = printed_line(f"(รวมระยะเวลาทั้งสิ้น {hours} ชั่วโมง)", FONT, 40)
    read = f"(รวมระยะเวลาทั้งสิ้น {hours.replace('.', '')} ชั่วโมง)"
    assert with_point_seen(crop, read, read) == f"(รวมระยะเวลาทั้งสิ้น {hours} ชั่วโมง)"


@pytest.mark.parametrize("hours", ["35", "15", "120", "4"])
def test_whole_hours_stay_whole(hours: str) -> None:
    read = f"(รวมระยะเวลาทั้งสิ้น {hours} ชั่วโมง)"
    assert with_point_seen(printed_line(read, FONT, 40), read, read) == read


def test_a_line_read_with_brackets_is_placed_by_its_scorable_twin() -> None:
    crop = printed_line("(รวมระยะเวลาทั้งสิ้น 3.5 ชั่วโมง)", FONT, 40)
    read = "[รวมระยะเวลาทั้งสิ้น 35 ชั่วโมง]"
    assert with_point_seen(crop, read, "(รวมระยะเวลาทั้งสิ้น 35 ชั่วโมง)") == "[รวมระยะเวลาทั้งสิ้น 3.5 ชั่วโมง]"


@pytest.mark.parametrize("left", [4, 16, 44])
def test_marks_of_the_next_line_clipped_into_the_crop_are_no_point(left: int) -> None:
    # A line's crop holds the tops of the line below: blobs on no digit's baseline.
    from PIL import Image, ImageDraw, ImageFont

    fnt = ImageFont.truetype(str(FONT), 40, layout_engine=ImageFont.Layout.RAQM)
    img = Image.new("L", (700, 124), 255)
    draw = ImageDraw.Draw(img)
    read = "(รวมระยะเวลาทั้งสิ้น 12 ชั่วโมง)"
    draw.text((40, 30), read, font=fnt, fill=0)
    draw.text((left, 88), "ให้ไว้ ณ วันที่ 26 กันยายน พ.ศ. 2564", font=fnt, fill=0)
    assert with_point_seen(np.array(img), read, read) == read
