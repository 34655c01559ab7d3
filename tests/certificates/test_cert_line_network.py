"""The line network: its CTC scoring, and its choice among look-alike spellings of a printed name."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from certificates import line_recognizer
from certificates.known_names import is_listed_name, name_line_cost
from certificates.repairs.dates import with_impossible_day_mended, with_month_filled
from certificates.repairs.digits import (
    checked_digits,
    checked_flagged_digits,
    reads_latin_numbers,
    scorable,
    stray_digits,
    with_lost_digit,
    with_number_seen_twice,
)
from certificates.repairs.lookalikes import DIGIT_LOOKALIKES, TITLE_LOOKALIKES
from certificates.repairs.names import NAME_PRIOR_WEIGHT
from certificates.repairs.titles import TITLE_PRIOR_WEIGHT
from certificates.spelling_check import (
    NETWORK_READABLE,
    adds_tone_mark_only,
    best_spelling,
    lookalike_variants,
    network_edits,
    similarity,
    thai_letter_edits,
    thai_letter_stretches,
)
from certificates.thai_dates import find_dates
from certificates.thai_text import one_letter_word_repairs, title_word_cost, title_word_costs
from tests.builders.printed_lines import printed_line

# A TLWG face, which the network never trained on.
FONT = Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf")
TLWG_MONO = FONT.with_name("TlwgMono.ttf")
TLWG_MONO_BOLD_OBLIQUE = FONT.with_name("TlwgMono-BoldOblique.ttf")
# The model ships in the repository: only the font may be missing, never the model.
needs_font = pytest.mark.skipif(not FONT.exists(), reason="Thai fonts missing")


def _line(text: str, size: int = 44) -> np.ndarray:
    return printed_line(text, FONT, size)


def _brute_force(lp: np.ndarray, labels: list[int]) -> float:
    """log P(labels) summed over every frame path that collapses to them."""
    total = 0.0
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if collapsed == labels:
            total += math.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return math.log(total) if total else float("-inf")


def _best_path_first_frames(lp: np.ndarray, labels: list[int]) -> list[int] | None:
    """By brute force: on the likeliest frame path spelling ``labels``, where each label starts."""
    best, best_score = None, float("-inf")
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        starts = [i for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if [path[i] for i in starts] == labels:
            score = sum(lp[t, k] for t, k in enumerate(path))
            if score > best_score:
                best, best_score = starts, score
    return best


@pytest.mark.parametrize("labels", [[1], [1, 2], [2, 2], [1, 2, 1], [3, 3, 3]])
def test_label_frames_follow_the_likeliest_path(labels: list[int]) -> None:
    rng = np.random.default_rng(10 + len(labels))
    logits = rng.normal(size=(5, 4)) * 3
    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert line_recognizer.label_frames(lp, labels) == _best_path_first_frames(lp, labels)


@needs_font
@pytest.mark.parametrize("name", ["นายพรรณติมา ชูพาน", "ว่าที่ร้อยตรีณัฐทยา สุรเมธีกุล", "นางสาวกิติยา เกตุคง"])
def test_a_space_ocr_lost_between_given_and_family_name_is_put_back_at_the_gap(name: str) -> None:
    from certificates.word_gaps import spaced_at_gap

    crop = _line(name)
    cut = name.rfind(" ")
    assert spaced_at_gap(crop, name[:cut] + name[cut + 1:]) == name
    assert spaced_at_gap(crop, name) == name  # a name already spaced is left alone


@needs_font
@pytest.mark.parametrize(
    ("printed", "read", "page", "checked"),
    [
        # The page reading's 27 against the re-read's "2ณ": the network sees 27.
        ("ให้ไว้ ณ วันที่ 27 มกราคม พ.ศ. 2564", "ให้ไว้ ณ วันที่ 2ณ มกราคม พ.ศ. 2564", "ให้ไว้ ณ Su 27 มกราคม พ.ศ. 2564",
         "ให้ไว้ ณ วันที่ 27ณ มกราคม พ.ศ. 2564"),
        # A Latin line the digit classifier touched is still checked as Latin print.
        ("(รวมระยะเวลาทั้งสิ้น 20 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 29 ชั่วโมง)", "", "(รวมระยะเวลาทั้งสิ้น 20 ชั่วโมง)"),
        # Thai print stays as the classifier read it: the network never learnt Thai digits.
        ("(รวมระยะเวลาทั้งสิ้น ๑๐ ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 19 ชั่วโมง)", "", "(รวมระยะเวลาทั้งสิ้น 19 ชั่วโมง)"),
    ],
)
def test_digit_lines_flagged_as_thai_print_are_checked_only_where_the_network_reads_latin_digits(
    printed: str, read: str, page: str, checked: str
) -> None:

    assert checked_flagged_digits(_line(printed), read, page) == checked


@needs_font
def test_a_page_number_the_network_does_not_see_does_not_replace_the_reread() -> None:

    # Thai digits the flag missed: the network has no digits to see there, so the
    # page reading's "9" is no evidence against the re-read's 15.
    crop = _line("(รวมระยะเวลาทั้งสิ้น ๑๕ ชม.)")
    read = "(รวมระยะเวลาทั้งสิ้น 15 ชม.)"
    assert checked_digits(crop, read, "(รวมระยะเวลาทั้งสิ้น 9& BU.)") == read


def test_thai_print_is_told_by_the_numbers_the_network_reads() -> None:

    # Latin print: the network reads the line's numbers, a misread digit or not.
    assert reads_latin_numbers("ให้ไว้ณวันที่27มกราคมพ.ศ.2564", "ให้ไว้ ณ วันที่ 2ณ มกราคม พ.ศ. 2564")
    # Thai print: a stray Latin digit among letters, or Thai digits.
    assert not reads_latin_numbers("ให้ไว้ณวันที่ผมีนาคมพ.ต.ษละ3", "ให้ไว้ ณ วันที่ 29 มีนาคม พ.ศ. 2566")
    assert not reads_latin_numbers("ให้ไว้ณวันที่9ดพฤษภาคมพ.ศ.ษผวว", "ให้ไว้ ณ วันที่ 10 พฤษภาคม พ.ศ. 2566")
    assert not reads_latin_numbers("รวม๑๐ชั่วโมง", "รวม 10 ชั่วโมง")


@needs_font
def test_a_name_printed_without_a_word_gap_gains_no_space() -> None:
    from certificates.word_gaps import spaced_at_gap

    assert spaced_at_gap(_line("นายพรรณติมาชูพาน"), "นายพรรณติมาชูพาน") == "นายพรรณติมาชูพาน"


@pytest.mark.parametrize("labels", [[1], [1, 2], [2, 2], [1, 2, 1], [3, 3, 3]])
def test_ctc_likelihood_sums_every_path(labels: list[int]) -> None:
    rng = np.random.default_rng(len(labels))
    logits = rng.normal(size=(5, 4))
    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = _brute_force(lp, labels)
    if math.isinf(expected):
        assert line_recognizer.ctc_log_likelihood(lp, labels) == float("-inf")
    else:
        assert line_recognizer.ctc_log_likelihood(lp, labels) == pytest.approx(expected, rel=1e-9)


def test_encode_refuses_unknown_characters() -> None:
    assert line_recognizer.encode("ณัฐ") is not None
    assert line_recognizer.encode("Anna") is None


def test_a_blank_crop_has_no_line() -> None:
    assert line_recognizer.normalize_line(np.full((60, 300), 255, np.uint8)) is None


def test_normalised_line_is_the_network_height() -> None:
    crop = np.full((120, 500), 250, np.uint8)
    crop[40:80, 50:450] = 20
    line = line_recognizer.normalize_line(crop)
    assert line is not None and line.shape[0] == line_recognizer.HEIGHT
    assert line.max() == pytest.approx(1.0) and line.min() == pytest.approx(0.0)


def test_lookalike_variants_swap_one_letter() -> None:
    variants = lookalike_variants("นายณัชพล")
    assert "นายณัฐพล" in variants  # ช → ฐ
    assert "พายณัชพล" in variants  # น → พ
    assert "นายณัชพล" not in variants
    assert "ณัฐ" in lookalike_variants("ณัชุ")  # ฐ read as ช with a sara u under it
    assert "การวางแผนการ" in lookalike_variants("ถารวางแผนถาร", TITLE_LOOKALIKES)  # one misread, everywhere


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [
        ("นายณัฐพล ศรีสุข", "นายณัชพล ศรีสุข"),  # ฐ read as ช
        ("นางสาวธนพร ใจดี", "นางสาวรนพร ใจดี"),  # ธ read as ร
        ("นายกิตติ บุญมา", "นายกิตติ บูญมา"),  # ุ read as ู
        ("นายอนันตศักดิ์ เบ็ญชัย", "นายอนันตศักดิ์ เบ็ณชัย"),  # ญ read as ณ
        ("น.ส.พัชฌาภร เรืองวามงคล", "น.ส.พัชณาภร เรืองวามงคล"),  # ฌ read as ณ
        ("นายอรฤทธิ์ มุ่งรักษ์", "นายอรถทธิ์ มุ่งรักษ์"),  # ฤ read as ถ
        ("นางนิภาพรรณ ทิพย์บุญศรี", "นางนิภาพรรณ พิพย์บุญศรี"),  # ท read as พ
    ],
)
def test_a_letter_every_reading_got_wrong_is_mended(printed: str, misread: str) -> None:
    assert best_spelling(_line(printed), misread, [misread]) == printed


@needs_font
def test_mai_chattawa_and_sara_aa_read_as_sara_am_is_mended() -> None:
    # "ก๋า" and "กำ" differ by a small cross against a small circle; the network sees the cross.
    printed, misread = "นางธวัชชัย ก๋าใจ", "นางธวัชชัย กำใจ"
    got = best_spelling(_line(printed, 36), misread, [misread], prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                        network_letters=True, vouched=is_listed_name)
    assert got == printed


@needs_font
@pytest.mark.parametrize("printed", ["นายสมชาย คำดี", "นางสาวชุติมา ธรรมรักษ์", "ว่าที่ร้อยตรีวิชัย ชูใจ", "นางกำไร ดำรงค์"])
def test_a_right_reading_stands(printed: str) -> None:
    assert best_spelling(_line(printed), printed, [printed]) == printed


def test_network_edits_take_one_differing_stretch_at_a_time_and_keep_the_spacing() -> None:
    edits = network_edits("นางนัฐธิญา มีสรี", "นางนัฐธิฌามีศรี")
    assert sorted(edits) == sorted(["นางนัฐธิฌา มีสรี", "นางนัฐธิญา มีศรี"])
    assert network_edits("นายสมชาย ใจดี", "นายสมชายใจดี") == []


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [
        ("นางนัฐธิฌา มีศรี", "นางนัฐธิญา มีศรี"),  # ฌ read as ญ: no look-alike pair, the network's letter
        ("นางเกษยศ พงศ์ถาวมี", "นางเกษยศ พจศ์ถาวมี"),  # ง read as จ
    ],
)
def test_the_networks_letter_mends_a_name_when_it_makes_a_listed_name(printed: str, misread: str) -> None:
    def choose(network_letters: bool) -> str:
        return best_spelling(_line(printed), misread, [misread], prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                             network_letters=network_letters)

    assert choose(False) != printed  # ญ may go to its look-alike ณ, never to ฌ
    assert choose(True) == printed


@needs_font
@pytest.mark.parametrize("printed", ["นายปิยกานต์ แสงสง่าฤทธิ์", "นายสุทธิพล สุภาเนอำไพ", "นายสมชาย รักเรียน"])
def test_the_networks_letters_leave_a_right_name_alone(printed: str) -> None:
    got = best_spelling(_line(printed), printed, [printed], prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                        network_letters=True)
    assert got == printed


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [
        ("นางสาวพิณัฐ กะดะอาดเอี่ยม", "นางสาวพิณัฐ ถะดะอาดเอี่ยม"),  # ก read as ถ, in an unlisted name
        ("ว่าที่ร้อยตรีอารีฟีล แก่นปัดชา", "ว่าที่ร้อยตรีอารีฟีล แก่แป๊ดชา"),  # น lost, ั read as ๊
    ],
)
def test_the_networks_whole_reading_mends_a_name_every_reading_got_wrong(printed: str, misread: str) -> None:
    def choose(network_letters: bool) -> str:
        return best_spelling(_line(printed), misread, [misread], prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                             network_letters=network_letters)

    assert choose(False) == misread  # no look-alike pair, listed name or one-stretch edit reaches it
    assert choose(True) == printed


@needs_font
def test_the_networks_whole_reading_does_not_unmake_a_listed_name() -> None:
    # On faces it never saw the network reads listed names into others ("แสน" as "เลน",
    # Sawasdee): a listed name stands against its unlisted whole reading.  Here the
    # print is the unlisted one, to make the network's reading clear.
    printed, voted = "นายสมชาย ใจคงดี", "นายสมชาย ใจดี"
    got = best_spelling(_line(printed), voted, [voted], prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                        network_letters=True, vouched=is_listed_name)
    assert got == voted
    assert best_spelling(_line(printed), voted, [voted], prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                         network_letters=True) == printed  # without the lists, the network's reading wins


def test_only_added_or_changed_tone_marks_count_as_tone_mark_edits() -> None:
    assert adds_tone_mark_only("นางสาวสุรวัชญา เปียมวนาบอน", "นางสาวสุรวัชญา เปี่ยมวนาบอน")  # lost
    assert adds_tone_mark_only("น.ส.ตันติมา จีนอ๋ำ", "น.ส.ตันติมา จีนอ่ำ")  # one taken for another
    assert not adds_tone_mark_only("นายวรินิษา คนสมช่วย", "นายวรินิษา คนสมชวย")  # dropped: kept
    assert not adds_tone_mark_only("นายสมชาย ใจดี", "นายสมซาย ใจดี")  # a letter, not a mark
    assert not adds_tone_mark_only("นายสมชาย ใจดี", "นายสมชาย ใจดี")


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [
        ("นางสาวสุรวัชญา เปี่ยมวนาบอน", "นางสาวสุรวัชญา เปียมวนาบอน"),  # mai ek lost, unlisted name
        ("น.ส.ตันติมา จีนอ่ำ", "น.ส.ตันติมา จีนอ๋ำ"),  # mai ek read as mai chattawa
    ],
)
def test_a_tone_mark_tesseract_missed_is_taken_from_the_network(printed: str, misread: str) -> None:
    crop = _line(printed)
    assert best_spelling(crop, misread, [misread]) == misread  # look-alike swaps alone do not add a mark
    assert best_spelling(crop, misread, [misread], prior=name_line_cost, weight=NAME_PRIOR_WEIGHT) == printed


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [("น.ส.ตันติมา จีนอ่ำ", "พ.ส.ตันติมา จีนอำ"), ("นางสาวสุรวัชญา เปี่ยมวนาบอน", "พางสาวสุรวัชญา เปียมวนาบอน")],
)
def test_a_lost_tone_mark_is_put_back_after_a_look_alike_letter_is_mended(printed: str, misread: str) -> None:
    got = best_spelling(_line(printed), misread, [misread], prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                        network_letters=True)
    assert got == printed


def test_a_changed_tone_mark_counts_only_where_changes_are_asked_for() -> None:
    assert adds_tone_mark_only("นายยี่โชติ ใจดี", "นายยี้โชติ ใจดี")
    assert not adds_tone_mark_only("นายยี่โชติ ใจดี", "นายยี้โชติ ใจดี", changed=False)
    assert adds_tone_mark_only("นายยีโชติ ใจดี", "นายยี่โชติ ใจดี", changed=False)


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [
        ("เทคนิคงานสารบรรณอิเล็กทรอนิกส์ รุ่นที่ 2", "เทคนิคงานสารบรรณอิเล็กทรอนิกส์ รุ่นที 2"),
        ("การพัฒนาตนเองเพื่อเพิ่มประสิทธิภาพ", "การพัฒนาตนเองเพื่อเพิมประสิทธิภาพ"),
    ],
)
def test_a_lost_tone_mark_in_a_title_is_taken_from_the_network(printed: str, misread: str) -> None:
    got = best_spelling(_line(printed), misread, [misread], prior=title_word_cost, weight=TITLE_PRIOR_WEIGHT,
                        swaps=TITLE_LOOKALIKES)
    assert got == printed


def _name_spelling(printed: str, misread: str, vouched: bool, crop: np.ndarray | None = None) -> str:
    # Without the network's own letters, which on a clean print would spot these alone.
    return best_spelling(_line(printed) if crop is None else crop, misread, [misread], prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                         vouched=is_listed_name if vouched else None)


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [("นายพรชัย ขุรีทรัพย์", "นายพรชัย ยุรีทรัพย์"), ("นายนพพร ศรีบุตร", "นายแพพร ศรีบุตร")],
)
def test_a_risky_lookalike_mends_a_name_only_into_a_listed_one(printed: str, misread: str) -> None:
    assert is_listed_name(printed) and not is_listed_name(misread)
    assert _name_spelling(printed, misread, vouched=False) == misread
    assert _name_spelling(printed, misread, vouched=True) == printed


@needs_font
def test_a_listed_name_a_look_alike_away_wins_even_where_the_network_reads_as_tesseract_voted() -> None:
    printed, misread = "นางสาวศิริพร ชัยมงคล", "นางสาวศิวิพร ชัยมงคล"
    crop = _line(printed, size=16)  # small enough that the network too reads ว for ร
    assert line_recognizer.greedy(line_recognizer.log_probs(crop)) == misread.replace(" ", "")
    assert _name_spelling(printed, misread, vouched=False, crop=crop) == misread
    assert _name_spelling(printed, misread, vouched=True, crop=crop) == printed


@pytest.mark.skipif(not TLWG_MONO.exists(), reason="Thai fonts missing")
def test_the_name_prior_alone_does_not_carry_in_the_networks_letters() -> None:
    """The network reads "สุขุมาลย์" without its second ุ on one view, and finds the vote likelier over both.

    An unlisted name with fewer letters outside dictionary words costs less,
    so by the prior alone the network's letters would win.
    """
    import cv2

    printed = "นายยอดวุธ สุขุมาลย์"
    crop = cv2.resize(printed_line(printed, TLWG_MONO, 44), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    assert line_recognizer.greedy(line_recognizer.log_probs_views(crop)[0]) == "นายยอดวุธสุขมาลย์"
    assert name_line_cost("นายยอดวุธ สุขมาลย์") < name_line_cost(printed)
    assert best_spelling(crop, printed, [printed] * 3, prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                         network_letters=True, vouched=is_listed_name) == printed


@needs_font
@pytest.mark.parametrize("printed", ["นายพรชัย ยุรีทรัพย์", "นายแพพร ศรีบุตร"])
def test_an_unlisted_name_printed_clearly_is_not_snapped_to_a_listed_one(printed: str) -> None:
    assert _name_spelling(printed, printed, vouched=True) == printed


def test_without_a_picture_the_vote_stands() -> None:
    assert best_spelling(np.full((60, 300), 255, np.uint8), "นายณัชพล ศรีสุข", ["นายณัฐพล ศรีสุข"]) == "นายณัชพล ศรีสุข"


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [
        ("(รวมระยะเวลาทั้งสิ้น 20 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 29 ชั่วโมง)"),
        ("ให้ไว้ ณ วันที่ 10 มีนาคม พ.ศ. 2567", "ให้ไว้ ณ วันที่ 19 มีนาคม พ.ศ. 2567"),
    ],
)
def test_a_misread_digit_is_mended(printed: str, misread: str) -> None:
    assert best_spelling(_line(printed), misread, [], swaps=DIGIT_LOOKALIKES) == printed


@needs_font
@pytest.mark.parametrize("printed", ["(รวมระยะเวลาทั้งสิ้น 6 ชั่วโมง)", "ให้ไว้ ณ วันที่ 28 มีนาคม พ.ศ. 2566",
                                     "(รวมระยะเวลาทั้งสิ้น 35 ชั่วโมง)", "ให้ไว้ ณ วันที่ 5 มีนาคม พ.ศ. 2563"])
def test_right_digits_stand(printed: str) -> None:
    assert best_spelling(_line(printed), printed, [], swaps=DIGIT_LOOKALIKES) == printed


@needs_font
@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("ให้ไว้ ณ วันที่ 10 มกราคม พ.ศ. 2562", "ให้ไว้ ณ วันที่ 19 มกราคม พ.ศ. 2562"),
        ("ให้ไว้ ณ วันที่ 19 มกราคม พ.ศ. 2569", "ให้ไว้ ณ วันที่ 19 มกราคม พ.ศ. 2569"),
        ("(รวมระยะเวลาทั้งสิ้น 90 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 90 ชั่วโมง)"),
        ("(รวมระยะเวลาทั้งสิ้น 9 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 9 ชั่วโมง)"),
        ("(รวมระยะเวลาทั้งสิ้น 24 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 214 ชั่วโมง)"),  # a stray 1
        ("รวมระยะเวลา 18 ชั่วโมง", "รวมระยะเวลา 118 ชั่วโมง"),
        ("(รวมระยะเวลาทั้งสิ้น 30 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 309 ชั่วโมง)"),  # a bracket read as 9
        ("(รวมระยะเวลาทั้งสิ้น 120 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 120 ชั่วโมง)"),  # a printed 1
        ("(รวมระยะเวลาทั้งสิ้น 112 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 112 ชั่วโมง)"),
    ],
)
def test_the_readers_digit_check_mends_0_9_and_stray_digits_and_leaves_right_ones(printed: str, read: str) -> None:

    assert checked_digits(_line(printed), read) == printed


@needs_font
@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("ให้ไว้ ณ วันที่ 11 มิถุนายน พ.ศ. 2565", "ให้ไว้ ณ วันที่ 1 มิถุนายน พ.ศ. 2565"),  # a thin 1 lost
        ("ให้ไว้ ณ วันที่ 31 มกราคม พ.ศ. 2568", "ให้ไว้ ณ วันที่ 3) มกราคม พ.ศ. 2568"),  # a 1 read as a bracket
        ("(รวมระยะเวลาทั้งสิ้น 6 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 6 ชั่วโมง)"),
        ("ให้ไว้ ณ วันที่ 1 มิถุนายน พ.ศ. 2565", "ให้ไว้ ณ วันที่ 1 มิถุนายน พ.ศ. 2565"),
    ],
)
def test_a_latin_digit_line_gets_back_a_lost_digit(printed: str, read: str) -> None:

    assert checked_digits(_line(printed), read, lost_digits=True) == printed


@needs_font
def test_a_line_read_with_latin_junk_gets_back_a_lost_digit_all_the_same() -> None:

    picture = _line("ให้ไว้ ณ วันที่ 11 มีนาคม พ.ศ. 2567")
    read = "ให้ไว้ ณ วันที่ 1 มีนาคม WA. 2567"
    assert checked_digits(picture, read, lost_digits=True) == "ให้ไว้ ณ วันที่ 11 มีนาคม WA. 2567"
    # A thin 1 read as a bracket beside its digit.
    picture = _line("ให้ไว้ ณ วันที่ 21 กรกฎาคม พ.ศ. 2563")
    read = "ให้ไว้ ณ วันที่ 2) กรกฎาคม we. 2563"
    assert find_dates(checked_digits(picture, read, lost_digits=True))[0].value.day == 21


@needs_font
def test_a_day_that_is_no_day_is_taken_as_the_network_reads_it() -> None:

    picture = _line("ให้ไว้ ณ วันที่ 30 พฤศจิกายน พ.ศ. 2566")
    assert with_impossible_day_mended(picture, "ให้ไว้ ณ วันที่ 50 พฤศจิกายน พ.ศ. 2566") == (
        "ให้ไว้ ณ วันที่ 30 พฤศจิกายน พ.ศ. 2566")
    # A day that could be right stands, and so does a line whose year the network reads otherwise.
    assert with_impossible_day_mended(picture, "ให้ไว้ ณ วันที่ 20 พฤศจิกายน พ.ศ. 2566") == (
        "ให้ไว้ ณ วันที่ 20 พฤศจิกายน พ.ศ. 2566")
    assert with_impossible_day_mended(picture, "ให้ไว้ ณ วันที่ 50 พฤศจิกายน พ.ศ. 2568") == (
        "ให้ไว้ ณ วันที่ 50 พฤศจิกายน พ.ศ. 2568")


@needs_font
@pytest.mark.parametrize("printed", ["(รวมระยะเวลาทั้งสิ้น 3 ชั่วโมง)", "(รวมระยะเวลาทั้งสิ้น 36 ชั่วโมง)"])
def test_an_hours_digit_the_network_reads_otherwise_on_both_views_is_taken(printed: str) -> None:
    read = printed.replace("3", "5")  # Niramit's 3 read as 5: no look-alike pair covers it
    picture = _line(printed)
    assert with_number_seen_twice(picture, read) == printed
    # A number read right stands, and so does one more than a digit away.
    assert with_number_seen_twice(picture, printed) == printed
    assert with_number_seen_twice(picture, printed.replace("3", "85")) == printed.replace("3", "85")


@needs_font
def test_the_digit_classifier_vouches_only_for_the_digits_printed() -> None:
    from certificates.repairs.digits import glyphs_confirm

    picture = _line("(รวมระยะเวลาทั้งสิ้น 45 ชั่วโมง)")
    assert glyphs_confirm(picture, "(รวมระยะเวลาทั้งสิ้น 45 ชั่วโมง)")
    # A digit the network read otherwise on both views (TlwgTypo's 4 as 2): the glyphs do not vouch for it.
    assert not glyphs_confirm(picture, "(รวมระยะเวลาทั้งสิ้น 25 ชั่วโมง)")
    assert not glyphs_confirm(picture, "(รวมระยะเวลาทั้งสิ้น 4 ชั่วโมง)")


@pytest.mark.skipif(not TLWG_MONO_BOLD_OBLIQUE.exists(), reason="Thai fonts missing")
def test_a_day_that_is_no_day_keeps_the_two_digits_tesseract_saw() -> None:
    """"11" read "71": the network reads the day as "1" (two like strokes close together collapse), "11" is likelier."""
    import cv2

    picture = cv2.GaussianBlur(printed_line("ให้ไว้ ณ วันที่ 11 ตุลาคม พ.ศ. 2564", TLWG_MONO_BOLD_OBLIQUE, 24), (0, 0), 1.0)
    assert line_recognizer.greedy(line_recognizer.log_probs(picture)) == "ให้ไว้ณวันที่1ตุลาคมพ.ศ.2564"
    assert with_impossible_day_mended(picture, "ให้ไว้ ณ วันที่ 71 ตุลาคม พ.ศ. 2564") == (
        "ให้ไว้ ณ วันที่ 11 ตุลาคม พ.ศ. 2564")


@needs_font
@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("ให้ไว้ ณ วันที่ 14 ต.ค. 2563", "ให้ไว้ ณ วันที่ 14 3.ค. 2563"),  # ต read as the digit ๓
        ("ให้ไว้ ณ วันที่ 21 ก.ย. 2563", "ให้ไว้ ณ วันที่ 21 กคุย. 2563"),  # a dot read as a vowel
        ("ให้ไว้ ณ วันที่ 9 มีนาคม พ.ศ. 2566", "ให้ไว้ ณ วันที่ 9 มืนาศม พ.ศ. 2566"),
    ],
)
def test_a_misread_month_is_put_back_as_the_network_sees_it(printed: str, read: str) -> None:

    assert with_month_filled(_line(printed), read) == printed


@needs_font
def test_the_networks_reading_of_a_name_is_spaced_as_the_best_reading_spaced_it() -> None:
    # Spaced like the vote alone ("บุ๋มงัว" aligns badly), the network's "นิกรนุ่มบัว" became "นิกรนุ่ม บัว".
    picture = _line("ดร.นิกร นุ่มบัว")
    readings = ["ดร.นิกร บุ๋มงัว", "ดร.นิกร นุ๋มบัว", "ดร.นิกรนุ่มบัว"]
    chosen = best_spelling(picture, "ดร.นิกร บุ๋มงัว", readings, prior=name_line_cost, weight=2.0,
                           network_letters=True, vouched=is_listed_name)
    assert chosen == "ดร.นิกร นุ่มบัว"


@needs_font
def test_a_misread_month_is_put_back_with_a_misread_era() -> None:

    read = "ให้ไว้ ณ วันที่ 22 ตุฉาคม พุต. 2565"  # TlwgTypist, the era read as "พุต."
    filled = with_month_filled(_line("ให้ไว้ ณ วันที่ 22 ตุลาคม พ.ศ. 2565"), read)
    assert [d.value for d in find_dates(filled)] == [dt.date(2022, 10, 22)]


@needs_font
def test_no_month_is_made_up() -> None:

    # The day read is not the day printed ("30" read "3ยิ"): nothing is filled in.
    read = "ให้ไว้ ณ วันที่ 3ยิ กย. 2564"
    assert with_month_filled(_line("ให้ไว้ ณ วันที่ 30 ก.ย. 2564"), read) == read
    assert with_month_filled(np.full((60, 600), 255, np.uint8), "ให้ไว้ ณ วันที่ 14 3.ค. 2563") == "ให้ไว้ ณ วันที่ 14 3.ค. 2563"


def test_a_line_is_scored_as_the_network_spells_it() -> None:
    assert scorable("[รวมระยะเวลาทั้งสิ้น 29 ชั่วโมง]") == "(รวมระยะเวลาทั้งสิ้น 29 ชั่วโมง)"
    assert scorable("ให้ไว้ ณ วันที่ 15 ธันวาคม WA. 2568") == "ให้ไว้ ณ วันที่ 15 ธันวาคม . 2568"
    assert scorable("วันที่ 3@ มีนาคม") == "วันที่ 3@ มีนาคม"  # the symbol may be the digit


@needs_font
@pytest.mark.parametrize(
    ("printed", "read", "mended"),
    [
        # A thin 1 lost beside another: put back as the network reads it.
        ("วันที่ 11 กันยายน 2563", "วันที่ 1 กันยายน 2563", "วันที่ 11 กันยายน 2563"),
        # Only a digit added counts: a number the network reads otherwise is a misread, not a loss.
        ("วันที่ 11 กันยายน 2565", "วันที่ 1 กันยายน 2563", "วันที่ 11 กันยายน 2563"),
        ("วันที่ 11 กันยายน 2563", "วันที่ 7 กันยายน 2563", "วันที่ 7 กันยายน 2563"),
        # The bracket round the hours read as a number more: the numbers are matched in order.
        ("(รวมระยะเวลาทั้งสิ้น 10 ชม.)", "(รวมระยะเวลาทั้งสิ้น 1 ชม.)", "(รวมระยะเวลาทั้งสิ้น 10 ชม.)"),
        # Nothing lost: the line stands.
        ("วันที่ 7 กันยายน 2563", "วันที่ 7 กันยายน 2563", "วันที่ 7 กันยายน 2563"),
    ],
)
def test_a_digit_the_network_reads_and_tesseract_lost_is_put_back(printed: str, read: str, mended: str) -> None:
    assert with_lost_digit(_line(printed), read) == mended


def test_stray_digits_are_looked_for_in_three_digit_numbers_only() -> None:

    assert stray_digits("รวม 211 ชั่วโมง") == ["รวม 11 ชั่วโมง", "รวม 21 ชั่วโมง"]
    assert stray_digits("รวม 309 ชั่วโมง") == ["รวม 09 ชั่วโมง", "รวม 39 ชั่วโมง", "รวม 30 ชั่วโมง"]
    assert stray_digits("วันที่ 11 มกราคม พ.ศ. 2561") == []
    assert stray_digits("รวม 3.05 ชั่วโมง") == ["รวม 3.5 ชั่วโมง", "รวม 3.0 ชั่วโมง"]
    assert stray_digits("รวม 3.5 ชั่วโมง") == []


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [
        ("การทำงานเป็นทีมสำหรับข้าราชการ", "การทำงานเป็นทีมสำหรับย้าราชการ"),  # ข read as ย, a rare word
        ("การสื่อสารเชิงกลยุทธ์", "การสื่อสารเซิงกลยุทธ์"),
        ("การวางแผนการเงิน", "ถารวางแผนการเงิน"),  # ก read as ถ
        ("การวางแผนการควบคุมภายใน", "ถารวางแผนถารควบคุมภายใน"),  # ... each time it is printed
    ],
)
def test_a_title_misread_into_a_rare_word_is_mended(printed: str, misread: str) -> None:
    got = best_spelling(_line(printed), misread, [misread], prior=title_word_cost, weight=TITLE_PRIOR_WEIGHT,
                        swaps=TITLE_LOOKALIKES)
    assert got == printed


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [
        ("การบริหารเงินสำหรับข้าราชการ", "การบริหารเจินสำหรับข้าราชการ"),  # ง read as จ
        ("การประเมินผลโครงการ", "การประเมินผลโคงการ"),  # ร lost
    ],
)
def test_a_title_letter_misread_into_no_word_is_repaired(printed: str, misread: str) -> None:
    kw = {"prior": title_word_cost, "weight": TITLE_PRIOR_WEIGHT, "swaps": TITLE_LOOKALIKES}
    assert best_spelling(_line(printed), misread, [misread], **kw) == misread  # no look-alike pair mends it
    assert best_spelling(_line(printed), misread, [misread], repairs=one_letter_word_repairs, **kw) == printed


def test_a_slip_that_leaves_short_rare_words_is_mended_with_the_words_beside_it() -> None:
    # "สารบรรถ" splits as "สาร|บร|รถ", all dictionary words; "บร" is rare and short.
    assert "แนวทางการงานสารบรรณอิเล็กทรอนิกส์" in one_letter_word_repairs("แนวทางการงานสารบรรถอิเล็กทรอนิกส์")
    # Common words are left alone: nothing to mend in a title read right.
    assert one_letter_word_repairs("การพัฒนาทักษะการประเมินผลโครงการ") == set()


def test_a_stray_letter_between_words_is_a_repair_candidate() -> None:
    # A lone letter read where two words meet ("สารบรรณ" "ล" "อิเล็กทรอนิกส์") may be dropped.
    assert "งานสารบรรณอิเล็กทรอนิกส์" in one_letter_word_repairs("งานสารบรรณลอิเล็กทรอนิกส์")


@needs_font
@pytest.mark.parametrize("printed", ["การบริหารเงินสำหรับข้าราชการ", "เทคนิคการสื่อสารเชิงกลยุทธ์ รุ่นที่ 2"])
def test_a_right_title_stands(printed: str) -> None:
    got = best_spelling(_line(printed), printed, [printed], prior=title_word_cost, weight=TITLE_PRIOR_WEIGHT,
                        swaps=TITLE_LOOKALIKES, repairs=one_letter_word_repairs)
    assert got == printed


def test_the_networks_thai_letters_are_taken_and_its_punctuation_and_digits_are_not() -> None:
    assert thai_letter_edits("วิชา การระบบงานยุคลิจิหัล", "วิชาการระบบงานยุคดิจิทัล") == "วิชา การระบบงานยุคดิจิทัล"
    # It reads a colon as "1" and drops a slash: print that is not Thai stays as Tesseract read it.
    assert thai_letter_edits("วิชา ภาษาอังกฤษ : การสนทนา", "วิชาภาษาอังกฤษ1การสนทนา") == "วิชา ภาษาอังกฤษ : การสนทนา"
    assert thai_letter_edits("การกำหนด/บริหารนโยบาย", "การกำหนดบริหารนโยบาย") == "การกำหนด/บริหารนโยบาย"


def test_each_stretch_of_the_networks_thai_letters_is_a_variant_of_its_own() -> None:
    assert thai_letter_stretches("วิชา การระบบงานยุคลิจิหัล", "วิชาการระบบงานยุคดิจิทัล") == [
        "วิชา การระบบงานยุคดิจิหัล", "วิชา การระบบงานยุคลิจิทัล"]
    assert thai_letter_stretches("วิชา ภาษาอังกฤษ : การสนทนา", "วิชาภาษาอังกฤษ1การสนทนา") == []


def test_non_thai_print_costs_a_piece_and_a_latin_letter_one_more_as_a_titles_words() -> None:
    # Without it, Latin junk read for Thai ("cu" for "ต้น") would read better than any Thai.
    assert title_word_costs("ต้น") <= title_word_costs("cu")
    assert title_word_costs("หลักสูตร หลักการ") < title_word_costs("หลักสู35 หลักการ")
    assert title_word_costs("ด้าน HR") < title_word_costs("ด้าน ปยัอ")
    assert title_word_costs("การทำงานเป็นทีม รุ่นที่ 2") < title_word_costs("การทำงานเป็นทีม sun 2")
    # A dropped tone mark that splits a word into two common ones still costs a piece.
    assert title_word_costs("เสนอที่ประชุม")[1] < title_word_costs("เสนอทีประชุม")[1]


_TITLE = {"prior": title_word_cost, "weight": TITLE_PRIOR_WEIGHT, "swaps": TITLE_LOOKALIKES,
          "repairs": one_letter_word_repairs}


@needs_font
@pytest.mark.parametrize(
    ("printed", "voted"),
    [
        # The picture shows what blur or a face the network never saw makes of the print;
        # Tesseract's vote reads real words, and the network's look-alike makes rarer ones.
        ("บทบาทยองผู้ดำเนินการ", "บทบาทของผู้ดำเนินการ"),
        ("การบริการประขาขนเพื่อการพัฒนา", "การบริการประชาชนเพื่อการพัฒนา"),
        ("การทำบันทึกเสนอทีประชุม", "การทำบันทึกเสนอที่ประชุม"),  # a tone mark dropped: words too, but split
    ],
)
def test_a_title_spelling_the_network_prefers_is_not_taken_when_it_reads_as_worse_words(
    printed: str, voted: str
) -> None:
    crop = _line(printed)
    assert best_spelling(crop, voted, [voted, printed], **_TITLE) == printed  # the guard is what holds it
    assert best_spelling(crop, voted, [voted, printed], words=title_word_costs, **_TITLE) == voted


@needs_font
@pytest.mark.parametrize(
    ("printed", "misread"),
    [
        ("การบริหารจัดการระบบงานยุคดิจิทัล", "การบริหารจิดถารระบบงานยุคลิจิหัล"),
        ("การวางแผนนวัตกรรมท้องถิ่น", "การวางแผนแว้ตกรรมตห้องถิ่น"),
    ],
)
def test_the_networks_whole_reading_mends_a_title_with_several_slips(printed: str, misread: str) -> None:
    got = best_spelling(_line(printed), misread, [misread], words=title_word_costs, **_TITLE)
    assert got == printed


@needs_font
def test_one_stretch_of_the_networks_reading_mends_a_title_where_it_misreads_another_letter() -> None:
    # The picture shows the network's slip ("สรรด์" for "สรรค์"); its whole reading then reads no better as words.
    picture = _line("วิชา การเสริมสร้างภาวะผู้นำเชิงสร้างสรรด์ รุ่นที่ 2")
    voted = "วิชา การเสริมสวร้างภาวะผู้นำเชิงสร้างสรรค์ รุ่นที่ 2"
    got = best_spelling(picture, voted, [voted], words=title_word_costs, **_TITLE)
    assert got == "วิชา การเสริมสร้างภาวะผู้นำเชิงสร้างสรรค์ รุ่นที่ 2"


@needs_font
def test_a_title_the_network_reads_as_another_line_altogether_keeps_its_vote() -> None:
    picture = _line("หลักสูตรการบริหารงานพัสดุภาครัฐ")
    voted = "ผู้นำทีมที่มีประสิทธิภาพ"
    assert similarity(line_recognizer.greedy(line_recognizer.log_probs_views(picture)[0]), voted) < NETWORK_READABLE
    other = "หลักสูตรการบริหารงานพัสดุภาครัฐ"  # what the picture shows, and reads as words as well
    assert best_spelling(picture, voted, [voted, other], words=title_word_costs, **_TITLE) == voted


@needs_font
def test_a_title_word_read_as_latin_junk_is_mended_through_another_reading_and_a_swap() -> None:
    printed = "การทำงานเป็นทีม รุ่นที่ 2"
    voted, other = "การทำงานเป็นทีม sun 2", "การทำงานเป็นทีม รู่นที่ 2"  # ุ read as ู, a piece no word
    got = best_spelling(_line(printed), voted, [voted, other], words=title_word_costs, **_TITLE)
    assert got == printed


@needs_font
def test_a_title_with_a_latin_word_still_has_its_thai_letters_checked() -> None:
    # The network has no Latin letters: "(Advanced)" stands for whatever print is there.
    printed = "การพัฒนาทักษะการจัดการข้อร้องเรียน (Advanced)"
    voted = "การพิฒนาทักษะการจัดการข้อร้องเรียน (Advanced)"  # ั read as ิ in every reading
    got = best_spelling(_line(printed), voted, [voted], words=title_word_costs, **_TITLE)
    assert got == printed


def test_a_wildcard_spans_any_run_of_frames_at_its_cost() -> None:
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(5, 3))
    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    # The wildcard is one more class whose every frame costs WILDCARD_COST.
    with_wild = np.concatenate([lp, np.full((5, 1), -line_recognizer.WILDCARD_COST)], axis=1)
    for labels in ([1, line_recognizer.WILDCARD], [line_recognizer.WILDCARD, 2, line_recognizer.WILDCARD]):
        expected = _brute_force(with_wild, [3 if k == line_recognizer.WILDCARD else k for k in labels])
        assert line_recognizer.ctc_log_likelihood(lp, labels) == pytest.approx(expected, rel=1e-9)
    assert line_recognizer.encode_with_wildcards("การ (Advanced) 2") == (
        line_recognizer.encode("การ") + [line_recognizer.WILDCARD] + line_recognizer.encode("2"))


@needs_font
@pytest.mark.parametrize(("printed", "read"), [
    ("ว่าที่ ร.ต. อครพล เจริญภารพบ", "ว่าที่ ร.ต.อครพล เจริญภารพบ"),  # the gap after the small dot lost
    ("ดร.ณฐรัฐ นาเหนือ", "ดร.ณฐรัฐ นาเหนือ"),  # set against the name: left so
    ("ว่าที่ ร.ต. อครพล เจริญภารพบ", "ว่าที่ ร.ต. อครพล เจริญภารพบ"),
    ("นายประมณฑ์ เข็มพรมมา", "นาย ประมณฑ์ เข็มพรมมา"),  # a gap OCR saw after a title set against the name
    ("นายประมณฑ์ เข็มพรมมา", "นายประมณฑ์ เข็มพรมมา"),
])
def test_the_space_after_a_title_follows_the_print(printed: str, read: str) -> None:
    from certificates.word_gaps import spaced_after_title

    assert spaced_after_title(_line(printed), read) == printed


@needs_font
def test_both_views_of_a_line_read_it() -> None:
    # The half-frame shift moves the frame grid, not the text: both views read the line.
    views = line_recognizer.log_probs_views(_line("นายสมชาย รักเรียน"))
    assert len(views) == 2
    assert [line_recognizer.greedy(v) for v in views] == ["นายสมชายรักเรียน"] * 2
    assert line_recognizer.log_probs_views(np.full((40, 200), 255, np.uint8)) == []
