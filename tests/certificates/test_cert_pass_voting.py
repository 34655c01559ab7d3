"""How the reader settles fields between its OCR passes and orientations (no Tesseract needed)."""

from __future__ import annotations

import pytest

from certificates.fields import Field, ParsedFields, TextLine
from certificates.reader import _merge, _overlay, _Reading


def _hours(value: float, confidence: float) -> _Reading:
    return _Reading(ParsedFields(hours=Field(value, confidence)), [])


def test_a_pass_that_lost_the_decimal_point_votes_for_the_decimal() -> None:
    # "๖.๕" read as 65 by the surer pass and as 6.5 by another: one reading, its dot lost once.
    merged = _merge([_hours(65, 0.78), _hours(6.5, 0.70)])
    assert merged.fields.hours is not None and merged.fields.hours.value == 6.5


def test_different_hours_are_still_outvoted_by_confidence() -> None:
    merged = _merge([_hours(65, 0.78), _hours(6, 0.70)])
    assert merged.fields.hours is not None and merged.fields.hours.value == 65


@pytest.mark.parametrize(("page", "reread", "kept"), [(15.5, 155, 15.5), (155, 15.5, 15.5), (25, 24, 24)])
def test_a_reread_never_drops_a_decimal_point(page: float, reread: float, kept: float) -> None:
    # The re-read wins ties and surer readings, but a dot it lost is not its to drop.
    out = _overlay(_hours(page, 0.9), _hours(reread, 0.9))
    assert out.fields.hours is not None and out.fields.hours.value == kept


def _four_fields(confidence: float) -> _Reading:
    import datetime as dt

    return _Reading(ParsedFields(name=Field("นายสมชาย รักเรียน", confidence), title=Field("การบริหาร", confidence),
                                 hours=Field(6.0, confidence), completed_on=Field(dt.date(2024, 11, 13), confidence)), [])


@pytest.mark.parametrize(("warped_conf", "read_flat"), [(0.4, True), (0.9, False)])
def test_a_page_squeezed_by_a_wrong_outline_loses_to_the_picture_as_it_is(
    monkeypatch: pytest.MonkeyPatch, warped_conf: float, read_flat: bool
) -> None:
    # A decoration taken for the sheet's edge squeezes the text: four fields of junk, all unsure.
    import numpy as np

    import certificates.reader as reader

    monkeypatch.setattr(reader.pre, "find_page_quad", lambda img: np.zeros((4, 2)))
    monkeypatch.setattr(reader, "_prepare", lambda img, quad: "warped" if quad is not None else "flat")
    readings = {"warped": _four_fields(warped_conf), "flat": _four_fields(0.85)}
    seen: list[str] = []
    monkeypatch.setattr(reader, "_ocr_gray", lambda gray: seen.append(gray) or readings[gray])
    chosen = reader._ocr_page(np.zeros((10, 10, 3), np.uint8))
    assert seen == (["warped", "flat"] if read_flat else ["warped"])
    assert chosen is readings["flat" if read_flat else "warped"]


def _lines(boxes: list[tuple[int, int, int, int]]) -> list[TextLine]:
    return [TextLine("สำนักงานคณะกรรมการข้าราชการพลเรือน", 0.9, 20.0, box) for box in boxes]


def test_a_page_read_as_vertical_text_is_turned() -> None:
    # Tesseract reads a page lying on its side as lines running down the picture (bench 2589 web/clean_015).
    down = _lines([(1703, 404, 42, 793), (810, 273, 29, 943), (857, 383, 23, 834), (300, 900, 400, 30)])
    across = _lines([(404, 300, 793, 42), (273, 810, 943, 29), (383, 857, 834, 23), (900, 300, 30, 400)])
    assert _Reading(ParsedFields(), down).turned()
    assert not _Reading(ParsedFields(), across).turned()
    assert not _Reading(ParsedFields(), []).turned()


def test_a_certificate_read_across_outranks_one_read_down_but_not_a_page_of_nothing() -> None:
    down = _lines([(1703, 404, 42, 793), (810, 273, 29, 943), (857, 383, 23, 834)])
    across = _lines([(404, 300, 793, 42), (273, 810, 943, 29), (383, 857, 834, 23)])
    three = ParsedFields(name=Field("นายสมชาย รักเรียน", 0.9), title=Field("การบริหาร", 0.9), hours=Field(6.0, 0.9))
    assert _Reading(three, across).rank() > _Reading(three, down).rank()
    one = ParsedFields(hours=Field(6.0, 0.8))  # no certificate: a page read down that is one wins (2592 tlwg/photo_015)
    assert _Reading(three, down).rank() > _Reading(one, across).rank()


def test_a_page_layout_analysis_takes_for_a_picture_is_read_as_sparse_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tesseract's page layout (psm 3) can take a whole clean page for a picture and return
    # one "@" (bench 2593 tlwg/pdf_002: a frame and big diagonal bands round the print).
    import datetime as dt

    import numpy as np

    from certificates import reader

    printed = [
        TextLine("ขอมอบประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า", 0.95, 20.0, (300, 200, 900, 20)),
        TextLine("นางวิชุดา พันธ์โคตร", 0.95, 40.0, (500, 260, 500, 40)),
        TextLine("ได้ผ่านการอบรม", 0.95, 20.0, (550, 330, 300, 20)),
        TextLine("วิชา สาระสำคัญของกฎหมายวิธีปฏิบัติราชการทางปกครอง", 0.95, 24.0, (300, 380, 900, 24)),
        TextLine("รวมระยะเวลา 45 ชั่วโมง", 0.95, 20.0, (500, 430, 400, 20)),
        TextLine("ให้ไว้ ณ วันที่ 10 พฤษภาคม พ.ศ. 2565", 0.95, 20.0, (450, 470, 600, 20)),
    ]
    seen: list[int] = []

    def ocr_lines(scaled: np.ndarray, *, psm: int = 3) -> list[TextLine]:
        seen.append(psm)
        return printed if psm == 11 else [TextLine("@", 0.3, 20.0, (10, 10, 20, 20))]

    monkeypatch.setattr(reader, "ocr_lines", ocr_lines)
    reading, _ = reader._read_gray(np.full((1000, 1400), 255, np.uint8), psm=11)
    assert reading.fields.found() == 4
    page = np.full((1000, 1400), 255, np.uint8)
    page[400:420, 300:1100] = 0  # some ink, so the page is not blank
    best = reader._ocr_gray(page)
    assert 11 in seen
    # (The re-reads of single lines see this test's blank page; the page reading's fields stand.)
    assert best.fields.hours is not None and best.fields.hours.value == 45
    assert best.fields.completed_on is not None and best.fields.completed_on.value == dt.date(2022, 5, 10)
