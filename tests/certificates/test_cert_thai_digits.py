"""Thai-digit glyph reading on crops shaped like the reader's (no Tesseract needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from certificates.thai_digits import number_glyphs, read_thai_number, segment_glyphs, split_widest

if TYPE_CHECKING:
    from certificates.ocr import TsvLine

# A face of the certificate generator: the classifier never trained on it.
FONT = Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf")


def _line(text: str, size: int = 40, height: int = 3) -> np.ndarray:
    """Grey crop of ``text`` with room above and below, ``height`` times the font size tall."""
    fnt = ImageFont.truetype(str(FONT), size)
    img = Image.new("L", (size * (len(text) + 2), size * height), 255)
    ImageDraw.Draw(img).text((size // 2, size * (height - 1) // 2), text, font=fnt, fill=20)
    return np.array(img)


def test_small_digits_in_a_tall_crop_are_segmented() -> None:
    # A line crop can be three times a digit's height; ๓ is shorter than ๒'s tail.
    crop = np.full((70, 120), 255, np.uint8)
    for k, h in enumerate((20, 17, 19, 16)):
        crop[40 - h : 40, 8 + 26 * k : 26 + 26 * k] = 0
    crop[12:16, 10:14] = 0  # a tone mark from the line above
    assert len(segment_glyphs(crop)) == 4


def test_one_digit_wide_glyph_is_not_cut_to_match_a_count() -> None:
    # Tesseract often counts five digits in a four-digit year; a glyph no wider
    # than one digit must not be cut in two to match.
    glyph = np.zeros((30, 20), np.uint8)
    glyph[5:25, 2:18] = 255
    assert split_widest([glyph, glyph.copy()]) is None


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
def test_reads_a_year_on_an_unseen_face() -> None:
    got = read_thai_number(_line("๒๕๖๓"), expected=4)
    assert got is not None and got[0] == "2563"


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
def test_letter_caught_after_the_number_is_dropped() -> None:
    # A loose box around the day catches the month's first letter: "๒๗ พ".
    got = read_thai_number(_line("๒๗ พ"), expected=2)
    assert got is not None and got[0] == "27"


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
@pytest.mark.parametrize(("printed", "thai"), [("(รวมระยะเวลาทั้งสิ้น ๑๐ ชั่วโมง)", True), ("(รวมระยะเวลาทั้งสิ้น 10 ชั่วโมง)", False)])
def test_a_line_read_in_thai_digits_says_so(printed: str, thai: bool) -> None:
    # The text holds Latin digits either way; the reader must know which were printed
    # (its Latin 0/9 check would "mend" ๑๐ to 19).
    from certificates.ocr import ocr_single_line

    line = ocr_single_line(_line(printed), 40)
    assert line is not None and "10" in line.text
    assert line.thai_digits is thai


def _blocks(n: int) -> np.ndarray:
    crop = np.full((40, 30 * n + 10), 255, np.uint8)
    for k in range(n):
        crop[10:30, 8 + 30 * k : 24 + 30 * k] = 0
    return crop


@pytest.mark.parametrize(
    ("junk", "expected", "kept"),
    [
        ([0.84, 0.0], 2, 2),  # a blurred ๑ the classifier half takes for a letter: Tesseract counted it
        ([0.84, 0.0], None, 1),  # no count to go by: a likely letter at the end is dropped
        ([0.0, 0.0, 1.0], 3, 2),  # a sure letter goes even against the count ("๓๖ ช" read as ๓๖๐)
        ([0.0, 0.0, 0.7], 2, 2),  # beyond the count a likely letter goes
    ],
)
def test_letters_at_the_ends_are_dropped_down_to_tesseracts_count(
    junk: list[float], expected: int | None, kept: int
) -> None:
    glyphs = number_glyphs(_blocks(len(junk)), None, expected, junk_of=lambda glyphs: np.array(junk[: len(glyphs)]))
    assert len(glyphs) == kept


def _tsv_line(words: list[str], read: list[str], size: int = 40) -> tuple[TsvLine, np.ndarray]:
    """A rendered line of ``words`` and the TSV line Tesseract would give for it, reading ``read``."""
    from certificates.ocr import TsvLine

    fnt = ImageFont.truetype(str(FONT), size)
    img = Image.new("L", (size * 20, size * 3), 255)
    draw, x, boxes = ImageDraw.Draw(img), size // 2, []
    for word in words:
        draw.text((x, size), word, font=fnt, fill=20)
        left, top, right, bottom = draw.textbbox((x, size), word, font=fnt)
        boxes.append((left, top, right - left, bottom - top))
        x = right + size // 2
    return TsvLine(read, [90.0] * len(read), [size] * len(read), (0, 0, x, 3 * size), boxes), np.array(img)


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
def test_a_day_half_misread_as_a_letter_keeps_both_digits() -> None:
    # Tesseract read the day ๑๗ as "๑ข": one digit and a letter, but two glyphs to find and classify.
    from certificates.ocr import fix_thai_digits

    read = ["ให้ไว้", "ณ", "วันที่", "๑ข", "เมษายน"]
    line, gray = _tsv_line(["ให้ไว้", "ณ", "วันที่", "๑๗", "เมษายน"], read)
    # And its box, as often, clipped the first digit off.
    left, top, width, height = line.word_boxes[3]
    line.word_boxes[3] = (left + width // 2, top, width - width // 2, height)
    assert fix_thai_digits(" ".join(read), line, gray).split()[3] == "17"


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
def test_hours_with_a_decimal_point_keep_it() -> None:
    # The classifier reads the digits of "๑๐.๕" and not its point: it goes back where Tesseract saw it.
    from certificates.ocr import fix_thai_digits

    read = ["รวมระยะเวลา", "๒๐.๕", "ชั่วโมง"]
    line, gray = _tsv_line(["รวมระยะเวลา", "๑๐.๕", "ชั่วโมง"], read)
    assert fix_thai_digits(" ".join(read), line, gray).split() == ["รวมระยะเวลา", "10.5", "ชั่วโมง"]
    # Latin digits Tesseract read are its to keep, decimal or not.
    latin = ["รวมระยะเวลา", "10.5", "ชั่วโมง"]
    line, gray = _tsv_line(latin, latin)
    assert fix_thai_digits(" ".join(latin), line, gray) == " ".join(latin)


def test_a_digit_clipped_off_the_box_is_found_beside_it() -> None:
    # Tesseract's box missed the first of two digits; widening both ways would
    # also catch the next word's first letter, so one side is tried alone.
    crop = np.full((40, 100), 255, np.uint8)
    for left, right in ((4, 16), (26, 40), (56, 66)):
        crop[10:30, left:right] = 0
    assert len(number_glyphs(crop, (24.0, 46.0), 2, junk_of=lambda glyphs: np.zeros(len(glyphs)))) == 2


def test_a_clipped_digit_is_looked_for_once_a_stroke_of_the_next_word_is_dropped() -> None:
    # The box holds the second digit and the left stroke of the next word ("๑๖ เม"):
    # two glyphs, as many as Tesseract counted, but one is a letter.
    crop = np.full((40, 100), 255, np.uint8)
    for left, right in ((4, 16), (26, 40), (46, 50)):
        crop[10:30, left:right] = 0
    narrow_is_letter = lambda glyphs: np.array([1.0 if g.shape[1] < 8 else 0.0 for g in glyphs])  # noqa: E731
    glyphs = number_glyphs(crop, (24.0, 52.0), 2, junk_of=narrow_is_letter)
    assert [g.shape[1] for g in glyphs] == [12, 14]


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
def test_a_day_whose_box_holds_only_the_edge_of_its_first_digit_keeps_both() -> None:
    # Tesseract's box for the first digit can be a sliver at its right edge: the crop must reach the whole digit.
    from certificates.ocr import fix_thai_digits

    read = ["ให้ไว้", "ณ", "วันที่", "๓๓", "มกราคม"]
    line, gray = _tsv_line(["ให้ไว้", "ณ", "วันที่", "๑๙", "มกราคม"], read)
    left, top, width, height = line.word_boxes[3]
    line.word_boxes[3] = (left + int(0.65 * width), top, width - int(0.65 * width), height)
    assert fix_thai_digits(" ".join(read), line, gray).split()[3] == "19"


@pytest.mark.parametrize(
    ("line", "year"),
    [
        ("ให้ไว้ ณ วันที่ ๕ กันยายน พ.ศ. ๒๕ ๖๘", "๒๕๖๘"),  # Tesseract spaced the year in two
        ("ให้ไว้ ณ วันที่ ๕ กันยายน พ.ศ. ๒๕๖๘", "๒๕๖๘"),
        ("ให้ไว้ ณ วันที่ ๕ ก.ย. ๖๘", "๖๘"),
    ],
)
def test_the_year_slot_of_a_date_line_holds_all_its_digits(line: str, year: str) -> None:
    from certificates.ocr import date_slots, plausible_year

    squashed = line.replace(" ", "")
    slots = [squashed[a:b] for a, b, check in date_slots(line) if check is plausible_year]
    assert slots == [year]


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
def test_latin_stroke_beside_thai_digits_is_no_digit_of_them() -> None:
    # A bracket or a stroke of the letter before, caught with the number, reads
    # as a Latin "1"; a Thai number holds none ("136" for ๓๖).
    got = read_thai_number(_line("l๓๖"), expected=3)
    assert got is not None and got[0] == "36"


def test_glyph_network_ships_and_keeps_a_glyphs_shape() -> None:
    from certificates.thai_digits import GLYPH_SIDE, digit_cnn, glyph_image

    assert digit_cnn() is not None
    bar = np.zeros((40, 60), np.uint8)
    bar[5:35, 20:28] = 255  # a tall narrow stroke stays tall and narrow on the square canvas
    img = glyph_image(bar)
    assert img.shape == (GLYPH_SIDE, GLYPH_SIDE)
    cols = np.flatnonzero(img.max(axis=0) > 0.5)
    assert len(cols) < GLYPH_SIDE // 3


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
@pytest.mark.parametrize(("printed", "read"), [("24", "26"), ("13", "15"), ("3", "5")])
def test_a_latin_day_misread_as_another_day_is_read_from_its_glyphs(printed: str, read: str) -> None:
    # Small or blurred, a face's 4 reads as 6 and its 3 as 5: a day as likely as the printed one.
    from certificates.ocr import fix_thai_digits

    words = ["ให้ไว้", "ณ", "วันที่", "{}", "มีนาคม", "พ.ศ.", "2565"]
    line, gray = _tsv_line([w.format(printed) for w in words], [w.format(read) for w in words], size=24)
    assert fix_thai_digits(" ".join(w.format(read) for w in words), line, gray).split()[3] == printed


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
@pytest.mark.parametrize(("printed", "read"), [("45", "25"), ("6.5", "8.5"), ("36", "56")])
def test_latin_hours_misread_are_read_from_their_glyphs_keeping_the_point(printed: str, read: str) -> None:
    from certificates.ocr import fix_thai_digits

    line, gray = _tsv_line(["รวมระยะเวลา", printed, "ชั่วโมง"], ["รวมระยะเวลา", read, "ชั่วโมง"], size=24)
    assert fix_thai_digits(f"รวมระยะเวลา {read} ชั่วโมง", line, gray) == f"รวมระยะเวลา {printed} ชั่วโมง"


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
def test_latin_numbers_read_right_are_kept_and_others_are_left_to_tesseract() -> None:
    from certificates.ocr import fix_thai_digits

    for day in ("24", "3", "31"):
        words = ["ให้ไว้", "ณ", "วันที่", day, "มีนาคม", "พ.ศ.", "2565"]
        line, gray = _tsv_line(words, words, size=24)
        assert fix_thai_digits(" ".join(words), line, gray) == " ".join(words)
    words = ["รวมระยะเวลา", "4.5", "ชั่วโมง"]
    line, gray = _tsv_line(words, words, size=24)
    assert fix_thai_digits(" ".join(words), line, gray) == " ".join(words)
    # A year is neither a day nor hours: the glyphs do not overrule Tesseract there.
    printed = ["ให้ไว้", "ณ", "วันที่", "24", "มีนาคม", "พ.ศ.", "2565"]
    read = printed[:-1] + ["2566"]
    line, gray = _tsv_line(printed, read, size=24)
    assert fix_thai_digits(" ".join(read), line, gray) == " ".join(read)


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
def test_a_one_the_glyphs_see_does_not_overrule_another_digit() -> None:
    # A stroke, a bracket or a digit cut in pieces looks like a 1 to the classifier: Tesseract keeps its digit.
    from certificates.ocr import fix_thai_digits

    printed = ["ให้ไว้", "ณ", "วันที่", "11", "มีนาคม", "พ.ศ.", "2565"]
    read = printed[:3] + ["17"] + printed[4:]
    line, gray = _tsv_line(printed, read, size=24)
    assert fix_thai_digits(" ".join(read), line, gray) == " ".join(read)


@pytest.mark.skipif(not FONT.exists(), reason="fonts-thai-tlwg not installed")
def test_a_latin_day_that_lost_a_one_its_box_clipped_gets_it_back() -> None:
    # "11" set against the month, read "1", its box holding only the second 1.
    from certificates.ocr import fix_thai_digits

    printed = ["ให้ไว้", "ณ", "วันที่", "11", "ธันวาคม", "พ.ศ.", "2565"]
    read = printed[:3] + ["1"] + printed[4:]
    line, gray = _tsv_line(printed, read, size=24)
    left, top, width, height = line.word_boxes[3]
    line.word_boxes[3] = (left + width // 2, top, width - width // 2, height)
    assert fix_thai_digits(" ".join(read), line, gray).split()[3] == "11"
