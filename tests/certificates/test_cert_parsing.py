"""Fast tests of certificate text parsing: no images, no OCR."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from certificates.catalog import CatalogEntry, load_catalog, match_course, title_key
from certificates.fields import (
    OCSC_FULL,
    OCSC_SHORT,
    TextLine,
    hours_in_text,
    join_wrapped,
    lines_from_text,
    parse_date,
    parse_fields,
    parse_hours,
    parse_issuers,
    parse_name,
    parse_title,
    phrase_in_line,
    wrapped_family_name,
)
from certificates.person_names import leading_title, split_name
from certificates.thai_dates import be_year_to_ce, find_dates, match_month, parse_thai_date
from fiscal.thai_dates import long_date, short_date
from certificates.thai_text import invalid_thai_sequences, normalize_text, normalize_thai, thai_digits_to_ascii

SAMPLE_TEXT = """สำนักงานคณะกรรมการข้าราชการพลเรือน
ร่วมกับ
ศูนย์อำนวยการบริหารจังหวัดชายแดนภาคใต้
ขอมอบประกาศนียบัตรฉบับนี้ให้เพื่อแสดงว่า
นายสมชาย รักเรียน
ได้ผ่านการพัฒนาทางไกลด้วยระบบอิเล็กทรอนิกส์
หลักสูตร ผู้นำทีมที่มีประสิทธิภาพ
(รวมระยะเวลาทั้งสิ้น 45 ชั่วโมง)
ให้ไว้ ณ วันที่ 13 ธันวาคม พ.ศ. 2566
(นายปิยวัฒน์ ศิวรักษ์) (วรรณพงษ์ คชรักษ์)
เลขาธิการคณะกรรมการข้าราชการพลเรือน เลขาธิการศูนย์อำนวยการบริหารจังหวัดชายแดนภาคใต้
"""


def lines(text: str) -> list[TextLine]:
    return lines_from_text(text)


# --- normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ผู้นํา", "ผู้นำ"),  # decomposed sara am (nikhahit + sara aa)
        ("สํานักงาน", "สำนักงาน"),
        ("นํ้า", "น้ำ"),  # nikhahit before the tone mark
        ("น้ํา", "น้ำ"),
        ("กํ่า", "ก่ำ"),
        ("ที่่", "ที่"),  # doubled tone mark
        ("เเก้ว", "แก้ว"),  # two sara e read for sara ae
        ("๑๓ ธันวาคม ๒๕๖๖", "13 ธันวาคม 2566"),
        ("สม\u200bชาย", "สมชาย"),  # zero-width space
        ("\ufeffนาย  สมชาย\u00a0 รักเรียน ", "นาย สมชาย รักเรียน"),
        ("Microsoft Office Excel 2016", "Microsoft Office Excel 2016"),
    ],
)
def test_normalize_thai(raw: str, expected: str) -> None:
    assert normalize_thai(raw) == expected


def test_tone_mark_order_is_canonical() -> None:
    # Tone mark typed before the upper vowel: same letters, canonical order.
    assert normalize_thai("ท\u0e48\u0e35") == "ที่"
    assert normalize_thai("ก\u0e49\u0e38") == normalize_thai("ก\u0e38\u0e49")


def test_normalize_text_drops_empty_lines() -> None:
    assert normalize_text("  \nสํานักงาน\n\n ก.พ. \n") == "สำนักงาน\nก.พ."


def test_thai_digits_to_ascii() -> None:
    assert thai_digits_to_ascii("๐๑๒๓๔๕๖๗๘๙") == "0123456789"


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("ให้ไว้ ณ วันที่ ]8 ต.ค. 66", "ให้ไว้ ณ วันที่ 18 ต.ค. 66"),  # a flagged "1" read as a bracket
        ("วันที่ 3] ธันวาคม 2563", "วันที่ 31 ธันวาคม 2563"),
        ("รวม l5 ชั่วโมง", "รวม 15 ชั่วโมง"),
        ("Microsoft Office Word 2016", "Microsoft Office Word 2016"),  # letters beside letters stay
        ("Level I 2", "Level I 2"),  # a letter on its own is no digit
        ("ISO/IEC 27001", "ISO/IEC 27001"),
    ],
)
def test_one_read_as_bracket_or_letter(read: str, expected: str) -> None:
    assert normalize_thai(read) == expected


def test_date_with_a_one_read_as_bracket() -> None:
    assert find_dates(normalize_thai("ให้ไว้ ณ วันที่ ]8 ต.ค. 66"))[0].value == dt.date(2023, 10, 18)


def test_invalid_thai_sequences() -> None:
    assert invalid_thai_sequences("มณีสวัสดิ์") == 0
    assert invalid_thai_sequences("ภูุชงค์") == 1  # two below vowels on one consonant
    assert invalid_thai_sequences(" ่ก") == 1  # a tone mark with no consonant


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ให้ไว้ ณ วันที่ 13 ธันวาคม พ.ศ. 2566", dt.date(2023, 12, 13)),
        ("ให้ไว้ ณ วันที่ ๑๓ ธันวาคม พ.ศ. ๒๕๖๖", dt.date(2023, 12, 13)),
        ("13 ธ.ค. 2566", dt.date(2023, 12, 13)),
        ("13 ธ.ค. 66", dt.date(2023, 12, 13)),
        ("๑ ม.ค. ๖๗", dt.date(2024, 1, 1)),
        ("1 มกราคม 2024", dt.date(2024, 1, 1)),
        ("29 กุมภาพันธ์ พ.ศ. 2567", dt.date(2024, 2, 29)),  # leap year
        ("5 กรกฎาคม 2565", dt.date(2022, 7, 5)),
        ("5 กรกฏาคม 2565", dt.date(2022, 7, 5)),  # common misspelling
        ("ให้ไว้ ณ วันที่ 7 ตลาคม พ.ศ. 2565", dt.date(2022, 10, 7)),  # OCR dropped a vowel
        ("ให้ไว้ ณ วันที่ 5 ธันวา คม พ.ศ2566", dt.date(2023, 12, 5)),  # OCR spaces, no dot
        ("วันที่ 30 เม.ย. 2563", dt.date(2020, 4, 30)),
        ("20 มิ.ย. พ.ศ. 2568", dt.date(2025, 6, 20)),
        ("3 มค 2565", dt.date(2022, 1, 3)),  # dots lost
        ("ให้ไว้ ณ วันที่ 1 1 เมษายน พ.ศ. 2565", dt.date(2022, 4, 11)),  # OCR split the day
        ("วันที่ ๒ ๙ ก.ย. ๒๕ ๖๖", dt.date(2023, 9, 29)),  # and the year
    ],
)
def test_parse_thai_date(text: str, expected: dt.date) -> None:
    assert parse_thai_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31 กุมภาพันธ์ 2566",  # no such day
        "29 กุมภาพันธ์ พ.ศ. 2566",  # 2023 is not a leap year
        "31 เมษายน 2566",
        "32 มกราคม 2566",
        "13 ธันวาคม พ.ศ. 2450",  # implausibly old for a course certificate
        "13 ธันวาคม",  # no year
        "พ.ศ. 2562",  # a year alone (inside course titles) is not a date
        "13 สวัสดี 2566",  # not a month
    ],
)
def test_invalid_dates_rejected(text: str) -> None:
    assert parse_thai_date(text) is None


def test_find_dates_skips_title_year_and_finds_date() -> None:
    found = find_dates("พระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562 ให้ไว้ ณ วันที่ 2 มีนาคม พ.ศ. 2566")
    assert [d.value for d in found] == [dt.date(2023, 3, 2)]


@pytest.mark.parametrize(
    ("word", "month"),
    [("มกราคม", 1), ("ก.พ.", 2), ("กพ", 2), ("มี.ค.", 3), ("พฤศจิกายน", 11), ("พฤศจิกายม", 11), ("ธ.ค", 12),
     ("ธร.ค.", 12),  # a letter too in an abbreviation only one month is that near
     ("ม.ด.", 1), ("ต.ด.", 10)],  # two dotted letters, one off a single abbreviation
)
def test_match_month(word: str, month: int) -> None:
    got = match_month(word)
    assert got is not None and got[0] == month


@pytest.mark.parametrize("word", ["กข", "ก.ข.", "พ.ศ.", "ศ.ค.", "ค.ศ.", "มด"])  # one letter from several abbreviations, or none
def test_no_month_in_a_near_miss_of_several(word: str) -> None:
    assert match_month(word) is None


def test_be_year_conversion() -> None:
    assert be_year_to_ce(2566) == 2023
    assert be_year_to_ce(66) == 2023
    assert be_year_to_ce(2023) == 2023
    assert be_year_to_ce(2023, era="ค") == 2023
    assert be_year_to_ce(1800) is None


def test_thai_display_dates() -> None:
    assert long_date(dt.date(2023, 12, 13)) == "13 ธันวาคม พ.ศ. 2566"
    assert short_date(dt.date(2023, 12, 13)) == "13 ธ.ค. 66"


def test_parse_date_prefers_the_given_on_line() -> None:
    text = "วิชา พระราชบัญญัติการจัดซื้อจัดจ้าง พ.ศ. 2560\nปรับปรุง 1 มกราคม 2565\nให้ไว้ ณ วันที่ 9 กันยายน พ.ศ. 2566"
    got = parse_date(lines(text))
    assert got is not None and got.value == dt.date(2023, 9, 9)
    assert got.confidence > 0.9


def test_parse_date_without_anchor_takes_last_date() -> None:
    got = parse_date(lines("ปรับปรุง 1 มกราคม 2565\n9 กันยายน 2566"))
    assert got is not None and got.value == dt.date(2023, 9, 9)


# --- hours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(รวมระยะเวลาทั้งสิ้น 45 ชั่วโมง)", 45),
        ("(รวมระยะเวลาทั้งสิ้น ๔๕ ชั่วโมง)", 45),
        ("รวมระยะเวลา 3 ชม.", 3),
        ("รวมระยะเวลา 12ชม", 12),
        ("(รวมระยะเวลาทั้งสิ้น 1.5 ชั่วโมง)", 1.5),
        ("รวม 2 ชั่วโมง 30 นาที", 2.5),
        ("[รวมระยะเวลาทั้งสิ้น 6 ชัวโมง]", 6),  # OCR lost the tone mark
        ("(รวมระยะเวลาทั้งสิ้น 90 นาที)", 1.5),
        ("(รวมระยะเวลาทั้งสิ้น ๔๕ นาที)", 0.75),
        ("รวมระยะเวลา 30 นาท", 0.5),  # OCR lost the last vowel
        ("(รวมระยะเวลาทั้งสิ้น ] ชั่วโมง)", 1),  # a flat-footed "1" read as a bracket
        ("(รวมระยะเวลาทั้งสิ้น | ชม.)", 1),
    ],
)
def test_hours_in_text(text: str, expected: float) -> None:
    assert hours_in_text(text) == expected


@pytest.mark.parametrize(
    "text", ["ให้ไว้ ณ วันที่ 13 ธันวาคม 2566", "รุ่นที่ 2", "ชั่วโมง", "0 ชั่วโมง", "0 นาที", "นาย 2 นาย",
             "รวมระยะเวลา 00.4 ชั่วโมง", "รวมระยะเวลา 05 ชม."]  # no hours are printed with a leading zero
)
def test_hours_absent(text: str) -> None:
    assert hours_in_text(text) is None


def test_parse_hours_reads_minutes_only_as_a_fraction_of_an_hour() -> None:
    got = parse_hours(lines("ได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด\n(รวมระยะเวลาทั้งสิ้น 90 นาที)\nให้ไว้ ณ วันที่ 1 มีนาคม 2567"))
    assert got is not None and got.value == 1.5


def test_parse_hours_uses_anchor_when_unit_lost() -> None:
    got = parse_hours(lines("(รวมระยะเวลาทั้งสิ้น 18 ***)"))
    assert got is not None and got.value == 18 and got.confidence < 0.8


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title", "first", "last"),
    [
        ("นายสมชาย รักเรียน", "นาย", "สมชาย", "รักเรียน"),
        ("นางสาวมณี ใจดี", "นางสาว", "มณี", "ใจดี"),
        ("น.ส.มณี ใจดี", "น.ส.", "มณี", "ใจดี"),
        ("นางอรุณี ทองดี", "นาง", "อรุณี", "ทองดี"),
        ("ว่าที่ร้อยตรีสมศักดิ์ ใจงาม", "ว่าที่ร้อยตรี", "สมศักดิ์", "ใจงาม"),
        ("ว่าที่ ร.ต. สมศักดิ์ ใจงาม", "ว่าที่ ร.ต.", "สมศักดิ์", "ใจงาม"),
        ("ว่าที่ร้อยตรีหญิงศิริพร มีสุข", "ว่าที่ร้อยตรีหญิง", "ศิริพร", "มีสุข"),
        ("ดร.กมล สวยงาม", "ดร.", "กมล", "สวยงาม"),
        ("ผศ.ดร.กมล สวยงาม", "ผศ.ดร.", "กมล", "สวยงาม"),
        ("พันตำรวจโทวรรณพงษ์ คชรักษ์", "พันตำรวจโท", "วรรณพงษ์", "คชรักษ์"),
        ("จ่าเอกสมปอง แสนดี", "จ่าเอก", "สมปอง", "แสนดี"),
        ("พ.ต.อ.สมปอง แสนดี", "พ.ต.อ.", "สมปอง", "แสนดี"),
        ("นางสาวิตรี ดี", "นาง", "สาวิตรี", "ดี"),  # "นางสาว" would leave a vowel starting the name
        ("สมชาย รักเรียน", None, "สมชาย", "รักเรียน"),
        ("นายสมชาย ณ อยุธยา", "นาย", "สมชาย", "ณ อยุธยา"),
    ],
)
def test_split_name(name: str, title: str | None, first: str, last: str) -> None:
    got = split_name(name)
    assert got is not None
    assert (got.title, got.first, got.last) == (title, first, last)
    assert got.full == name


def test_leading_title_needs_a_name_after_it() -> None:
    assert leading_title("นาย") is None


def test_name_is_line_after_intro() -> None:
    got, index = parse_name(lines(SAMPLE_TEXT))
    assert got is not None and got.value == "นายสมชาย รักเรียน" and index == 4


def test_name_after_intro_skips_decoration_debris() -> None:
    text = "ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า\n———\n' ~\nนางสาวมณี ใจดี\nได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด"
    got, _ = parse_name(lines(text))
    assert got is not None and got.value == "นางสาวมณี ใจดี"


def test_a_speck_between_intro_and_completion_is_no_name() -> None:
    # Layout analysis missed a gold name in a photo and found a speck of it, read "เอิะ".
    page = [
        TextLine("ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า", 0.93, 20.0, (769, 786, 325, 26)),
        TextLine(".เอิะ", 0.32, 8.0, (1082, 869, 15, 10)),
        TextLine("ได้ผ่านการอบรม", 0.95, 18.0, (860, 962, 139, 22)),
        TextLine("วิชา การบริหารโครงการ", 0.95, 24.0, (658, 1029, 531, 31)),
    ]
    assert parse_name(page) == (None, None)
    name = TextLine("นางอนุชา โชยะสิทธิ์", 0.9, 30.0, (700, 850, 450, 40))
    got, index = parse_name(page[:1] + [name] + page[2:])
    assert got is not None and got.value == "นางอนุชา โชยะสิทธิ์" and index == 1


def test_name_on_intro_line() -> None:
    got, _ = parse_name(lines("ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า นายสมชาย รักเรียน\nได้ผ่านการอบรม"))
    assert got is not None and got.value == "นายสมชาย รักเรียน"


def test_name_with_noisy_intro() -> None:
    # OCR garbled a few letters of the intro phrase.
    got, _ = parse_name(lines("ขอมอบประกาศนียบัตรฉบับนีให้เพื่อแสตงว่า\nนายสมชาย รักเรียน"))
    assert got is not None and got.value == "นายสมชาย รักเรียน"


def test_name_found_before_completion_phrase_without_intro() -> None:
    got, _ = parse_name(lines("xx yy\nนายสมชาย รักเรียน\nได้ผ่านการพัฒนาทางไกลด้วยระบบอิเล็กทรอนิกส์"))
    assert got is not None and got.value == "นายสมชาย รักเรียน"


def test_a_family_name_wrapped_onto_the_next_line_is_joined() -> None:
    # A template with a fixed font size broke the long name at its space.
    page = [
        TextLine("ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า", 0.94, 21.5, (465, 628, 670, 35)),
        TextLine("ว่าที่ร้อยตรีหญิงวารินทร์ทิพย์", 0.93, 60.0, (377, 759, 850, 81)),
        TextLine("เกียรติกิจวัฒนพาณิชย์", 0.93, 60.0, (474, 869, 657, 64)),
        TextLine("ได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด", 0.94, 24.5, (492, 1003, 617, 35)),
        TextLine("วิชา การบริหารผลการปฏิบัติราชการ", 0.93, 30.0, (387, 1116, 827, 60)),
    ]
    fields = parse_fields(page)
    assert fields.name is not None and fields.name.value == "ว่าที่ร้อยตรีหญิงวารินทร์ทิพย์ เกียรติกิจวัฒนพาณิชย์"
    assert fields.sources["name"] == [1, 2] and fields.sources["title"] == [4]
    # A text layer has no boxes: the order and the wording decide.
    text = "\n".join(line.text for line in page)
    assert parse_fields(lines(text)).name.value == "ว่าที่ร้อยตรีหญิงวารินทร์ทิพย์ เกียรติกิจวัฒนพาณิชย์"


def test_a_wrapped_family_name_the_first_reading_garbled_is_left_to_the_re_read() -> None:
    # A PDF printing the name large in gold: the family name's line came back as debris (2628, pdf_007).
    page = [
        TextLine("ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า", 0.93, 22.0, (572, 651, 505, 33)),
        TextLine("ว่าทีร้อยตรีหญิงณัฐสิมาภรณ์", 0.93, 66.0, (401, 791, 849, 100)),
        TextLine("สิริโ =- ฉ7 =็ม", 0.51, 66.0, (565, 894, 378, 105)),
        TextLine("ได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด", 0.93, 21.0, (560, 1076, 528, 31)),
        TextLine("หลักสูตร เทคนิคการจัดการความรู้เพื่อการพัฒนาองค์กร", 0.93, 36.0, (326, 1183, 997, 55)),
    ]
    fields = parse_fields(page)
    assert fields.sources["name"] == [1, 2]  # re-read as one line: the crops side by side
    assert fields.name is not None and fields.name.value == "ว่าที่ร้อยตรีหญิงณัฐสิมาภรณ์"  # no debris in the name
    # Debris in small print under a name is not its family name.
    small = [*page[:2], TextLine("สิริโ =- ฉ7 =็ม", 0.51, 20.0, (565, 894, 378, 31)), *page[3:]]
    assert wrapped_family_name(small, 1, "ว่าที่ร้อยตรีหญิงณัฐสิมาภรณ์") is None
    # In the name's print it is, however sure the reading: "รุ่งเรืองทรัพย์ชัยกุล" read at 0.86, marks lost, a space made.
    sure = [*page[:2], TextLine("รูง เรองทรพยชยกล", 0.86, 66.0, (565, 894, 378, 105)), *page[3:]]
    assert wrapped_family_name(sure, 1, "ว่าที่ร้อยตรีหญิงณัฐสิมาภรณ์") == 2
    assert parse_fields(sure).sources["name"] == [1, 2]
    # A word read with little confidence is a family name as before, and joined.
    unsure = [*page[:2], TextLine("สิริโชติศักดิ์วัฒนา", 0.5, 66.0, (565, 894, 378, 105)), *page[3:]]
    assert parse_fields(unsure).name.value == "ว่าที่ร้อยตรีหญิงณัฐสิมาภรณ์ สิริโชติศักดิ์วัฒนา"
    # Gold print in a screenshot can come back as Latin letters.
    latin = [*page[:2], TextLine("asludsauwus", 0.54, 66.0, (565, 894, 378, 105)), *page[3:]]
    assert wrapped_family_name(latin, 1, "ว่าที่ร้อยตรีหญิงณัฐสิมาภรณ์") == 2


def test_a_wrapped_family_name_is_found_under_the_pieces_layout_analysis_cut_the_name_row_into() -> None:
    # A screenshot: the name's row came back as "จ่าอากาศเอกสันติ", "น" and "กด", in that order.
    page = [
        TextLine("ขอมอบประกาศนียบัตรฉบับนี้ให้เพื่อแสดงว่า", 0.87, 30.0, (468, 944, 615, 39)),
        TextLine("จ่าอากาศเอกสันติ", 0.92, 50.0, (509, 1064, 494, 57)),
        TextLine("น", 0.97, 30.0, (463, 1083, 40, 38)),
        TextLine("กด", 0.86, 30.0, (1053, 1083, 75, 37)),
        TextLine("สิริโชติรัตนพันธ์", 0.91, 50.0, (562, 1155, 431, 61)),
        TextLine("ได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด", 0.94, 25.0, (493, 1271, 566, 31)),
    ]
    assert wrapped_family_name(page, 1, "จ่าอากาศเอกสันติ") == 4
    assert parse_fields(page).sources["name"] == [1, 4]


def test_only_a_name_without_family_name_takes_the_next_line() -> None:
    page = lines("ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า\nนายสมชาย รักเรียน\nเกียรติกิจวัฒนพาณิชย์\nได้ผ่านการอบรม")
    assert wrapped_family_name(page, 1, "นายสมชาย รักเรียน") is None
    # Nor is the completion phrase, or a line after it, a family name.
    page = lines("ขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า\nนายสมชาย\nได้ผ่านการอบรม\nวิชา การบริหาร")
    assert wrapped_family_name(page, 1, "นายสมชาย") is None
    assert parse_fields(page).name.value == "นายสมชาย"
    # A line far under the name is not its second line.
    far = [
        TextLine("นางสาวมณี", 0.9, 40.0, (500, 700, 400, 60)),
        TextLine("ใจดี", 0.9, 40.0, (600, 860, 200, 60)),
        TextLine("ได้ผ่านการอบรม", 0.9, 20.0, (550, 960, 300, 30)),
    ]
    assert wrapped_family_name(far, 0, "นางสาวมณี") is None


def test_a_name_line_read_without_its_marks_still_finds_its_wrapped_family_name() -> None:
    # Its box holds only the letters' bodies, so the gap to the family name's line is more
    # than one and a half of its height; the family name's box, marks and all, measures the print.
    page = [
        TextLine("ขอมอบประกาศนียบัตรฉบับนี้ให้เพื่อแสดงว่า", 0.9, 19.0, (549, 661, 551, 33)),
        TextLine("วาทรอยตรอานาจมนคง", 0.4, 40.0, (486, 820, 678, 42)),
        TextLine("ทองพงศ์สุวรรณสถิตย์", 0.8, 40.0, (496, 940, 652, 70)),
        TextLine("ได้ผ่านการพัฒนาทางไกลด้วยระบบอิเล็กทรอนิกส์", 0.9, 18.0, (533, 1075, 583, 28)),
    ]
    assert wrapped_family_name(page, 1, "วาทรอยตรอานาจมนคง") == 2


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("พันจ่าอากาศเอกหญิงวรินทร์ทิพย์ รุ่งเรืองศักดิ์วัฒนา", "พันจ่าอากาศเอกหญิง"),
        ("ว่าที่ร้อยเอกหญิงนันต์ตาชาร์ จันทร์โชติไพบูลย์ไพศาล", "ว่าที่ร้อยเอกหญิง"),
        ("เรือโทหญิงมณี ใจดี", "เรือโทหญิง"),
    ],
)
def test_female_forms_of_every_spelled_out_rank_are_titles(name: str, title: str) -> None:
    got = split_name(name)
    assert got is not None and got.title == title


def test_signer_is_not_the_learner() -> None:
    got, _ = parse_name(lines("(นายปิยวัฒน์ ศิวรักษ์)\nเลขาธิการคณะกรรมการข้าราชการพลเรือน"))
    assert got is None


# --- titles -------------------------------------------------------------------------------


def test_curriculum_title() -> None:
    title, kind, printed = parse_title(lines(SAMPLE_TEXT))
    assert title is not None and title.value == "ผู้นำทีมที่มีประสิทธิภาพ"
    assert kind is not None and kind.value == "curriculum"
    assert printed == ["ผู้นำทีมที่มีประสิทธิภาพ"]


def test_course_title() -> None:
    title, kind, _ = parse_title(lines("นายสมชาย รักเรียน\nวิชา การคิดเชิงออกแบบ (Design Thinking)\n(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)"))
    assert title is not None and title.value == "การคิดเชิงออกแบบ (Design Thinking)"
    assert kind is not None and kind.value == "course"


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("เทคนิคงานสารบรรณอิเล็กทรอนิกส์ รุ่นที 2", "เทคนิคงานสารบรรณอิเล็กทรอนิกส์ รุ่นที่ 2"),  # tone mark lost
        ("การบริหารโครงการ ครั้งที ๓", "การบริหารโครงการ ครั้งที่ 3"),  # Thai digits read as Latin
        ("การบริหารโครงการ รุ่นที่ 2", "การบริหารโครงการ รุ่นที่ 2"),
        ("การทำงานเป็นทีม", "การทำงานเป็นทีม"),  # "ที" of another word is no ordinal
        ("การประเมินผลโครงการรุ่นที่ 2", "การประเมินผลโครงการ รุ่นที่ 2"),  # the space before the cohort lost
        ("การสร้างรุ่นที่ดี", "การสร้างรุ่นที่ดี"),  # no number: no cohort
        ("การออกแบบระบบงาน [Advanced]", "การออกแบบระบบงาน (Advanced)"),  # round brackets read square
        ("การเงินส่วนบุคคลสำหรับผู้บริหารระดับต้น oe. ocr ae 4", "การเงินส่วนบุคคลสำหรับผู้บริหารระดับต้น"),  # scraps
        ("การใช้ AI ในงาน ed 3", "การใช้ AI ในงาน ed 3"),  # one scrap is no run of them
        ("เทคนิคการทำงานเป็นทีม gun 2", "เทคนิคการทำงานเป็นทีม รุ่นที่ 2"),  # the cohort read as a Latin word
        ("การประยุกต์ใช้นวัตกรรมท้องถิ่น suf 2", "การประยุกต์ใช้นวัตกรรมท้องถิ่น รุ่นที่ 2"),
        ("การใช้งาน Excel 2", "การใช้งาน Excel 2"),  # a Latin word of the title's own
        ("การควบคุมภายในสำหรับผู้บริหารระดับตัน", "การควบคุมภายในสำหรับผู้บริหารระดับต้น"),  # mai tho read as mai han-akat
        ("งานสารบรรณสำหรับผู้บริหารระดับด้น", "งานสารบรรณสำหรับผู้บริหารระดับต้น"),  # ต read as ด
        ("5 การออกแบบการทำงานเป็นทีม", "การออกแบบการทำงานเป็นทีม"),  # the keyword's last letter read as a digit
        ("3 แนวทางการผู้นำทีม", "แนวทางการผู้นำทีม"),  # its first word may start with a leading vowel
        ("5 ส เพื่อการพัฒนาองค์กร", "5 ส เพื่อการพัฒนาองค์กร"),  # a digit before a one-letter word is the title's
    ],
)
def test_title_ordinals_and_brackets_are_printed_as_titles_print_them(printed: str, expected: str) -> None:
    title, _, _ = parse_title(lines(f"วิชา {printed}\n(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)"))
    assert title is not None and title.value == expected


def test_title_wrapped_over_two_lines() -> None:
    text = (
        "วิชา ความรู้เกี่ยวกับการดำเนินคดีอาชญากรรมทางเทคโนโลยี\n"
        "(Knowledge of the prosecution of cybercrime)\n"
        "(รวมระยะเวลาทั้งสิ้น 2 ชั่วโมง)"
    )
    title, _, printed = parse_title(lines(text))
    assert title is not None
    assert title.value == "ความรู้เกี่ยวกับการดำเนินคดีอาชญากรรมทางเทคโนโลยี (Knowledge of the prosecution of cybercrime)"
    assert len(printed) == 2


def test_last_word_of_a_title_alone_on_its_line_is_kept() -> None:
    # "ต้น" read without its tone mark has only two letters, like debris.
    text = "วิชา การเสริมสร้างนวัตกรรมท้องถิ่นสำหรับผู้บริหารระดับ\nตน\n(รวมระยะเวลาทั้งสิ้น 24 ชม.)"
    title, _, _ = parse_title(lines(text))
    assert title is not None and title.value == "การเสริมสร้างนวัตกรรมท้องถิ่นสำหรับผู้บริหารระดับตน"
    # Debris read with little confidence is still left out.
    unsure = lines(text)
    unsure[1] = TextLine("ตน", 0.4)
    title, _, _ = parse_title(unsure)
    assert title is not None and title.value == "การเสริมสร้างนวัตกรรมท้องถิ่นสำหรับผู้บริหารระดับ"


def test_a_cohort_number_wrapped_alone_onto_the_next_line_is_kept() -> None:
    text = "หลักสูตร ความรู้เบื้องต้นเกี่ยวกับการประเมินผลโครงการ รุ่นที่\n2\n(รวมระยะเวลาทั้งสิ้น 10 ชั่วโมง)"
    title, _, _ = parse_title(lines(text))
    assert title is not None and title.value == "ความรู้เบื้องต้นเกี่ยวกับการประเมินผลโครงการ รุ่นที่ 2"
    # A digit after a title that does not end in a cohort word is debris.
    text = "หลักสูตร ความรู้เบื้องต้นเกี่ยวกับการประเมินผลโครงการ\n2\n(รวมระยะเวลาทั้งสิ้น 10 ชั่วโมง)"
    title, _, _ = parse_title(lines(text))
    assert title is not None and title.value == "ความรู้เบื้องต้นเกี่ยวกับการประเมินผลโครงการ"


def test_a_small_scrap_between_title_and_hours_is_no_wrapped_line() -> None:
    # A watermark's edge read as Latin letters, in a box far lower than the title's
    # and with letters far narrower: not a line of the title.
    title_line = TextLine("วิชา การบริหารจัดการนวัตกรรมท้องถิ่น", 0.94, 27.0, (480, 1020, 688, 43))
    hours = TextLine("(รวมระยะเวลาทั้งสิ้น 15 ชั่วโมง)", 0.9, 22.0, (628, 1148, 394, 30))
    scrap = TextLine("Ae RP eee", 0.68, 18.0, (832, 1133, 50, 18))
    title, _, _ = parse_title([title_line, scrap, hours])
    assert title is not None and title.value == "การบริหารจัดการนวัตกรรมท้องถิ่น"
    # A short wrapped word is low but as wide per letter as the title: it stays.
    tail = TextLine("องค์กร", 0.95, 20.0, (780, 1080, 110, 20))
    title, _, _ = parse_title([title_line, tail, hours])
    assert title is not None and title.value == "การบริหารจัดการนวัตกรรมท้องถิ่นองค์กร"


def test_thai_wrap_joins_without_space() -> None:
    text = "หลักสูตร การพัฒนาทักษะการสื่อสารเชิงกลยุทธ์\nสำหรับผู้บริหารระดับต้น\nให้ไว้ ณ วันที่ 1 มีนาคม 2566"
    title, kind, _ = parse_title(lines(text))
    assert title is not None and title.value == "การพัฒนาทักษะการสื่อสารเชิงกลยุทธ์สำหรับผู้บริหารระดับต้น"
    assert kind is not None and kind.value == "curriculum"


def test_keyword_alone_on_its_line() -> None:
    title, kind, _ = parse_title(lines("วิชา\nการบริหารโครงการ\n(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)"))
    assert title is not None and title.value == "การบริหารโครงการ"
    assert kind is not None and kind.value == "course"


def test_noisy_keyword() -> None:
    title, kind, _ = parse_title(lines("หลักสูดร ผู้นำทีมที่มีประสิทธิภาพ\n(รวมระยะเวลาทั้งสิ้น 45 ชั่วโมง)"))
    assert title is not None and title.value == "ผู้นำทีมที่มีประสิทธิภาพ"
    assert kind is not None and kind.value == "curriculum"
    # The long keyword with two slips ("ตร" read "3").
    title, kind, _ = parse_title(lines("หลักสู3 การพัฒนาทักษะผู้นำทีม\n(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)"))
    assert title is not None and title.value == "การพัฒนาทักษะผู้นำทีม"
    assert kind is not None and kind.value == "curriculum"


@pytest.mark.parametrize("keyword", ["จิชา", "วิซา"])
def test_course_keyword_one_letter_off_standing_alone(keyword: str) -> None:
    title, kind, _ = parse_title(lines(f"{keyword} การคิดสร้างสรรค์และนวัตกรรม\n(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)"))
    assert title is not None and title.value == "การคิดสร้างสรรค์และนวัตกรรม"
    assert kind is not None and kind.value == "course"


def test_a_word_one_letter_from_the_keyword_starts_a_title() -> None:
    # "วิชชา" (knowledge) is a word one letter from "วิชา": the title's, not a misread keyword.
    title, kind, _ = parse_title(lines("ได้ผ่านการอบรม\nวิชชา ทักษะดิจิทัล\n(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)"))
    assert title is not None and title.value == "วิชชา ทักษะดิจิทัล"
    assert kind is None


def test_completion_phrase_is_not_a_curriculum() -> None:
    # "หลักเกณฑ์" is not "หลักสูตร".
    title, _, _ = parse_title(lines("ได้สำเร็จการศึกษาตามหลักเกณฑ์ที่กำหนด\n(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)"))
    assert title is None


def test_keyword_glued_to_title() -> None:
    # OCR dropped the space: "วิชาการบริหารโครงการ" is "วิชา" + "การบริหารโครงการ".
    title, kind, _ = parse_title(lines("วิชาการบริหารโครงการ\n(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)"))
    assert title is not None and title.value == "การบริหารโครงการ"
    assert kind is not None and kind.value == "course"


def test_old_wording_keyword_inside_line() -> None:
    title, kind, _ = parse_title(lines("ได้ผ่านการอบรมหลักสูตร การเขียนหนังสือราชการ\nให้ไว้ ณ วันที่ 1 มีนาคม 2560"))
    assert title is not None and title.value == "การเขียนหนังสือราชการ"
    assert kind is not None and kind.value == "curriculum"


def test_join_wrapped() -> None:
    assert join_wrapped(["การสร้าง Growth Mindset", "เพื่อผลสำเร็จ"]) == "การสร้าง Growth Mindset เพื่อผลสำเร็จ"
    assert join_wrapped(["ภาษาอังกฤษ :", "การเขียน"]) == "ภาษาอังกฤษ : การเขียน"
    assert join_wrapped(["การพัฒนา", "ทรัพยากรบุคคล"]) == "การพัฒนาทรัพยากรบุคคล"


# --- issuers ------------------------------------------------------------------------------


def test_issuers_with_partner() -> None:
    got = parse_issuers(lines(SAMPLE_TEXT), before=3)
    assert got is not None
    assert got.value == [OCSC_FULL, "ศูนย์อำนวยการบริหารจังหวัดชายแดนภาคใต้"]


def test_issuer_short_form_and_partner_on_same_line() -> None:
    got = parse_issuers(lines("สำนักงาน ก.พ.\nร่วมกับ สถาบันพระปกเกล้า\nขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า"), before=2)
    assert got is not None and got.value == [OCSC_SHORT, "สถาบันพระปกเกล้า"]


def test_noisy_ocsc_name_is_canonical() -> None:
    got = parse_issuers(lines("สำนักงานคณะกรรมการข้าราชการพลเรีอน\nขอมอบ"), before=1)
    assert got is not None and got.value == [OCSC_FULL]


def test_partner_wrapped_over_two_lines() -> None:
    text = "สำนักงาน ก.พ.\nร่วมกับ\nสำนักงานคณะกรรมการป้องกันและ\nปราบปรามการทุจริตแห่งชาติ\nขอมอบประกาศนียบัตรนี้เพื่อแสดงว่า"
    got = parse_issuers(lines(text), before=4)
    assert got is not None
    assert got.value == [OCSC_SHORT, "สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตแห่งชาติ"]


def test_other_issuer_without_ocsc() -> None:
    got = parse_issuers(lines("กรมบัญชีกลาง\nขอมอบวุฒิบัตรนี้ให้แก่"), before=1)
    assert got is not None and got.value == ["กรมบัญชีกลาง"]


def test_signer_position_is_not_an_issuer() -> None:
    got = parse_issuers(lines("เลขาธิการคณะกรรมการข้าราชการพลเรือน"))
    assert got is None or OCSC_FULL not in got.value


# --- the whole page -----------------------------------------------------------------------


def test_parse_fields_on_sample_text() -> None:
    f = parse_fields(lines(SAMPLE_TEXT))
    assert f.name is not None and f.name.value == "นายสมชาย รักเรียน"
    assert f.title is not None and f.title.value == "ผู้นำทีมที่มีประสิทธิภาพ"
    assert f.kind is not None and f.kind.value == "curriculum"
    assert f.hours is not None and f.hours.value == 45
    assert f.completed_on is not None and f.completed_on.value == dt.date(2023, 12, 13)
    assert f.issuers is not None and f.issuers.value[0] == OCSC_FULL
    assert f.anchors >= 4 and f.found() == 4


def test_parse_fields_old_wording() -> None:
    text = """สำนักงาน ก.พ.
ประกาศนียบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า
ว่าที่ ร.ต. สมศักดิ์ ใจงาม
ได้ผ่านการอบรม
วิชา การเขียนหนังสือราชการ
รวมระยะเวลา ๖ ชม.
ให้ไว้ ณ วันที่ ๒ ก.ย. ๖๕"""
    f = parse_fields(lines(text))
    assert f.name is not None and f.name.value == "ว่าที่ ร.ต. สมศักดิ์ ใจงาม"
    assert f.title is not None and f.title.value == "การเขียนหนังสือราชการ"
    assert f.hours is not None and f.hours.value == 6
    assert f.completed_on is not None and f.completed_on.value == dt.date(2022, 9, 2)


def test_not_a_certificate_has_no_anchors() -> None:
    f = parse_fields(lines("ใบเสร็จรับเงิน\nร้านกาแฟ\nรวม 120 บาท"))
    assert f.anchors <= 1 and f.found() == 0


def test_phrase_in_line_ignores_spaces_and_short_lines() -> None:
    assert phrase_in_line("เพื่อแสดงว่า", "ขอมอบ ประกาศนียบัตร นี้ เพื่อ แสดง ว่า")[0] == 1.0
    assert phrase_in_line("เพื่อแสดงว่า", "แสดง")[0] < 0.8


# --- catalog ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> list[CatalogEntry]:
    return load_catalog()


def test_catalog_loads_packaged_csv(catalog: list[CatalogEntry]) -> None:
    assert len(catalog) > 100
    assert any(e.code == "KD05" for e in catalog)
    assert all(e.kind in ("course", "curriculum") for e in catalog)


@pytest.mark.parametrize(
    ("read", "code"),
    [
        ("การคิดเชิงออกแบบ (Design Thinking)", "SL04"),
        ("การคิดเชิงออกแบบ Design Thinking", "SL04"),  # brackets lost
        ("การคิดเชิงออกแบบ (Desigm Thinking)", "SL04"),  # one Latin letter wrong
        ("การคิด เชิง ออกแบบ (Design Thinking)", "SL04"),  # spurious spaces
        ("พระราชบัญญัติการจัดซื้อจัดจ้างและการบริหารพัสดุภาครัฐ พ.ศ. 256O", "KD05"),  # O for 0
        ("ความมั่นคงปลอดภัยบนอินเทอร์เน็ตและการปฏิบัติตนสําหรับข้าราชการยุคดิจทัล", "DS03"),
        ("Microsoft Office Excel 2016", "DS06"),
        ("Data Visualization 2", "DS02"),
        ("Data Visualization", "DS01"),
        ("KD05", "KD05"),  # a printed code
        ("0คะ เครื่องมือวางเป้าหมายองค์กรยุคใหม่", "SL42"),  # "OKRs" garbled: matched on the Thai
        ("การสร้าง 602ป่า Mindset เพื่อผลสำเร็จของชีวิตและงาน", "MS04"),  # "Growth" garbled
        ("Fen EQ กับการพัฒนาภาวะผู้นำ", "SL13"),  # a rotated page's edge read as a word
        ("347 AI Skills for All", "DS27"),  # ... or as a number
        ("Al Skills for AU", "DS27"),  # capital I and small l are one stroke in sans faces
        ("AI SkiIIs for AU", "DS27"),
        ("กาวใช้ ให103086ธ 6ธะ331 เพื่อการบริหารข้อมูล", "DS08"),  # "Microsoft Excel" read as digits and letters
    ],
)
def test_near_miss_titles_match(catalog: list[CatalogEntry], read: str, code: str) -> None:
    m = match_course(read, catalog)
    assert m is not None and m.code == code


@pytest.mark.parametrize(
    "read",
    [
        "ผู้นำทีมที่มีประสิทธิภาพ",  # the shared sample: not in the catalog
        "Microsoft Office Excel 2019",  # another edition
        "การพัฒนาทักษะการสื่อสารเชิงกลยุทธ์สำหรับหัวหน้างาน",
        "การเงินการคลังภาครัฐ",
        "การสร้าง Team Spirit เพื่อผลสำเร็จของชีวิตและงาน",  # the Thai of MS04, but Latin read clearly and not its
        "0คะ เครื่องมือวางเป้าหมาย",  # too little Thai left to go on
        # The first line of KD61 ("…คดีความผิดเกี่ยวกับการค้ามนุษย์ (Knowledge …)"), near KD58's Thai ("…คดียาเสพติด")
        "ความรู้เกี่ยวกับกระบวนการยุติธรรมทางอาญาในการดำเนินคดีความผิด",
        "ภาวะผู้นำเชิงสร้างสรรค์",
        "Data",  # nothing left once a first word is set aside
        "Al Basics for AU",  # folding I and l forces no other course
        "Fen การเงินการคลังภาครัฐ",  # setting a first word aside forces nothing either
        "2 การเงินการคลังภาครัฐ",
        "การสอนงาน 00ล50กร31",  # a garbled word set aside leaves too little Thai to go on
        "",
    ],
)
def test_unrelated_titles_not_forced(catalog: list[CatalogEntry], read: str) -> None:
    assert match_course(read, catalog) is None


def test_duplicate_names_disambiguated_by_kind(catalog: list[CatalogEntry]) -> None:
    m = match_course("การบริหารจัดการภาครัฐแนวใหม่", catalog, kind="curriculum")
    assert m is not None and m.code == "mini MPM"
    m = match_course("การบริหารจัดการภาครัฐแนวใหม่", catalog, kind="course")
    assert m is not None and m.code == "SL30"


def test_duplicate_names_same_kind_keep_name_not_code(catalog: list[CatalogEntry]) -> None:
    m = match_course("ภาวะผู้นำ", catalog, kind="course")  # SL39 and SL55
    assert m is not None and m.name == "ภาวะผู้นำ" and m.code is None and m.ambiguous


def test_match_accepts_rows_as_dicts_and_objects() -> None:
    class Row:
        def __init__(self, code: str, name: str) -> None:
            self.code, self.name, self.kind = code, name, "course"

    rows = [{"code": "X1", "name": "การบริหารโครงการ", "kind": "course"}, Row("X2", "การวางแผนกลยุทธ์")]
    assert match_course("การบริหารโครงการ", rows).code == "X1"
    assert match_course("การวางแผนกลยุทธ", rows).code == "X2"


def test_title_key_ignores_spacing_and_punctuation() -> None:
    assert title_key("การคิด (Design  Thinking)") == title_key("การคิด Design Thinking")


# --- OCR clean-up helpers -------------------------------------------------------------------


def test_consensus_takes_letter_majority() -> None:
    from certificates.consensus import consensus

    reads = ["นายอินแก้ว นามวงศ์", "นายอิ่นแก้ว นามวงศ์", "นายอิ่นแก้ว นามวงค์"]
    assert consensus(reads) == "นายอิ่นแก้ว นามวงศ์"
    assert consensus(["abc", "abd", "abc"]) == "abc"
    assert consensus(["only"]) == "only"
    assert consensus(["", None]) is None  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("จำเอกสุพรชัย เนตรรังษี", "จ่าเอกสุพรชัย เนตรรังษี"),  # "่า" read as "ำ"
        ("จำที่ร้อยตรีหญิงณัฐภูมิ สายแก้วเทศ", "ว่าที่ร้อยตรีหญิงณัฐภูมิ สายแก้วเทศ"),
        ("โร้อยตำรวจเอกทวีวุฒิ ลีธีระ", "ร้อยตำรวจเอกทวีวุฒิ ลีธีระ"),
        ("นายสมชาย รักเรียน", "นายสมชาย รักเรียน"),  # already a title: untouched
        ("นางคำ ดี", "นางคำ ดี"),
        ("สมศักดิ์ ใจงาม", "สมศักดิ์ ใจงาม"),  # no title, nothing close to one
        ("พางแสงเดือน ประจิตร", "นางแสงเดือน ประจิตร"),  # a short title, one look-alike letter off
        ("พายดาลี่ พีระเกียรติขจร", "นายดาลี่ พีระเกียรติขจร"),
        ("ตร.จิรดา เจียกขจร", "ดร.จิรดา เจียกขจร"),
        ("พายุ ใจดี", "พายุ ใจดี"),  # a given name: "ุ" cannot follow a title
        ("มานพ ดีใจ", "มานพ ดีใจ"),  # "มาน" is no look-alike of "นาง" or "นาย"
        ("นาจ ใจดี", "นาจ ใจดี"),  # no name behind the title
        ("พาขสมชาย รักเรียน", "พาขสมชาย รักเรียน"),  # two letters off: not guessed
        ("ที่ร้อยตรีสิทธิเดนาย ศรีระพันธ์", "ว่าที่ร้อยตรีสิทธิเดนาย ศรีระพันธ์"),  # "ว่า" lost
        ("ที่ ร.ต. สมชาย ใจดี", "ว่าที่ ร.ต. สมชาย ใจดี"),
        ("ว่าที่ร้อยตรีหณิงสุมานัส พันธุ์พวง", "ว่าที่ร้อยตรีหญิงสุมานัส พันธุ์พวง"),  # ญ read as ณ
        ("ร้อยเอกหยิงพัชรา ใจดี", "ร้อยเอกหญิงพัชรา ใจดี"),
        ("ว่าที่ร้อยตรีหมิงชัย ใจดี", "ว่าที่ร้อยตรีหมิงชัย ใจดี"),  # no look-alike of หญิง: a given name
    ],
)
def test_fix_title(read: str, fixed: str) -> None:
    from certificates.person_names import fix_title

    assert fix_title(read) == fixed


@pytest.mark.parametrize("hash_seed", ["0", "1", "2", "3", "4", "5"])
def test_a_rank_misread_to_fit_several_is_the_commonest_in_every_process(hash_seed: str) -> None:
    # "ร.3." is one letter from ร.ต., ร.ท. and ร.อ.; the titles were once tried
    # in set order, so the guess changed with Python's string hash seed.
    import os
    import subprocess
    import sys

    code = "from certificates.person_names import fix_title; print(fix_title('ว่าที่ ร.3. รอม บุญชัย'))"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ว่าที่ ร.ต. รอม บุญชัย"


def test_rejoin_split_parts() -> None:
    from certificates.person_names import rejoin_split_parts

    assert rejoin_split_parts("นางสาวเจ๊ะฟาตีเมาะ แพรไพศา ล") == "นางสาวเจ๊ะฟาตีเมาะ แพรไพศาล"
    assert rejoin_split_parts("นายสมชาย ณ อยุธยา") == "นายสมชาย ณ อยุธยา"  # the particle stays


def test_thai_digit_decoding_respects_slot() -> None:
    import numpy as np

    from certificates.thai_digits import decode_digits

    # Glyph 1 looks more like ๔ than ๕; a BE year on a certificate is 25xx.
    probs = np.full((4, 10), 0.01)
    probs[0, 2] = 0.9
    probs[1, 4], probs[1, 5] = 0.6, 0.3
    probs[2, 6] = 0.9
    probs[3, 6] = 0.9
    nothing_else = np.zeros(4)
    assert decode_digits(probs, None, nothing_else)[0] == "2466"
    assert decode_digits(probs, lambda s: s.startswith("25"), nothing_else)[0] == "2566"


def test_thai_digit_decoding_leaves_out_a_glyph_no_reading_allows() -> None:
    import numpy as np

    from certificates.ocr import plausible_day
    from certificates.thai_digits import decode_digits

    # "๒๒" with a bracket-like stroke after it, read as a third digit: no day has three digits.
    probs = np.full((3, 10), 0.01)
    probs[0, 2] = probs[1, 2] = 0.95
    probs[2, 5] = 0.6
    not_thai = np.array([0.0, 0.05, 0.7])
    text, kept = decode_digits(probs, plausible_day, not_thai)
    assert (text, kept) == ("22", [0, 1])
    # Where a reading of every glyph fits, none is left out.
    assert decode_digits(probs[:2], plausible_day, not_thai[:2]) == ("22", [0, 1])


def test_plausible_thai_digit_years() -> None:
    from certificates.ocr import plausible_year

    assert plausible_year("2567") and plausible_year("67") and plausible_year("43")
    # Two digits are a BE year too: "07" would be 2507 (1964), "33" 2533 (1990), before any e-learning certificate.
    assert not plausible_year("07") and not plausible_year("2507") and not plausible_year("2025")
    assert not plausible_year("33") and not plausible_year("2533")


def test_hours_slot_takes_letters_read_for_thai_digits() -> None:
    from certificates.ocr import HOURS_SLOT

    def slots(text: str) -> list[str]:
        return [m.group(1) for m in HOURS_SLOT.finditer(text)]

    assert slots("(รวมระยะเวลาทั้งสิ้นว๐ชั่วโมง)") == ["ว๐"]  # ๖ read as ว
    assert slots("(รวมระยะเวลาทังสินmoชัวโมง)") == ["mo"]  # marks lost around ๓๐ read as Latin
    assert slots("รวมระยะเวลา«ชัวโมง") == ["«"]
    assert slots("ทั้งสิ้นร๕ชม.") == ["ร๕"]


def test_thai_digit_model_ships() -> None:
    from certificates.thai_digits import model_available

    assert model_available()


def test_truncated_long_title_matches_when_unique(catalog: list[CatalogEntry]) -> None:
    # The last wrapped line of a long title was lost.
    read = "ความรู้เกี่ยวกับการดำเนินคดีป่าไม้ คดีทรัพยากรธรรมชาติและสิ่งแวดล้อม (Knowledge of the prosecution of Forestry, Natural Resource"
    m = match_course(read, catalog)
    assert m is not None and m.code == "KD65"
    # A prefix shared by several courses is not guessed.
    assert match_course("ความรู้เกี่ยวกับกระบวนการยุติธรรมทางอาญาในการดำเนินคดี", catalog) is None


def test_drop_stray_consonants_in_titles(catalog: list[CatalogEntry]) -> None:
    from certificates.thai_text import drop_stray_consonants

    assert drop_stray_consonants("การออกแบบงานสารบรรณลอิเล็กทรอนิกส์") == "การออกแบบงานสารบรรณอิเล็กทรอนิกส์"
    assert drop_stray_consonants("สำหรับชข้าราชการ") == "สำหรับข้าราชการ"
    assert drop_stray_consonants("สำนักงาน ก.พ.") == "สำนักงาน ก.พ."
    assert drop_stray_consonants("การบริหารงาน ณ จังหวัดสตูล") == "การบริหารงาน ณ จังหวัดสตูล"
    # Never changes a real course title.
    assert all(drop_stray_consonants(e.name) == e.name for e in catalog)


@pytest.mark.parametrize(
    "read, expected",
    [
        ("นายนัฐฑมล (พลชมชื่น", "นายนัฐฑมล พลชมชื่น"),  # a bracket with no partner is debris
        ("(นางสาวสมหญิง ใจดี)", "นางสาวสมหญิง ใจดี"),
        ("ตดร.ขจรเกียรติ นาคสิงห์คราญ", "ดร.ขจรเกียรติ นาคสิงห์คราญ"),  # one letter of debris before a dotted title
        ("ว่าที่ ร.ต. สมชาย ใจดี", "ว่าที่ ร.ต. สมชาย ใจดี"),
        ("นายสมชาย รักเรียน", "นายสมชาย รักเรียน"),
        ("ดนัย ใจดี", "ดนัย ใจดี"),  # no title at all: nothing is cut
        ("พนางภัทรพรรณ เพ็ชรจินดา", "นางภัทรพรรณ เพ็ชรจินดา"),  # one letter of debris before a title
        ("แนายสมชาย รักเรียน", "นายสมชาย รักเรียน"),
        ("สนางค์", "สนางค์"),  # no given and family name would follow
        ("ดร จีพร เรี่ยวยา", "ดร.จีพร เรี่ยวยา"),  # a title's lost dot
        ("ผศ.ดร วุฒิพร ชนะพล", "ผศ.ดร.วุฒิพร ชนะพล"),
        ("ดร. จีพร เรี่ยวยา", "ดร.จีพร เรี่ยวยา"),  # a gap OCR saw after the title's dot
        ("น.ส. สมใจ ใจดี", "น.ส.สมใจ ใจดี"),
        ("นาง สมศรี ใจดี", "นาง สมศรี ใจดี"),  # undotted titles stay as printed
        ("นาง สาวกฤติภาส สุขอาษา", "นางสาวกฤติภาส สุขอาษา"),  # a gap inside a title
        ("นาง สาวิตรี ใจดี", "นาง สาวิตรี ใจดี"),  # "นางสาว" would leave a vowel to start the name
        ("ว่าที่ ร้อยตรีสมชาย ใจดี", "ว่าที่ร้อยตรีสมชาย ใจดี"),
        ("ว่าที่ ร. ต. นูรีรัน บูชา", "ว่าที่ ร.ต. นูรีรัน บูชา"),  # a gap after a dot inside the title
        ("ผศ. ดร.ชาน ศุภราสิงห์", "ผศ.ดร.ชาน ศุภราสิงห์"),
    ],
)
def test_clean_name_line_drops_debris(read: str, expected: str) -> None:
    from certificates.person_names import clean_name_line

    assert clean_name_line(read) == expected
