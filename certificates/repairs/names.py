"""Repairs of the learner's name, run on its line after the letter-wise vote of its re-reads.

Each takes the voted name and the line's picture; where the other readings
of the line count (the page reading, each re-read, the Thai-script model's
reads) they come in ``line.readings``.  Only lines re-read as names.
"""

from __future__ import annotations

from ..known_names import is_listed_name, name_line_cost, prefer_listed_name, space_run_together
from ..spelling_check import best_spelling
from ..stacked_marks import restore_tone_over_sara_am
from ..twin_letters import mend_twin_letters
from ..word_gaps import spaced_after_title, spaced_at_gap
from . import LineUnderRepair, repair

# How much the name cost counts beside the line network's likelihood (see
# spelling_check): a swap the network likes that breaks a word ("ธรรม" to
# "รรรม") is held back.
NAME_PRIOR_WEIGHT = 2.0


@repair(roles=("name",), order=10)
def listed_spelling(line: LineUnderRepair) -> str:
    """A given or family name off the name lists, given way to a listed spelling another reading of the line saw.

    Readings that disagree with the vote may hold the listed spelling of a
    part (see ``known_names.prefer_listed_name``).
    """
    return line.text if line.reread != "name" else prefer_listed_name(line.text, line.readings)


@repair(roles=("name",), order=20)
def tone_over_sara_am(line: LineUnderRepair) -> str:
    """A tone mark over sara am ("ก่ำ") that Tesseract read as "กำ" or "กล่า", put back from the ink (``stacked_marks``)."""
    return line.text if line.reread != "name" else restore_tone_over_sara_am(line.text, line.crop)


@repair(roles=("name",), order=30)
def name_spelling_checked(line: LineUnderRepair) -> str:
    """Letters every reading of the name got wrong alike, spotted by the line network (``spelling_check``).

    Look-alike swaps and the network's own letters are judged by the
    network's likelihood with the name cost as a prior; swaps only the name
    lists vouch for are tried where they make a listed name.
    """
    if line.reread != "name":
        return line.text
    return best_spelling(line.crop, line.text, list(line.readings), prior=name_line_cost, weight=NAME_PRIOR_WEIGHT,
                         network_letters=True, vouched=is_listed_name)


@repair(roles=("name",), order=40)
def twin_letters(line: LineUnderRepair) -> str:
    """Twin letters that differ in a head, loop or tail (ฎ/ฏ, ช/ซ, ค/ศ), read alike by Tesseract and the network, told
    apart by a classifier of the glyph at the crop's own resolution (``twin_letters``)."""
    return line.text if line.reread != "name" else mend_twin_letters(line.text, line.crop)


@repair(roles=("name",), order=50)
def run_together_parts(line: LineUnderRepair) -> str:
    """Given and family name OCR ran together, split where the name lists place the cut (``known_names``)."""
    return line.text if line.reread != "name" else space_run_together(line.text)


@repair(roles=("name",), order=60)
def space_at_word_gap(line: LineUnderRepair) -> str:
    """A space between given and family name OCR lost, put back where the print leaves a word gap (``word_gaps``)."""
    return line.text if line.reread != "name" else spaced_at_gap(line.crop, line.text)


@repair(roles=("name",), order=70)
def space_after_title(line: LineUnderRepair) -> str:
    """The space between title and given name as the print has it: lost after a dotted title ("ร.ต.อครพล"),
    or seen where the print has none ("นาย ประมณฑ์") (``word_gaps``)."""
    return line.text if line.reread != "name" else spaced_after_title(line.crop, line.text)
