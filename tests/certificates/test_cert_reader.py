"""Reader tests on real bytes: the shared real sample, error types, PDF and the worker pool."""

from __future__ import annotations

import datetime as dt
import io
import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from certificates import (
    CorruptFile,
    NotACertificate,
    ReaderLimits,
    ReaderPool,
    TooLarge,
    UnsupportedFile,
    read_certificate,
)
from certificates.cli import extract_main
from certificates.extraction import JSON_KEYS, Extraction
from certificates.loading import iter_pages, load_image, sniff_format
from certificates.ocr import tesseract_available
from certificates.preprocessing import find_page_quad
from certificates.stages import lacks_family_name, orient, prepare
from tests.builders.bench_certificates import certificate_photo, certificate_png
from tests.builders.paths import SAMPLE_CERTIFICATE as SAMPLE


needs_tesseract = pytest.mark.skipif(not tesseract_available(), reason="tesseract with tha+eng not installed")
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason=f"shared sample not found at {SAMPLE}")


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _jpeg(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **kw)
    return buf.getvalue()


def _assert_sample_read(got: Extraction) -> None:
    """The shared sample's four core fields, as a user would see them on the card."""
    assert got.name == "นายสมชาย รักเรียน"
    assert got.course == "ผู้นำทีมที่มีประสิทธิภาพ"
    assert got.hours == 45
    assert got.completed_on == dt.date(2023, 12, 13)


# --- the real sample ----------------------------------------------------------------------


@needs_tesseract
@needs_sample
def test_real_sample_all_fields() -> None:
    expected = json.loads(SAMPLE.with_suffix(".json").read_text(encoding="utf-8"))
    got = read_certificate(SAMPLE.read_bytes(), SAMPLE.name)
    assert got.name == expected["name"]
    assert got.course == expected["course"]
    assert got.kind == expected["kind"]
    assert got.code == expected["code"]
    assert got.hours == expected["hours"]
    assert got.completed_on == dt.date.fromisoformat(expected["completed_on"])
    assert got.issuers == expected["issuers"]
    assert "course_not_in_catalog" in got.warnings
    assert got.confidence > 0.8


@needs_tesseract
@needs_sample
def test_real_sample_json_shape() -> None:
    got = read_certificate(SAMPLE.read_bytes(), SAMPLE.name).to_json_dict("sample.png")
    assert tuple(got) == JSON_KEYS
    assert got["file"] == "sample.png"
    assert got["hours"] == 45 and isinstance(got["hours"], int)
    assert got["completed_on"] == "2023-12-13"


@needs_tesseract
@needs_sample
def test_real_sample_turned_upside_down_and_sent_as_jpeg() -> None:
    img = Image.open(SAMPLE).convert("RGB").rotate(180)
    img = img.resize((img.width * 1280 // img.height, 1280))  # what a chat app delivers
    got = read_certificate(_jpeg(img), "photo.jpg")
    assert got.name == "นายสมชาย รักเรียน"
    assert got.hours == 45
    assert got.completed_on == dt.date(2023, 12, 13)


@needs_tesseract
@needs_sample
def test_real_sample_in_a_letterboxed_screenshot_is_read_despite_a_wrong_sheet_outline() -> None:
    # A phone screenshot: green status bar, the sheet across the full width
    # on black.  The sheet-outline search takes a trapezoid here (the left
    # side runs on into the black), so the flattened page reads badly; the
    # picture read as it is must win.
    src = Image.open(SAMPLE).convert("RGB")
    canvas = Image.new("RGB", (1080, 2340), (0, 0, 0))
    canvas.paste((18, 140, 80), (0, 0, 1080, 80))
    sheet = src.resize((1080, round(src.height * 1080 / src.width)))
    canvas.paste(sheet, (0, (canvas.height - sheet.height) // 2))
    _assert_sample_read(read_certificate(_png(canvas), "screenshot.png"))


@needs_tesseract
@needs_sample
def test_real_sample_scanned_in_greyscale_keeps_its_pale_name() -> None:
    # The gold name turns light grey: layout analysis drops its row, and
    # only the faint-ink search for missed rows finds it.
    img = Image.open(SAMPLE).convert("L").convert("RGB")
    _assert_sample_read(read_certificate(_jpeg(img), "scan.jpg"))


@needs_tesseract
@needs_sample
def test_exif_orientation_is_applied() -> None:
    # Pixels stored turned a quarter; the EXIF tag says how to show them upright.
    img = Image.open(SAMPLE).convert("RGB")
    img = img.resize((img.width // 2, img.height // 2)).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    upright = load_image(_jpeg(img, exif=exif.tobytes()))
    assert upright.height > upright.width


@needs_tesseract
@needs_sample
def test_image_pdf_is_rasterised_and_read() -> None:
    buf = io.BytesIO()
    Image.open(SAMPLE).convert("RGB").save(buf, "PDF", resolution=190.0)
    got = read_certificate(buf.getvalue(), "cert.pdf")
    assert got.name == "นายสมชาย รักเรียน"
    assert got.completed_on == dt.date(2023, 12, 13)
    assert got.page == 1


@needs_tesseract
@needs_sample
def test_multipage_pdf_reads_first_certificate_page() -> None:
    blank = Image.new("RGB", (827, 1169), "white")
    cert = Image.open(SAMPLE).convert("RGB")
    buf = io.BytesIO()
    blank.save(buf, "PDF", resolution=100.0, save_all=True, append_images=[cert])
    got = read_certificate(buf.getvalue(), "two-pages.pdf")
    assert got.page == 2
    assert got.hours == 45


@needs_tesseract
@needs_sample
def test_pdf_page_cap() -> None:
    blank = Image.new("RGB", (600, 850), "white")
    cert = Image.open(SAMPLE).convert("RGB")
    buf = io.BytesIO()
    blank.save(buf, "PDF", save_all=True, append_images=[blank, cert])
    with pytest.raises(NotACertificate):
        read_certificate(buf.getvalue(), "three.pdf", limits=ReaderLimits(max_pdf_pages=2))


# --- errors -------------------------------------------------------------------------------


def test_non_image_bytes_unsupported() -> None:
    with pytest.raises(UnsupportedFile):
        read_certificate(b"PK\x03\x04 this is a zip, not a picture" * 10, "report.docx")
    with pytest.raises(UnsupportedFile):
        read_certificate("สวัสดีค่ะ".encode(), None)


def test_truncated_jpeg_corrupt() -> None:
    data = _jpeg(Image.new("RGB", (800, 600), (200, 30, 30)))
    with pytest.raises(CorruptFile):
        read_certificate(data[: len(data) // 2], "cut.jpg")


def test_named_like_image_but_garbage_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        read_certificate(b"\x00\x01\x02garbage" * 50, "photo.jpg")


def test_damaged_pdf_corrupt() -> None:
    with pytest.raises(CorruptFile):
        read_certificate(b"%PDF-1.7\n" + b"\x00" * 500, "cert.pdf")


def _huge_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of huge dimensions that compresses to a few KB."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    raw = zlib.compress(row * height, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_huge_dimension_png_too_large() -> None:
    data = _huge_png(20000, 20000)  # 400 MP in a few hundred KB: a decompression bomb
    assert len(data) < 2_000_000
    with pytest.raises(TooLarge):
        read_certificate(data, "bomb.png")


def test_byte_limit_too_large() -> None:
    data = _png(Image.new("RGB", (300, 300), "white"))
    with pytest.raises(TooLarge):
        read_certificate(data, "a.png", limits=ReaderLimits(max_bytes=100))


def test_blank_white_image_not_a_certificate() -> None:
    with pytest.raises(NotACertificate):
        read_certificate(_png(Image.new("RGB", (1240, 1754), "white")), "blank.png")


@needs_tesseract
def test_text_without_certificate_wording_not_a_certificate() -> None:
    from PIL import ImageDraw, ImageFont

    img = Image.new("RGB", (1200, 500), "white")
    draw = ImageDraw.Draw(img)
    font_path = "/usr/share/fonts/truetype/tlwg/Garuda.ttf"
    fnt = ImageFont.truetype(font_path, 48) if Path(font_path).exists() else ImageFont.load_default()
    draw.text((60, 100), "ใบเสร็จรับเงิน ร้านกาแฟ", font=fnt, fill="black")
    draw.text((60, 250), "กาแฟเย็น 2 แก้ว 120 บาท", font=fnt, fill="black")
    with pytest.raises(NotACertificate):
        read_certificate(_png(img), "receipt.png")


def test_sniff_format() -> None:
    assert sniff_format(_png(Image.new("RGB", (4, 4)))) == "png"
    assert sniff_format(_jpeg(Image.new("RGB", (4, 4)))) == "jpeg"
    assert sniff_format(b"%PDF-1.4 ...") == "pdf"
    webp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(webp, "WEBP")
    assert sniff_format(webp.getvalue()) == "webp"


def test_heic_is_decoded() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    img = Image.new("RGB", (64, 48), (10, 200, 30))
    buf = io.BytesIO()
    try:
        pillow_heif.from_pillow(img).save(buf, format="HEIF")
    except Exception as exc:  # an encoder may be missing from the wheel
        pytest.skip(f"no HEIF encoder: {exc}")
    assert sniff_format(buf.getvalue()) == "heif"
    assert load_image(buf.getvalue()).size == (64, 48)


def test_transparent_png_is_flattened_on_white() -> None:
    img = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert load_image(_png(img)).getpixel((5, 5)) == (255, 255, 255)


def test_pdf_text_layer_is_used() -> None:
    pdf = _text_pdf(
        [
            "สำนักงาน ก.พ.",
            "ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า",
            "นางสาวมณี ใจดี",
            "ได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด",
            "วิชา การคิดเชิงออกแบบ (Design Thinking)",
            "(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)",
            "ให้ไว้ ณ วันที่ 2 มีนาคม พ.ศ. 2567",
        ]
    )
    page = next(iter_pages(pdf, "x.pdf"))
    assert page.text and "มณี" in page.text
    got = read_certificate(pdf, "x.pdf")
    assert got.source == "text_layer"
    assert (got.name, got.course, got.code, got.kind) == ("นางสาวมณี ใจดี", "การคิดเชิงออกแบบ (Design Thinking)", "SL04", "course")
    assert (got.hours, got.completed_on) == (3, dt.date(2024, 3, 2))
    assert got.issuers == ["สำนักงาน ก.พ."]


def test_cli_prints_the_repairs_it_traced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A complete text layer is read without OCR: nothing to repair, and the trace says so.
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(_text_pdf(["ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า", "นางสาวมณี ใจดี", "ได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด",
                               "วิชา การคิดเชิงออกแบบ (Design Thinking)", "(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)",
                               "ให้ไว้ ณ วันที่ 2 มีนาคม พ.ศ. 2567"]))
    assert extract_main([str(pdf)], True, trace=True) == 0
    record = json.loads(capsys.readouterr().out)
    assert tuple(record) == JSON_KEYS + ("trace",) and record["trace"] == []
    assert extract_main([str(pdf)], False, trace=True) == 0
    assert "repair (none changed a line)" in capsys.readouterr().out
    assert extract_main([str(pdf)], True) == 0
    assert "trace" not in json.loads(capsys.readouterr().out)


def _text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds the given lines (visible text, embedded Thai font)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    font_file = Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf")
    if not font_file.exists():
        pytest.skip("Thai font for the test PDF not installed")
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    data = font_file.read_bytes()
    cbuf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    font = raw.FPDFText_LoadFont(pdf, cbuf, len(data), raw.FPDF_FONT_TRUETYPE, 1)
    keep = []
    for i, line in enumerate(lines):
        obj = raw.FPDFPageObj_CreateTextObj(pdf, font, 16.0)
        ws = (line + "\x00").encode("utf-16-le")
        sbuf = ctypes.create_string_buffer(ws, len(ws))
        keep.append(sbuf)
        raw.FPDFText_SetText(obj, ctypes.cast(sbuf, raw.FPDF_WIDESTRING))
        raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 60, 760 - 40 * i)
        raw.FPDFPage_InsertObject(page, obj)
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


# --- result shape, CLI, pool --------------------------------------------------------------


def test_to_json_dict_shape() -> None:
    ex = Extraction(name="นายก ข", course="x", kind="course", hours=3.0, completed_on=dt.date(2024, 1, 2))
    got = ex.to_json_dict("a.png")
    assert tuple(got) == JSON_KEYS
    assert got["hours"] == 3 and isinstance(got["hours"], int)
    assert got["completed_on"] == "2024-01-02"
    assert Extraction(hours=1.5).to_json_dict(None)["hours"] == 1.5


def test_cli_error_lines_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    blank = tmp_path / "blank.png"
    blank.write_bytes(_png(Image.new("RGB", (800, 1100), "white")))
    assert extract_main([str(bad), str(blank)], True) == 1  # every file failed
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["error"] for o in out] == ["unsupported_file", "not_a_certificate"]
    assert all(o["name"] is None and o["course"] is None for o in out)


# Long ranks with long given and family names, as the bench draws them (bench/certificates/long_names.py).
LONG_NAMES = [
    ("ว่าที่ร้อยตรีหญิงวารินทร์ทิพย์ เกียรติกิจวัฒนพาณิชย์", "Umpush"),
    ("ร้อยตำรวจเอกหญิงณัฏฐ์ชนินท์ ทองอนันต์ศิริไพโรจน์", "Laksaman"),
]


@needs_tesseract
@pytest.mark.parametrize(("name", "face"), LONG_NAMES)
def test_a_long_name_printed_over_two_lines_is_read_whole(name: str, face: str) -> None:
    # The template breaks the name at its space: the family name stands alone on the next line.
    got = read_certificate(certificate_png(name, face=face, name_wraps=True), "long-name.png")
    assert got.name == name


@needs_tesseract
def test_a_family_name_line_layout_analysis_missed_is_still_read_with_the_name() -> None:
    name = "ว่าที่ร้อยตรีหญิงรัตติยาภรณ์ ศรีสุขจิรานนท์"
    png = certificate_png(name, face="Garuda", name_wraps=True)
    # Layout analysis finds the given name's line and not the family name's under it.
    page = orient(prepare(np.array(Image.open(io.BytesIO(png)).convert("RGB")), None))
    assert page.reading.fields.name is not None and lacks_family_name(page.reading)
    assert read_certificate(png, "long-name.png").name == name


@needs_tesseract
@pytest.mark.parametrize(("name", "face"), LONG_NAMES)
def test_a_long_name_set_smaller_on_one_line_is_read_whole(name: str, face: str) -> None:
    got = read_certificate(certificate_png(name, face=face), "long-name.png")
    assert got.name == name


@needs_tesseract
def test_a_photo_whose_small_print_layout_analysis_missed_is_read_from_its_rows_of_ink() -> None:
    # A small sheet in a phone photo, in a thin face: flattened, layout analysis finds only the name and
    # the title, too little wording for a certificate, and no other pass finds the date.
    photo = certificate_photo(body_face="Sawasdee", name_face="Loma", seed=3)
    rgb = np.array(Image.open(io.BytesIO(photo)).convert("RGB"))
    page = orient(prepare(rgb, find_page_quad(rgb)))
    assert not page.reading.is_certificate() and page.reading.fields.found() == 2
    got = read_certificate(photo, "photo.jpg")
    assert (got.name, got.course, got.hours, got.completed_on) == (
        "นายมะตอสันต์ จันญาเรือง", "การออกแบบการบริการประชาชนภาครัฐ", 10, dt.date(2025, 7, 23))


def test_cli_reports_start_up_apart_from_each_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert extract_main([str(bad), str(bad)], True) == 1
    captured = capsys.readouterr()
    times = captured.err.splitlines()
    assert times[0].startswith("start-up: ") and times[0].split()[1].replace(".", "").isdigit()
    assert [line.split(": ")[0] for line in times[1:3]] == [str(bad), str(bad)]
    assert times[3].startswith("files: 2, median ")
    # The JSON lines keep the reader's shape: no times in them.
    assert [json.loads(line)["error"] for line in captured.out.splitlines()] == ["unsupported_file"] * 2


@needs_tesseract
@needs_sample
def test_cli_one_good_file_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert extract_main([str(SAMPLE), str(bad)], True) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["name"] == "นายสมชาย รักเรียน" and "error" not in first
    assert second["error"] == "unsupported_file"
    assert extract_main([str(SAMPLE)], False) == 0
    assert "นายสมชาย รักเรียน" in capsys.readouterr().out


@needs_tesseract
@needs_sample
async def test_pool_reads_off_the_event_loop() -> None:
    async with ReaderPool(workers=1) as pool:
        got = await pool.read(SAMPLE.read_bytes(), SAMPLE.name)
        assert got.name == "นายสมชาย รักเรียน"
        with pytest.raises(UnsupportedFile):
            await pool.read(b"not an image at all", "x.bin")


def test_line_crop_blanks_other_lines_but_keeps_high_tone_marks() -> None:
    import numpy as np

    from certificates.ocr import line_crop

    page = np.full((400, 1600), 255, np.uint8)  # a long title: one mark is a tiny share of a row
    page[150:200, 100:1500] = 0  # the line's letters (box height 50)
    page[138:144, 300:304] = 0  # a tone mark over an upper vowel: 6 px high, 4 px wide
    page[100:127, 100:1500] = 0  # the bottom of a line above that OCR missed, inside the crop's padding
    crop = line_crop(page, (100, 150, 1400, 50))
    assert crop is not None
    assert (crop == 0).sum() == 50 * 1400 + 6 * 4  # letters and mark kept, the other line whitened


def test_line_crop_blanks_a_smaller_line_of_text_close_above_a_big_name() -> None:
    import numpy as np

    from certificates.ocr import line_crop

    page = np.full((400, 1600), 255, np.uint8)
    page[150:230, 300:1300] = 0  # the name's letters (box height 80)
    for x in range(400, 1200, 14):  # the intro phrase above, a third as tall: letters side by side
        page[100:125, x : x + 8] = 0
    crop = line_crop(page, (300, 150, 1000, 80))
    assert crop is not None
    assert (crop == 0).sum() == 80 * 1000  # the intro whitened (marks, sparse, are kept: the test above)


def test_a_name_row_cut_in_two_by_layout_analysis_is_read_whole() -> None:
    from certificates.fields import TextLine
    from certificates.missed_lines import row_fragments

    lines = [
        TextLine("ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า", 0.9, 23, (877, 448, 577, 23)),
        TextLine("ว่าที่ร้อ", 0.8, 75, (562, 549, 210, 75)),  # the row's left piece, a little higher
        TextLine("อยตรีหญิงปรียาทร สรรณ์ไตรติใจ", 0.9, 77, (730, 559, 1038, 77)),
        TextLine("ได้ผ่านการอบรม", 0.9, 26, (1043, 678, 245, 26)),
    ]
    assert row_fragments(lines, 2) == [1]
    assert row_fragments(lines, 0) == []  # the line above is another row


def test_a_title_row_cut_in_two_is_joined_across_debris_between_its_pieces() -> None:
    from certificates.fields import TextLine
    from certificates.missed_lines import row_fragments

    lines = [
        TextLine("ได้ผ่านการอบรม", 0.9, 30, (715, 1055, 217, 30)),
        TextLine("วิชา ความรู้เบื้อง", 0.9, 54, (380, 1155, 289, 54)),
        TextLine("=,", 0.3, 7, (684, 1164, 16, 7)),  # a speck read as a line of its own
        TextLine("ulheonudoyaanins4 Suh 2", 0.5, 54, (700, 1155, 571, 54)),
        TextLine("(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)", 0.9, 38, (612, 1273, 428, 38)),
    ]
    assert 3 not in row_fragments(lines, 1)  # by default only the neighbours: the speck, not the piece
    assert row_fragments(lines, 1, among=[1, 3]) == [3]
    assert row_fragments(lines, 1, among=[0, 1, 3, 4]) == [3]


def test_a_title_row_found_twice_is_read_once() -> None:
    from certificates.fields import TextLine
    from certificates.missed_lines import row_duplicates

    # The whole row without its upper marks, and again its right half (bench 2613 tlwg/pdf_014).
    lines = [
        TextLine("หลักสูตร แนวทางการผูนาทมท ะสทธภาพ รนท", 0.9, 72, (355, 1027, 994, 72)),
        TextLine("จ้นำทีมที่มีประสิทธิ 1a", 0.7, 66, (795, 1016, 553, 66)),
        TextLine("(รวมระยะเวลาทังสิน 18.5 ชั่วโมง)", 0.9, 39, (625, 1152, 500, 39)),
    ]
    assert row_duplicates(lines, 0, among=[0, 1]) == [1]
    assert row_duplicates(lines, 1, among=[0, 1]) == []  # the half holds not the whole
    assert row_duplicates(lines, 0, among=[0, 2]) == []  # the next row is no duplicate


def test_a_name_box_missing_the_start_of_its_row_is_widened_over_it() -> None:
    import numpy as np

    from certificates.missed_lines import widened_to_row

    page = np.full((300, 1200), 255, np.uint8)
    page[100:160, 200:330] = 0  # "นางเข", which layout analysis left out
    page[100:160, 370:700] = 0  # the rest of the name: the box it found
    page[100:160, 1000:1100] = 0  # a seal far along the same row
    page[20:60, 100:1100] = 0  # the line above
    x, y, w, h = widened_to_row(page, (370, 100, 330, 60))
    assert abs(x - 200) <= 1 and x + w == 700 and (y, h) == (100, 60)  # not as far as the seal
    assert widened_to_row(page, (200, 100, 500, 60)) == (200, 100, 500, 60)  # whole already
    # Small print in a monospace face: the year stands a word gap wider than the line is tall.
    page = np.full((100, 900), 255, np.uint8)
    page[40:56, 100:400] = 0  # "ให้ไว้ ณ วันที่ 12 พฤษภาคม", the box found
    page[40:56, 422:560] = 0  # "พ.ศ. 2567", left out
    assert widened_to_row(page, (100, 40, 300, 16)) == (100, 40, 300, 16)
    x, y, w, h = widened_to_row(page, (100, 40, 300, 16), reach=2.0)
    assert (x, y, h) == (100, 40, 16) and abs(x + w - 560) <= 1


@needs_tesseract
def test_last_title_line_that_layout_analysis_dropped_is_read_from_the_gap() -> None:
    import numpy as np
    from PIL import ImageDraw, ImageFont

    from certificates.fields import TextLine, parse_fields
    from certificates.missed_lines import missed_title_line

    img = Image.new("L", (1400, 420), 255)
    draw = ImageDraw.Draw(img)
    fnt = ImageFont.truetype("/usr/share/fonts/truetype/tlwg/Garuda.ttf", 40)
    rows = [
        (40, "วิชา การวางแผนภาวะผู้นำเชิงสร้างสรรค์สำหรับผู้บริหาร"),
        (150, "ระดับต้น"),
        (300, "(รวมระยะเวลาทั้งสิ้น 20 ชั่วโมง)"),
    ]
    boxes = []
    for y, text in rows:
        x = (1400 - draw.textlength(text, font=fnt)) // 2
        draw.text((x, y), text, font=fnt, fill=0)
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=fnt)
        boxes.append((int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
    # The page reading found the first and last rows only.
    lines = [TextLine(rows[0][1], 0.9, boxes[0][3], boxes[0]), TextLine(rows[2][1], 0.9, boxes[2][3], boxes[2])]
    fields = parse_fields(lines)
    assert fields.sources["title"] == [0] and fields.sources["hours"] == [1]
    missed = missed_title_line(lines, fields, np.array(img))
    assert missed is not None and missed[0].text == "ระดับต้น" and missed[1] == []
    # Found as a letter of it ("น"): that fragment gives way to the line read.
    x, y, w, h = boxes[1]
    fragment = TextLine("น", 0.9, h, (x + w - h // 2, y, h // 2, h))
    with_fragment = [lines[0], fragment, lines[1]]
    fields = parse_fields(with_fragment)
    assert fields.sources["title"] == [0] and fields.sources["hours"] == [2]
    missed = missed_title_line(with_fragment, fields, np.array(img))
    assert missed is not None and missed[0].text == "ระดับต้น" and missed[1] == [1]
    # Nothing in the gap: nothing is made up.
    fields = parse_fields(lines)
    blank = np.array(img)
    blank[boxes[0][1] + boxes[0][3] + 5 : boxes[2][1] - 5, :] = 255
    assert missed_title_line(lines, fields, blank) is None
    # Nor from the paper's grain (245-255, where Otsu's cut on the gap alone lands inside it).
    grain = blank.copy()
    gap = grain[boxes[0][1] + boxes[0][3] + 5 : boxes[2][1] - 5, :]
    gap[:] = np.random.default_rng(0).integers(245, 256, gap.shape, dtype=np.uint8)
    assert missed_title_line(lines, fields, grain) is None
    # A word off to one side of the gap (a watermark's edge read "เจ") is no end of a centred title.
    aside = Image.fromarray(blank)
    ImageDraw.Draw(aside).text((boxes[0][0] + 10, 150), "ภาครัฐ", font=fnt, fill=0)
    assert missed_title_line(lines, fields, np.array(aside)) is None
    # Letters that make no word (a watermark's edge read as "เงทก") are no end of the title.
    junk = Image.fromarray(blank)
    draw = ImageDraw.Draw(junk)
    draw.text(((1400 - draw.textlength("เงทก", font=fnt)) // 2, 150), "เงทก", font=fnt, fill=0)
    assert missed_title_line(lines, fields, np.array(junk)) is None


def test_thai_only_reread_keeps_the_digits_english_read() -> None:
    from certificates.repairs.digits import keep_digits

    # "วันที่" came back as "Fun" from Thai+English, "2564" as "2566" from Thai alone.
    assert keep_digits("ให้ไว้ ณ วันที่ 25 กรกฎาคม พ.ศ. 2566", "ให้ไว้ ณ Fun 25 กรกฎาคม พ.ศ. 2564") == (
        "ให้ไว้ ณ วันที่ 25 กรกฎาคม พ.ศ. 2564"
    )
    # Numbers that do not line up are left as the Thai model read them.
    assert keep_digits("วันที่ 5 มีนาคม 2566", "Fun 15 มีนาคม 2566") == "วันที่ 5 มีนาคม 2566"


def test_a_symbol_glued_to_a_number_is_tried_as_each_digit() -> None:
    from certificates.repairs.digits import digit_repairs, digit_symbols

    got = digit_symbols("ให้ไว้ ณ วันที่ 3@ มีนาคม พ.ศ. 2566")
    assert len(got) == 10 and "ให้ไว้ ณ วันที่ 30 มีนาคม พ.ศ. 2566" in got
    # A bracket around the hours is print, not a digit; a symbol away from numbers stays.
    assert digit_symbols("(รวมระยะเวลาทั้งสิ้น 6 ชั่วโมง)") == []
    assert digit_symbols("สำนักงาน @ ก.พ. 12") == []
    assert "รวมระยะเวลา 30 ชั่วโมง" in digit_repairs("รวมระยะเวลา 309 ชั่วโมง")


def test_a_lost_decimal_point_is_tried_in_two_and_three_digit_numbers() -> None:
    from certificates.repairs.digits import decimal_points

    assert decimal_points("(รวมระยะเวลาทั้งสิ้น 65 ชั่วโมง)") == ["(รวมระยะเวลาทั้งสิ้น 6.5 ชั่วโมง)"]
    assert decimal_points("รวมระยะเวลา 245 ชั่วโมง") == ["รวมระยะเวลา 24.5 ชั่วโมง"]
    # One digit, a number that has its point, a year: no point to put back in the first two.
    assert decimal_points("รวมระยะเวลา 6 ชั่วโมง") == []
    assert decimal_points("รวมระยะเวลา 24.5 ชั่วโมง") == []


def test_the_page_readings_numbers_are_tried_in_the_re_read_line() -> None:
    from certificates.repairs.digits import with_numbers_of

    assert with_numbers_of("ใหห้ไว้ ณวันที่ 2ณ มกราคม พ.ศ. 2564", "ให้ไว้ ณ Su 27 มกราคม พ.ศ. 2564") == [
        "ใหห้ไว้ ณวันที่ 27ณ มกราคม พ.ศ. 2564"
    ]
    assert with_numbers_of("วันที่ 27 มกราคม 2564", "วันที่ 27 มกราคม 2564") == []
    assert with_numbers_of("วันที่ 27 มกราคม 2564", "มกราคม 2564") == []  # numbers that do not line up


def test_a_name_taken_from_above_the_intro_is_dropped_once_orientation_is_chosen() -> None:
    from certificates.fields import TextLine, parse_fields
    from certificates.passes import PageReading, without_name_above_intro

    def reading(text: str) -> PageReading:
        rows = [TextLine(t, 0.9, 40.0, (100, 60 * k, 800, 40)) for k, t in enumerate(text.splitlines())]
        return PageReading(parse_fields(rows), rows)

    body = "ได้ผ่านการพัฒนาทางไกลด้วยระบบอิเล็กทรอนิกส์\nวิชา การเป็นข้าราชการ\nรวมระยะเวลา 24 ชั่วโมง"
    # The name row unread: the parser falls back on the issuer above the intro.
    unread = reading("สำนักงาน ก.พ.\nประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า\n" + body)
    assert unread.fields.name is not None
    dropped = without_name_above_intro(unread)
    assert dropped.fields.name is None and "name" not in dropped.fields.sources
    assert dropped.fields.title == unread.fields.title and dropped.fields.hours == unread.fields.hours
    # The name where it belongs stays.
    named = reading("สำนักงาน ก.พ.\nประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า\nนายสมชาย รักเรียน\n" + body)
    assert without_name_above_intro(named).fields.name.value == "นายสมชาย รักเรียน"


@needs_tesseract
def test_rows_layout_analysis_missed_are_read_and_fill_missing_fields() -> None:
    import numpy as np
    from PIL import ImageDraw, ImageFont

    from certificates.fields import TextLine, parse_fields
    from certificates.passes import PageReading
    from certificates.stages import Layout, UprightPage, with_missed_rows

    img = Image.new("L", (1400, 520), 255)
    draw = ImageDraw.Draw(img)
    big = ImageFont.truetype("/usr/share/fonts/truetype/tlwg/Garuda.ttf", 56)
    small = ImageFont.truetype("/usr/share/fonts/truetype/tlwg/Garuda.ttf", 26)
    rows = [
        (30, "ขอมอบประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า", small),
        (90, "นายสมชาย รักเรียน", big),
        (200, "วิชา การบริหารงานภาครัฐแนวใหม่", big),
        (330, "(รวมระยะเวลาทั้งสิ้น 36.5 ชั่วโมง)", small),
        (400, "ให้ไว้ ณ วันที่ 13 มีนาคม พ.ศ. 2563", small),
    ]
    lines = []
    for y, text, fnt in rows:
        x = (1400 - draw.textlength(text, font=fnt)) // 2
        draw.text((x, y), text, font=fnt, fill=0)
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=fnt)
        lines.append(TextLine(text, 0.9, y1 - y0, (int(x0), int(y0), int(x1 - x0), int(y1 - y0))))
    # Layout analysis found neither small line at the bottom.
    found = lines[:3]
    reading = PageReading(parse_fields(found), found)
    assert reading.fields.hours is None and reading.fields.completed_on is None
    page = np.array(img)
    again = with_missed_rows(Layout(reading, page, UprightPage(page, 0)))
    assert again.fields.hours is not None and again.fields.hours.value == 36.5
    assert again.fields.completed_on is not None and str(again.fields.completed_on.value) == "2020-03-13"
    assert [line.text for line in again.lines[:3]] == [line.text for line in found]


@needs_tesseract
@pytest.mark.parametrize(
    ("name_size", "second_row"),
    [
        (62, 205),  # a display face: the name's rows stand nearly three body lines tall
        (56, 187),  # the family name's row close under the first: a crop a line height up shows the first's feet
    ],
)
def test_a_long_name_wrapped_over_two_missed_rows_is_read_row_by_row(name_size: int, second_row: int) -> None:
    import numpy as np
    from PIL import ImageDraw, ImageFont

    from certificates.fields import TextLine
    from certificates.missed_lines import missed_rows

    img = Image.new("L", (1400, 700), 255)
    draw = ImageDraw.Draw(img)
    face = "/usr/share/fonts/truetype/tlwg/Garuda.ttf"
    big = ImageFont.truetype(face, name_size, layout_engine=ImageFont.Layout.RAQM)
    small = ImageFont.truetype(face, 26, layout_engine=ImageFont.Layout.RAQM)
    rows = [
        (30, "ขอมอบประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า", small),
        (100, "ว่าที่ร้อยเอกหญิงอัจฉรานันท์", big),
        (second_row, "วิริยะภิญโญชีพ", big),
        (second_row + 140, "วิชา การบริหารงานภาครัฐแนวใหม่", small),
        (second_row + 200, "(รวมระยะเวลาทั้งสิ้น 36.5 ชั่วโมง)", small),
        (second_row + 260, "ให้ไว้ ณ วันที่ 13 มีนาคม พ.ศ. 2563", small),
    ]
    found = []
    for y, text, fnt in rows:
        x = (1400 - draw.textlength(text, font=fnt)) // 2
        draw.text((x, y), text, font=fnt, fill=0)
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=fnt)
        if fnt is small:  # layout analysis found the small print and neither row of the name
            found.append(TextLine(text, 0.9, y1 - y0, (int(x0), int(y0), int(x1 - x0), int(y1 - y0))))
    read = [line.text for line in missed_rows(found, np.array(img))]
    assert len(read) == 2
    assert read[0] == "ว่าที่ร้อยเอกหญิงอัจฉรานันท์" and read[1].endswith("วิริยะภิญโญชีพ")


def _title_line(text: str) -> np.ndarray:
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/tlwg/Garuda.ttf", 40, layout_engine=ImageFont.Layout.RAQM)
    left, top, right, bottom = font.getbbox(text)
    img = Image.new("L", (right - left + 60, bottom - top + 60), 255)
    ImageDraw.Draw(img).text((30 - left, 30 - top), text, font=font, fill=0)
    return np.array(img)


@needs_tesseract
def test_a_latin_word_read_as_thai_junk_in_a_title_is_read_with_the_english_model() -> None:
    from certificates.repairs.titles import latin_words

    crop = _title_line("วิชา หลักการการจัดการความรู้ (Advanced)")
    assert latin_words(crop, "วิชา หลักการการจัดการความรู้ (4ลก00@)") == "วิชา หลักการการจัดการความรู้ (Advanced)"
    # Thai print is left alone, and so is a title with no garbled word.
    assert latin_words(crop, "วิชา หลักการการจัดการความรู้") == "วิชา หลักการการจัดการความรู้"
    thai = _title_line("วิชา การจัดการความรู้ รุ่นที่ 2")
    assert latin_words(thai, "วิชา การจัดการความรู้ รุ่นที่ 2") == "วิชา การจัดการความรู้ รุ่นที่ 2"
    # A whole Latin title read as digits and Thai letters.
    assert latin_words(_title_line("วิชา Blockchain"), "วิชา 810020ทลไท") == "วิชา Blockchain"
    # Thai words glued on where the space after the Latin word was lost are kept.
    mindset = _title_line("วิชา การสร้าง Growth Mindset เพื่อผลสำเร็จของชีวิตและงาน")
    assert (latin_words(mindset, "วิชา การสร้าง Growth ไทสร505(เพื่อผลสำเร็จของชีวิตและงาน")
            == "วิชา การสร้าง Growth Mindset เพื่อผลสำเร็จของชีวิตและงาน")


def test_only_dictionary_thai_glued_after_a_garbled_word_is_split_off() -> None:
    from certificates.repairs.titles import thai_words_glued_on

    assert thai_words_glued_on("ไทสร505(เพื่อผลสำเร็จ") == ["ไทสร505(", "เพื่อผลสำเร็จ"]
    # The short Thai a Latin word turns into, and Thai that is no word, stay with it.
    assert thai_words_glued_on("810020ทลไท") == ["810020ทลไท"]
    assert thai_words_glued_on("(4ลกกขคฆงจ") == ["(4ลกกขคฆงจ"]
    assert thai_words_glued_on("ความรู้") == ["ความรู้"]


def test_garbled_latin_is_latin_letters_or_thai_mixed_with_other_print() -> None:
    from certificates.repairs.titles import is_garbled_latin

    assert is_garbled_latin("(4ลก00@)") and is_garbled_latin("(เกลlyt09") and is_garbled_latin("Skill)")
    assert not is_garbled_latin("ก.พ.") and not is_garbled_latin("2") and not is_garbled_latin("ความรู้")
    assert not is_garbled_latin("รุ่นที่2") and is_garbled_latin("[กส่งลท008สต]")
    # A Latin word some faces turn into digits and Thai; a number printed after Thai is no such word.
    assert is_garbled_latin("810020ทลไท") and is_garbled_latin("12ทล")
    assert not is_garbled_latin("รุ่นที่12") and not is_garbled_latin("ไทยแลนด์4.0")


def test_a_stroke_where_the_day_stands_is_a_one() -> None:
    from certificates.repairs.dates import with_day_filled

    # The network reads the thin 1 as a mark; Tesseract saw a bracket there.
    blank = np.full((60, 600), 255, np.uint8)
    assert with_day_filled(blank, "ให้ไว้ ณ วันที่] ตุลาคม พ.ศ. 2567") == "ให้ไว้ ณ วันที่ 1 ตุลาคม พ.ศ. 2567"
    assert with_day_filled(blank, "ให้ไว้ ณ วันที่ ]] ตุลาคม พ.ศ. 2567") == "ให้ไว้ ณ วันที่ 11 ตุลาคม พ.ศ. 2567"
    # Anything else unread is not made up.
    assert with_day_filled(blank, "ให้ไว้ ณ วันที่ @ ตุลาคม พ.ศ. 2567") == "ให้ไว้ ณ วันที่ @ ตุลาคม พ.ศ. 2567"


def test_day_fills_only_where_no_day_was_read() -> None:
    from certificates.repairs.dates import day_fills

    # A thin 1 glued to "ที่" is read as a bracket: every day is a candidate for the network.
    fills = day_fills("ให้ไว้ ณ วันที] พฤษภาคม พ.ศ. 2567")
    assert len(fills) == 31 and fills[0] == "ให้ไว้ ณ วันที 1 พฤษภาคม พ.ศ. 2567"
    assert day_fills("ให้ไว้ ณ วันที่ 1 พ.ค. 67") == []


def test_pieces_of_a_cut_row_join_without_the_word_both_read() -> None:
    from certificates.repairs.titles import joined_pieces

    assert joined_pieces("วิชา การใช้โปรแกรมดิจิทัลเพื่อ", "เพื่อการวิเคราะห์ข้อมูล") == (
        "วิชา การใช้โปรแกรมดิจิทัลเพื่อการวิเคราะห์ข้อมูล")
    # A short repeat can be printed so ("หลักการ|การสื่อสาร"), and pieces that share nothing just join.
    assert joined_pieces("หลักการ", "การสื่อสาร") == "หลักการการสื่อสาร"
    assert joined_pieces("วิชา การใช้โปรแกรม", "ดจทลเพ") == "วิชา การใช้โปรแกรมดจทลเพ"
