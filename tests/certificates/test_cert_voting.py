"""How disagreeing OCR readings of one line are settled: letter votes, dictionary words, name lists."""

from __future__ import annotations

import pytest

from certificates.consensus import consensus, consensus_by_words
from certificates.known_names import is_listed, prefer_listed_name, space_run_together
from certificates.thai_text import one_letter_word_repairs, thai_word_cost, title_word_cost


def test_consensus_takes_each_letters_majority() -> None:
    assert consensus(["กรรมการ", "กรรนการ", "กรรมกาs"]) == "กรรมการ"


def test_consensus_of_nothing_is_none() -> None:
    assert consensus([]) is None
    assert consensus_by_words(["", ""], thai_word_cost) is None


def test_misread_letters_cost_more_than_words() -> None:
    assert thai_word_cost("การออกแบบ") < thai_word_cost("ถารออกแบน")
    assert thai_word_cost("การบริการประชาชน") < thai_word_cost("กถารบริการประชาชน")
    assert thai_word_cost("Digital Literacy") == 0


def test_words_settle_what_the_votes_leave_open() -> None:
    # Two readings, each wrong in a different place: no majority anywhere they differ.
    readings = ["ถารพัฒนาทักษะการบริการ", "การพัฒนาทักษะกถารบริการ"]
    assert consensus(readings) == readings[0]
    assert consensus_by_words(readings, thai_word_cost) == "การพัฒนาทักษะการบริการ"


def test_words_do_not_overrule_a_clear_majority() -> None:
    # "ถา" is outvoted two to one even though the words would not mind it.
    readings = ["การออกแบบ", "การออกแบบ", "ถารออกแบบ"]
    assert consensus_by_words(readings, thai_word_cost) == "การออกแบบ"


def test_listed_spelling_from_another_reading_wins() -> None:
    assert is_listed("ซัยนับ", family=False) and not is_listed("ชัยนับ", family=False)
    voted = "นางสาวชัยนับ แซ่ว่าง"
    others = ["นางสาวชัยนับ แซ่ว่าง", "น า ง ส า ว ซั ย นั บ แซ ว่ า ง"]
    assert prefer_listed_name(voted, others) == "นางสาวซัยนับ แซ่ว่าง"


def test_family_name_is_chosen_on_its_own() -> None:
    voted = "นายธีรพันธุ์ ทัวมเจริญ"
    others = ["น า ย ธี ร พั น ธุ ท้ ว ม เจ ริ ญ"]  # this model lost the first name's last mark
    assert prefer_listed_name(voted, others) == "นายธีรพันธุ์ ท้วมเจริญ"


def test_unlisted_name_is_kept_as_read() -> None:
    # No reading offers a listed spelling: the lists never invent one.
    voted = "นายสมชาย รักเรียน"
    assert not is_listed("รักเรียน", family=True)
    assert prefer_listed_name(voted, ["นายสมชาย รักเรียน", "นายสมชาย รักเรียม"]) == voted


def test_spaced_title_is_kept() -> None:
    voted = "ว่าที่ ร.ต. ชัยนับ แซ่ว่าง"
    assert prefer_listed_name(voted, ["ว่าที่ร.ต.ซัยนับแซ่ว่าง"]) == "ว่าที่ ร.ต. ซัยนับ แซ่ว่าง"


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("นางสมธีร์โอทอง", "นางสมธีร์ โอทอง"),  # the gap between given and family name was lost
        ("ว่าที่ ร.ต. สมธีร์โอทอง", "ว่าที่ ร.ต. สมธีร์ โอทอง"),
        ("นางสมธีร์ โอทอง", "นางสมธีร์ โอทอง"),  # already spaced
        ("นายสมชายรักเรียน", "นายสมชายรักเรียน"),  # no listed family name to cut at: no guess
        ("นางสาวสุดารัตน์", "นางสาวสุดารัตน์"),  # a lone given name gains no family name
        ("นายประเสริฐ", "นายประเสริฐ"),
    ],
)
def test_run_together_name_is_spaced_only_at_listed_parts(read: str, expected: str) -> None:
    assert space_run_together(read) == expected


def test_line_that_is_not_title_first_last_is_untouched() -> None:
    assert prefer_listed_name("ประกาศนียบัตรฉบับนี้", ["ประกาศนียบัตร"]) == "ประกาศนียบัตรฉบับนี้"


def test_letters_outside_words_cost_more_than_extra_pieces() -> None:
    # Dropping marks can glue letters into one unknown piece; that must not look like a better reading.
    assert thai_word_cost("พื้นฐานเกี่ยวกับ") < thai_word_cost("พืฐานเียวกบ")


def test_name_cost_prefers_a_title_words_and_possible_spelling() -> None:
    from certificates.known_names import name_line_cost

    assert name_line_cost("นางสาวปรียาวลัย ธรรมพิวรรณรงค์") < name_line_cost("นางสาวปรียาวลัย รรรมพิวรรณรงค์")
    assert name_line_cost("นายสุราษ แสงมีสี") < name_line_cost("แายสุราษ แสงมีสี")  # no title
    assert name_line_cost("นายบุญรุ่ง เสมอภาพ") < name_line_cost("นายบุญรุ่งเสมอภาพ")  # no family name
    assert name_line_cost("นางสมศรี ใจดี") < name_line_cost("นางสมศรี ใจดีี")  # two upper vowels


def test_a_name_letter_outvoted_by_one_wins_where_it_reads_as_a_name() -> None:
    from certificates.known_names import name_line_cost

    # Three readings of a loopless face take "ธ" for "ร", two read it; the words settle it.
    readings = ["นางสาวเหมรงฤทธิ์ คำรนะเวทย์"] * 3 + ["นางสาวเหมรงฤทธิ์ คำธนะเวทย์"] * 2
    assert consensus(readings) == readings[0]
    assert consensus_by_words(readings, name_line_cost, vote_cost=1.0) == "นางสาวเหมรงฤทธิ์ คำธนะเวทย์"


def test_a_name_letter_far_outvoted_keeps_the_majority() -> None:
    from certificates.known_names import name_line_cost

    # Four readings of an unlisted name against one that happens to spell a word: the votes hold.
    readings = ["นายเสริพฤทธิ์ กิจอำปะมา"] * 4 + ["นายเสรีพฤทธิ์ กิจอำปะมา"]
    assert consensus_by_words(readings, name_line_cost, vote_cost=1.0) == "นายเสริพฤทธิ์ กิจอำปะมา"


def test_respace_takes_the_spacing_of_another_reading() -> None:
    from certificates.consensus import respace

    # The Thai-script model spaces clusters, not words: its letters, the other model's spaces.
    assert respace("นางสาวณัฐธัญโพธิวงค์", "พางสาวณัฐรัญ โพธิวงค์") == "นางสาวณัฐธัญ โพธิวงค์"
    assert respace("ว่าที่ร.ต.ทิพยรอซีสามสูงระเวก", "ว่าที่ ร.ต. ทิพยรอชี สามสูงระเวก") == "ว่าที่ ร.ต. ทิพยรอซี สามสูงระเวก"
    assert respace("น า ย ส ม ช า ย", "นายสมชาย") == "นายสมชาย"


def test_respace_does_not_split_a_number_that_gained_a_digit() -> None:
    from certificates.consensus import respace

    # The digit one reading has and the other lacks aligns either side of the space before it.
    assert respace("วันที่ 77 พฤษภาคม", "วันที่ 7 พฤษภาคม") == "วันที่ 77 พฤษภาคม"
    assert respace("วันที่ 17 พฤษภาคม", "วันที่ 7 พฤษภาคม") == "วันที่ 17 พฤษภาคม"
    assert respace("วันที่ 177 พฤษภาคม", "วันที่ 17 พฤษภาคม") == "วันที่ 177 พฤษภาคม"
    # A space between two numbers stays between them.
    assert respace("1234", "12 34") == "12 34"


@pytest.mark.parametrize(
    ("right", "misread"),
    [
        ("ในยุคดิจิทัล", "ในยุดดิจิทัล"),  # "ยุด" is a word, but a rare one
        ("การสื่อสารเชิงกลยุทธ์", "การสื่อสารเซิงกลยุทธ์"),
        ("สำหรับข้าราชการ", "สำหรับย้าราชการ"),
        ("การวางแผน", "ถารวางแผน"),
    ],
)
def test_rare_words_cost_more_in_titles(right: str, misread: str) -> None:
    assert title_word_cost(right) < title_word_cost(misread)


def test_common_words_and_latin_cost_no_rarity() -> None:
    assert title_word_cost("การเงิน") == thai_word_cost("การเงิน")
    assert title_word_cost("Data Analytics") == 0


@pytest.mark.parametrize(
    ("misread", "right"),
    [
        ("ข้อมูลเปิดภาครัฐ รุ่แที่ 2", "ข้อมูลเปิดภาครัฐ รุ่นที่ 2"),  # a letter replaced
        ("การบริหารเจินสำหรับข้าราชการ", "การบริหารเงินสำหรับข้าราชการ"),
        ("การประเมินผลโคงการ", "การประเมินผลโครงการ"),  # a letter lost
    ],
)
def test_a_piece_that_is_no_word_has_its_one_letter_repair(misread: str, right: str) -> None:
    assert right in one_letter_word_repairs(misread)


def test_repairs_leave_words_and_latin_alone() -> None:
    # Every piece is a word (or not Thai): nothing to repair, so no candidates to judge.
    assert one_letter_word_repairs("การวางแผนการเงิน Data Analytics 2") == set()
    # Only the piece that is no word changes; the rest of the line stays as read.
    assert all(r.startswith("การบริหาร") and r.endswith("สำหรับข้าราชการ")
               for r in one_letter_word_repairs("การบริหารเจินสำหรับข้าราชการ"))
