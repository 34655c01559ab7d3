"""Choosing among OCR readings of a learner's name with PyThaiNLP's lists of Thai names.

A name cannot be checked the way a course title is checked against the
catalog: people's names are open-ended, and the lists shipped with PyThaiNLP
(about 12,000 given names and 10,000 family names) miss many real ones.  So
the lists never invent or correct a name on their own.  They only break a
disagreement between readings: when the letter-wise majority of the name
line gives a given or family name that is not on the list, and another
reading of the same line (another scale, or Tesseract's ``Thai`` script
model, which errs on different letters) gives one that is, the listed
spelling is taken.  A name the lists do not know is kept as read.
"""

from __future__ import annotations

import difflib
import functools
from collections import Counter
from collections.abc import Sequence

from .person_names import leading_title, split_name, tidy_name_line
from .thai_text import invalid_thai_sequences, squash, thai_word_cost


@functools.lru_cache(maxsize=1)
def _given_names() -> frozenset[str]:
    from pythainlp.corpus import thai_female_names, thai_male_names

    return frozenset(thai_male_names()) | frozenset(thai_female_names())


@functools.lru_cache(maxsize=1)
def _family_names() -> frozenset[str]:
    from pythainlp.corpus import thai_family_names

    return frozenset(thai_family_names())


def load_lists() -> None:
    """Load PyThaiNLP's name lists now (they load on first use otherwise)."""
    _given_names()
    _family_names()


def is_listed(part: str, *, family: bool) -> bool:
    """True when ``part`` is a known Thai family name (``family``) or given name."""
    return part in (_family_names() if family else _given_names())


def _map_position(opcodes: list[tuple[str, int, int, int, int]], pos: int, other_len: int) -> int:
    """Where position ``pos`` of the first string falls in the second, by an alignment."""
    for tag, i1, i2, j1, j2 in opcodes:
        if i1 <= pos < i2:
            return j1 + (pos - i1 if tag == "equal" else min(pos - i1, j2 - j1))
    return other_len


def _span_in(reading: str, alternative: str, start: int, end: int) -> str:
    """The part of ``alternative`` aligned with ``reading[start:end]`` (both squashed)."""
    ops = difflib.SequenceMatcher(None, reading, alternative, autojunk=False).get_opcodes()
    return alternative[_map_position(ops, start, len(alternative)) : _map_position(ops, end, len(alternative))]


def prefer_listed_name(line: str, alternatives: Sequence[str]) -> str:
    """The name line with an unlisted given or family name replaced by a listed one other readings saw.

    ``line`` is the voted reading ("title+given family"); ``alternatives``
    are other readings of the same line, spaced or not.  Each part is
    replaced only when it is not listed and the most frequent listed
    spelling among the alternatives' aligned parts exists.
    """
    title = leading_title(line) or ""
    rest = line[len(title) :].lstrip()
    prefix = line[: len(line) - len(rest)]  # the title as printed, with its spacing
    parts = rest.rstrip().split(" ")
    if len(parts) != 2 or not all(parts):
        return line
    whole = squash(line)
    start = len(squash(title))
    spans = [(start, start + len(parts[0])), (start + len(parts[0]), len(whole))]
    squashed_alts = [squash(a) for a in alternatives if a]
    for k, (a, b) in enumerate(spans):
        family = k == 1
        if is_listed(parts[k], family=family):
            continue
        seen = Counter(
            cand for alt in squashed_alts
            if (cand := _span_in(whole, alt, a, b)) != parts[k] and cand and is_listed(cand, family=family)
        )
        if seen:
            parts[k] = seen.most_common(1)[0][0]
    return f"{prefix}{parts[0]} {parts[1]}"


def name_line_cost(line: str) -> float:
    """How unlike a printed Thai name a reading of the name line is: lower is likelier.

    Used to settle the letters the readings of a name line disagree on (see
    :func:`certificates.consensus.consensus_by_words`).  A listed given or
    family name costs nothing; another is costed as words (many Thai names
    are made of dictionary words: "ธรรม"+"พิ"+"วรรณ"+"รงค์"), so a misread
    letter that breaks a word ("รรรม") costs more.  Impossible spellings and
    a line with no title or no family name cost more again.
    """
    name = split_name(tidy_name_line(line))
    if name is None:
        return 99.0
    cost = 3.0 * invalid_thai_sequences(name.full) + (0.0 if name.title else 2.0)
    for part, family in ((name.first, False), (name.last, True)):
        if not part:
            cost += 5.0
        elif not is_listed(part, family=family):
            cost += thai_word_cost(part)
    return cost


def is_listed_name(line: str) -> bool:
    """True when the name line reads as a title and a listed given and family name, spelled possibly."""
    name = split_name(tidy_name_line(line))
    return (
        name is not None and bool(name.title) and not invalid_thai_sequences(name.full)
        and bool(name.first) and bool(name.last)
        and is_listed(name.first, family=False) and is_listed(name.last, family=True)
    )


def space_run_together(line: str) -> str:
    """The name line with the space put back between given and family name, when OCR lost it.

    Every learner has a family name, so a line that reads as a title and one
    long part ("นางสมธีร์โอทอง") lost the gap between them.  The space goes
    back only where it leaves a listed given name and a listed family name,
    and only if one cut does: a cut between unlisted parts would be a guess, and a
    lone given name ("สุดารัตน์") must not gain a family name by it.
    """
    name = split_name(tidy_name_line(line))
    if name is None or name.last:
        return line
    at = line.rfind(name.first)
    if at < 0:
        return line
    cuts = [
        line[: at + i] + " " + line[at + i :]
        for i in range(2, len(name.first) - 1)
        if is_listed(name.first[:i], family=False) and is_listed(name.first[i:], family=True)
    ]
    return cuts[0] if len(cuts) == 1 else line
