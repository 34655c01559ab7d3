"""A decimal point OCR lost from the hours, found in the line's ink."""

from __future__ import annotations

from pathlib import Path

import pytest

from certificates.decimal_points import with_point_seen
from tests.printed_lines import printed_line

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
