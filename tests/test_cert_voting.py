"""How disagreeing OCR readings of one line are settled: letter votes, dictionary words, name lists."""

from __future__ import annotations

from certificates.consensus import consensus, consensus_by_words
from certificates.known_names import is_listed, prefer_listed_name
from certificates.thai_text import thai_word_cost


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


def test_line_that_is_not_title_first_last_is_untouched() -> None:
    assert prefer_listed_name("ประกาศนียบัตรฉบับนี้", ["ประกาศนียบัตร"]) == "ประกาศนียบัตรฉบับนี้"


def test_letters_outside_words_cost_more_than_extra_pieces() -> None:
    # Dropping marks can glue letters into one unknown piece; that must not look like a better reading.
    assert thai_word_cost("พื้นฐานเกี่ยวกับ") < thai_word_cost("พืฐานเียวกบ")
