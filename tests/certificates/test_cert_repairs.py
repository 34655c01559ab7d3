"""The repair registry, the repair stage and its trace."""

from __future__ import annotations

import dataclasses
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from certificates.extraction import JSON_KEYS, Extraction, TraceStep
from certificates.fields import TextLine, hours_in_text, lines_from_text, parse_fields, parse_title
from certificates.line_reads import LineReading
from certificates.repairs import ROLES, Repair, line_repairs, mend_text, repairs_for
from certificates.passes import PageReading
from certificates.stages import Layout, RoleLine, UprightPage, assign_roles, repair_line
from tests.builders.printed_lines import printed_line

FONT = Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf")
needs_font = pytest.mark.skipif(not FONT.exists(), reason="Thai fonts missing")


def _all_repairs() -> list[Repair]:
    return list(dict.fromkeys(r for role in ROLES for pictured in (True, False)
                              for r in repairs_for(role, needs_picture=pictured)))


def test_every_repair_says_what_misread_it_mends_and_cites_no_tuning_draw() -> None:
    repairs = _all_repairs()
    assert len(repairs) >= 15
    for r in repairs:
        doc = r.mend.__doc__ or ""
        assert doc.strip(), r.name
        assert not re.search(r"\b(?:draws?|bench) 2[5-7]\d\d", doc), r.name


def test_repairs_run_in_their_registered_order_once_per_line() -> None:
    for role in ROLES:
        orders = [r.order for r in repairs_for(role)]
        assert orders == sorted(orders) and len(set(orders)) == len(orders), role
    # The day is filled in before the digits are checked, a month only after.
    assert [r.name for r in repairs_for("date")] == [
        "day_filled", "digits_checked", "letter_seen_as_digit", "numbers_seen_by_both_readers", "month_filled",
        "impossible_day_mended"]
    both = line_repairs(frozenset({"hours", "date"}))
    assert [r.name for r in both].count("digits_checked") == 1


def test_text_repairs_mend_a_titles_printed_form() -> None:
    assert mend_text("title", "หลักสูตรนักบริหารรุ่นที 5") == "หลักสูตรนักบริหาร รุ่นที่ 5"
    assert mend_text("title", "ผู้บริหารระดับตัน [Advanced]") == "ผู้บริหารระดับต้น (Advanced)"
    assert mend_text("title", "การบริหารงาน") == "การบริหารงาน"
    # The closing cohort misread: a letter, or the whole word as Latin; an acronym stays.
    assert mend_text("title", "เทคนิคนวัตกรรมท้องถิ่น รู่ที่ 2") == "เทคนิคนวัตกรรมท้องถิ่น รุ่นที่ 2"
    assert mend_text("title", "การวางแผนข้อมูลเปิดภาครัฐ Su 2") == "การวางแผนข้อมูลเปิดภาครัฐ รุ่นที่ 2"
    assert mend_text("title", "การพัฒนาระบบ ERP 2") == "การพัฒนาระบบ ERP 2"
    # Where the parser reads a title, they apply.
    title, _, _ = parse_title(lines_from_text("วิชา การพัฒนาผู้บริหารระดับดัน\n(รวมระยะเวลาทั้งสิ้น 6 ชั่วโมง)"))
    assert title is not None and title.value == "การพัฒนาผู้บริหารระดับต้น"


def test_a_one_read_as_a_bracket_before_the_hours_unit_is_a_one() -> None:
    assert mend_text("hours", "(รวมระยะเวลาทั้งสิ้น ] ชั่วโมง)") == "(รวมระยะเวลาทั้งสิ้น 1 ชั่วโมง)"
    assert hours_in_text("(รวมระยะเวลาทั้งสิ้น | ชั่วโมง)") == 1
    assert mend_text("hours", "(รวมระยะเวลาทั้งสิ้น 12 ชั่วโมง)") == "(รวมระยะเวลาทั้งสิ้น 12 ชั่วโมง)"


@needs_font
def test_a_repair_that_changes_a_line_is_traced() -> None:
    printed = "ให้ไว้ ณ วันที่ 30 พฤศจิกายน พ.ศ. 2566"
    read = "ให้ไว้ ณ วันที่ 50 พฤศจิกายน พ.ศ. 2566"  # Niramit's 3 read as 5: no date at all
    crop = printed_line(printed, FONT, 44)
    target = RoleLine(0, TextLine(read, 0.9, 44.0, (0, 0, crop.shape[1], 44)), crop, frozenset({"date"}),
                      "plain", digits_parsed=True, unparsed_date=False)
    line, trace = repair_line(target, LineReading(read, 0.9))
    assert line.text == printed and line.confidence == 0.9 and line.box == target.line.box
    assert trace[-1] == TraceStep("numbers_seen_by_both_readers", "date", read, printed)
    # A line its repairs leave alone leaves no trace.
    target = RoleLine(0, TextLine(printed, 0.9, 44.0, (0, 0, crop.shape[1], 44)), crop, frozenset({"date"}),
                      "plain", digits_parsed=True, unparsed_date=False)
    line, trace = repair_line(target, LineReading(printed, 0.9))
    assert line.text == printed and trace == []


def test_the_trace_crosses_the_worker_boundary_and_stays_out_of_the_json() -> None:
    step = TraceStep("digits_checked", "hours", "29 ชั่วโมง", "20 ชั่วโมง")
    ex = Extraction(name="นายก ข", hours=20, trace=[step])
    assert pickle.loads(pickle.dumps(ex)).trace == [step]
    assert tuple(ex.to_json_dict("a.png")) == JSON_KEYS
    assert str(step) == "digits_checked (hours): '29 ชั่วโมง' -> '20 ชั่วโมง'"
    assert Extraction().trace == []


def test_a_sure_line_in_thai_digits_keeps_its_reading_confidence_and_flag() -> None:
    # Its digits are checked only where the line network reads Latin ones: on this blank crop, none.
    crop = np.full((60, 400), 255, np.uint8)
    target = RoleLine(3, TextLine("รวม 10 ชั่วโมง", 0.97, 20.0, (0, 0, 400, 20), thai_digits=True), crop,
                      frozenset({"hours"}), "kept", digits_parsed=True, unparsed_date=False)
    line, trace = repair_line(target, LineReading("รวม 10 ชั่วโมง", 0.97, thai_digits=True))
    assert (line.text, line.confidence, line.thai_digits, trace) == ("รวม 10 ชั่วโมง", 0.97, True, [])


def _layout(rows: list[tuple[str, float]]) -> Layout:
    lines = [TextLine(text, conf, 30.0, (100, 20 + 60 * k, 900, 30)) for k, (text, conf) in enumerate(rows)]
    page = np.full((60 * len(rows) + 40, 1100), 255, np.uint8)
    return Layout(PageReading(parse_fields(lines), lines), page, UprightPage(page, 0))


def test_roles_are_assigned_by_the_fields_parsed_from_each_line() -> None:
    page = _layout([
        ("ขอมอบประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า", 0.95),
        ("นางสาวกิติยา เกตุคง", 0.95),
        ("ได้ผ่านการอบรม", 0.95),
        ("วิชา การบริหารงานภาครัฐแนวใหม่", 0.95),
        ("(รวมระยะเวลาทั้งสิ้น 20 ชั่วโมง)", 0.95),
        ("ให้ไว้ ณ วันที่ 9 มีนาคม พ.ศ. 2566", 0.5),
    ])
    got = {t.index: (set(t.roles), t.reread, t.digits_parsed, t.unparsed_date) for t in assign_roles(page).targets}
    assert got == {
        1: ({"name"}, "name", False, False),
        3: ({"title"}, "title", False, False),
        4: ({"hours"}, "kept", True, False),  # sure: only its digits are checked
        5: ({"date"}, "plain", True, False),  # unsure: re-read
    }


def test_a_date_line_that_parsed_no_date_is_re_read_as_the_date_line() -> None:
    page = _layout([
        ("ขอมอบประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า", 0.95),
        ("นางสาวกิติยา เกตุคง", 0.95),
        ("วิชา การบริหารงานภาครัฐแนวใหม่", 0.95),
        ("(รวมระยะเวลาทั้งสิ้น 20 ชั่วโมง)", 0.95),
        ("ให้ไว้ ณ วันที] มีนาคม พ.ศ. 2566", 0.9),  # the day read as a bracket: no date
    ])
    assert page.reading.fields.completed_on is None
    date = next(t for t in assign_roles(page).targets if t.index == 4)
    assert "date" in date.roles and date.unparsed_date and date.reread == "plain"


@needs_font
@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("(รวมระยะเวลาทั้งสิ้น 18.5 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น า8.5 ชั่วโมง)"),  # a 1 read as sara aa
        ("ให้ไว้ ณ วันที่ 22 กุมภาพันธ์ พ.ศ. 2568", "ให้ไว้ ณ วันที่ ว2กุมภาพันธ์ พ.ศ. 2568"),  # a 2 read as wo waen
    ],
)
def test_a_digit_read_as_a_letter_against_its_number_is_a_digit_again(printed: str, read: str) -> None:
    crop = printed_line(printed, FONT, 44)
    role = "hours" if "ชั่วโมง" in printed else "date"
    target = RoleLine(0, TextLine(read, 0.9, 44.0, (0, 0, crop.shape[1], 44)), crop, frozenset({role}),
                      "plain", digits_parsed=True, unparsed_date=False)
    line, trace = repair_line(target, LineReading(read, 0.9))
    fields = parse_fields([line])
    if role == "hours":
        assert fields.hours is not None and fields.hours.value == 18.5
    else:
        assert fields.completed_on is not None and fields.completed_on.value.day == 22
    assert trace, "the mend is traced"


def test_a_letter_beside_a_number_may_be_any_digit_and_nothing_else_moves() -> None:
    from certificates.repairs.digits import letters_beside_digits

    variants = letters_beside_digits("วันที่ ว2กุมภาพันธ์")
    assert "วันที่ 22กุมภาพันธ์" in variants and "วันที่ ว29ุมภาพันธ์" in variants
    assert len(variants) == 20  # ten digits on each side of the one number
    assert letters_beside_digits("วันที่ 22 กุมภาพันธ์") == []  # spaced: no letter against it


@needs_font
def test_a_number_misread_beyond_one_digit_is_taken_where_both_other_readers_see_it() -> None:
    printed = "รวมระยะเวลา 60 ชั่วโมง"
    crop = printed_line(printed, FONT, 44)
    target = RoleLine(0, TextLine("รวมระยะเวลา 3 ชั่วโมง", 0.9, 44.0, (0, 0, crop.shape[1], 44)), crop,
                      frozenset({"hours"}), "kept", digits_parsed=True, unparsed_date=False)
    line, trace = repair_line(target, LineReading("รวมระยะเวลา 3 ชั่วโมง", 0.9))
    assert hours_in_text(line.text) == 60
    assert [step.repair for step in trace] == ["numbers_seen_by_both_readers"]
    # A number read right stays, and so does one only the network sees: blank print confirms nothing.
    line, trace = repair_line(dataclasses.replace(target, line=dataclasses.replace(target.line, text=printed)),
                              LineReading(printed, 0.9))
    assert line.text == printed and trace == []
    blank = np.full_like(crop, 255)
    line, trace = repair_line(dataclasses.replace(target, crop=blank), LineReading("รวมระยะเวลา 3 ชั่วโมง", 0.9))
    assert hours_in_text(line.text) == 3
