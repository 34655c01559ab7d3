"""How the reader settles fields between its OCR passes and orientations (no Tesseract needed)."""

from __future__ import annotations

import pytest

from certificates.fields import Field, ParsedFields, TextLine, parse_fields
from certificates.passes import PageReading, merge_passes, overlay
from certificates.stages import better_flattening, needs_sparse_read


def _hours(value: float, confidence: float) -> PageReading:
    return PageReading(ParsedFields(hours=Field(value, confidence)), [])


def test_a_pass_that_lost_the_decimal_point_votes_for_the_decimal() -> None:
    # "๖.๕" read as 65 by the surer pass and as 6.5 by another: one reading, its dot lost once.
    merged = merge_passes([_hours(65, 0.78), _hours(6.5, 0.70)])
    assert merged.fields.hours is not None and merged.fields.hours.value == 6.5


def test_different_hours_are_still_outvoted_by_confidence() -> None:
    merged = merge_passes([_hours(65, 0.78), _hours(6, 0.70)])
    assert merged.fields.hours is not None and merged.fields.hours.value == 65


@pytest.mark.parametrize(("page", "reread", "kept"), [(15.5, 155, 15.5), (155, 15.5, 15.5), (25, 24, 24)])
def test_a_reread_never_drops_a_decimal_point(page: float, reread: float, kept: float) -> None:
    # The re-read wins ties and surer readings, but a dot it lost is not its to drop.
    out = overlay(_hours(page, 0.9), _hours(reread, 0.9))
    assert out.fields.hours is not None and out.fields.hours.value == kept


def _four_fields(confidence: float) -> PageReading:
    import datetime as dt

    return PageReading(ParsedFields(name=Field("นายสมชาย รักเรียน", confidence), title=Field("การบริหาร", confidence),
                                 hours=Field(6.0, confidence), completed_on=Field(dt.date(2024, 11, 13), confidence)), [])


def test_a_page_squeezed_by_a_wrong_outline_loses_to_the_picture_as_it_is() -> None:
    # A decoration taken for the sheet's edge squeezes the text: four fields of junk, all unsure.
    squeezed, flat = _four_fields(0.4), _four_fields(0.85)
    assert not squeezed.complete()  # so the picture is read as it is as well
    assert better_flattening(squeezed, flat) is flat
    # A flattened page read surely needs no second reading; read anyway, it would still win a tie of fields.
    sure = _four_fields(0.9)
    assert sure.complete()
    assert better_flattening(sure, flat) is sure
    # More fields beat surer ones.
    three = PageReading(ParsedFields(name=Field("นายสมชาย รักเรียน", 0.95), title=Field("การบริหาร", 0.95),
                                     hours=Field(6.0, 0.95)), [])
    assert better_flattening(three, squeezed) is squeezed
    # Of four fields each, one sure of all beats one surer of most (2628 tlwg/photo_029).
    import datetime as dt

    mostly = _four_fields(0.95)
    mostly.fields.completed_on = Field(dt.date(2025, 4, 11), 0.78)
    assert mostly.quality > flat.quality and flat.complete() and not mostly.complete()
    assert better_flattening(mostly, flat) is flat


def _lines(boxes: list[tuple[int, int, int, int]]) -> list[TextLine]:
    return [TextLine("สำนักงานคณะกรรมการข้าราชการพลเรือน", 0.9, 20.0, box) for box in boxes]


def test_a_page_read_as_vertical_text_is_turned() -> None:
    # Tesseract reads a page lying on its side as lines running down the picture (bench 2589 web/clean_015).
    down = _lines([(1703, 404, 42, 793), (810, 273, 29, 943), (857, 383, 23, 834), (300, 900, 400, 30)])
    across = _lines([(404, 300, 793, 42), (273, 810, 943, 29), (383, 857, 834, 23), (900, 300, 30, 400)])
    assert PageReading(ParsedFields(), down).turned()
    assert not PageReading(ParsedFields(), across).turned()
    assert not PageReading(ParsedFields(), []).turned()


def test_a_certificate_read_across_outranks_one_read_down_but_not_a_page_of_nothing() -> None:
    down = _lines([(1703, 404, 42, 793), (810, 273, 29, 943), (857, 383, 23, 834)])
    across = _lines([(404, 300, 793, 42), (273, 810, 943, 29), (383, 857, 834, 23)])
    three = ParsedFields(name=Field("นายสมชาย รักเรียน", 0.9), title=Field("การบริหาร", 0.9), hours=Field(6.0, 0.9))
    assert PageReading(three, across).rank() > PageReading(three, down).rank()
    one = ParsedFields(hours=Field(6.0, 0.8))  # no certificate: a page read down that is one wins (2592 tlwg/photo_015)
    assert PageReading(three, down).rank() > PageReading(one, across).rank()
    # Neither is a certificate: of as many fields, the page read across, surer or not (2629 tlwg/photo_022).
    two = ParsedFields(name=Field("นางสาวสานิตย์ อาแว", 0.45), title=Field("การเป็นข้าราชการ", 0.8))
    surer = ParsedFields(name=Field("นางสาวสานิตย์ อาแว", 0.94), title=Field("การเป็นข้าราชการ", 0.8))
    assert not PageReading(two, across).is_certificate()
    assert PageReading(two, across).rank() > PageReading(surer, down).rank()


def test_a_page_layout_analysis_takes_for_a_picture_is_read_as_sparse_text() -> None:
    # Tesseract's page layout (psm 3) can take a whole clean page for a picture and return
    # one "@" (a frame and big diagonal bands round the print).
    import datetime as dt

    printed = [
        TextLine("ขอมอบประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า", 0.95, 20.0, (300, 200, 900, 20)),
        TextLine("นางวิชุดา พันธ์โคตร", 0.95, 40.0, (500, 260, 500, 40)),
        TextLine("ได้ผ่านการอบรม", 0.95, 20.0, (550, 330, 300, 20)),
        TextLine("วิชา สาระสำคัญของกฎหมายวิธีปฏิบัติราชการทางปกครอง", 0.95, 24.0, (300, 380, 900, 24)),
        TextLine("รวมระยะเวลา 45 ชั่วโมง", 0.95, 20.0, (500, 430, 400, 20)),
        TextLine("ให้ไว้ ณ วันที่ 10 พฤษภาคม พ.ศ. 2565", 0.95, 20.0, (450, 470, 600, 20)),
    ]
    picture = [TextLine("@", 0.3, 20.0, (10, 10, 20, 20))]
    as_picture = PageReading(parse_fields(picture), picture)
    sparse = PageReading(parse_fields(printed), printed)
    assert needs_sparse_read(as_picture)
    assert not needs_sparse_read(sparse)
    assert sparse.rank() > as_picture.rank()  # the sparse reading is taken
    assert sparse.fields.found() == 4
    assert sparse.fields.hours is not None and sparse.fields.hours.value == 45
    assert sparse.fields.completed_on is not None and sparse.fields.completed_on.value == dt.date(2022, 5, 10)
