"""Long learners' names for the bench: a long rank title with the longest given and family names.

A name such as "ว่าที่ร้อยตรีหญิงกัญญาณัฐพัชร์ ศรีสุวรรณวงศ์ชัยกุล" in a
certificate's big name font is wider than the page.  A template either sets
it smaller, on one line between the frame's sides, or, as an HTML template
with a fixed font size does, breaks it at a space, printing the family name
on a line of its own (``WRAPPING_TEMPLATES``; see ``generate._name_lines``).
Such names were seen to come back without their family name on
certificates the reader was never tuned on, so the bench draws a share of
them (``LONG_NAME_SHARE``).

Given names are the longest on PyThaiNLP's lists; family names are either
the longest listed ones or composed the way long Thai family names are, of
auspicious words ("ศรี" + "สุวรรณ" + "วงศ์" + "ชัย" + "กุล"), which no list
holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

# About one learner in ten.
LONG_NAME_SHARE = 0.1
# The share of long names printed by a template that wraps a line too wide
# for its text box (an HTML box with a fixed font size: the family name goes
# onto a line of its own); the others make the name's font smaller.
WRAPPING_TEMPLATES = 0.5

# Long ranks, all printed glued to the given name; the acting ranks of
# reserve officers (ว่าที่…) are the commonest among civil servants.
LONG_TITLES: tuple[tuple[str, int], ...] = (
    ("ว่าที่ร้อยตรีหญิง", 6), ("ว่าที่ร้อยโทหญิง", 2), ("ว่าที่ร้อยเอกหญิง", 1),
    ("ว่าที่ร้อยตรี", 5), ("ว่าที่ร้อยโท", 2), ("ว่าที่ร้อยเอก", 1),
    ("พันจ่าอากาศเอกหญิง", 1), ("พันจ่าอากาศเอก", 1), ("ร้อยตำรวจเอกหญิง", 1),
    ("พันตำรวจโทหญิง", 1), ("สิบตำรวจเอกหญิง", 1), ("นาวาอากาศโทหญิง", 1),
)

# Pieces of composed family names, in the order they are joined.
_HEADS = ("ศรี", "สุวรรณ", "เจริญ", "รุ่งเรือง", "ประเสริฐ", "เกียรติ", "วิริยะ", "สิริ", "อัศว", "บุญ",
          "ทอง", "แสง", "จันทร์", "มหา", "ธนา")
_MIDDLES = ("สุวรรณ", "วงศ์", "ศักดิ์", "พงศ์", "ทรัพย์", "รัตน", "ไพบูลย์", "กิจ", "ชัย", "ศิริ", "โชติ",
            "เลิศ", "วัฒน", "พิทักษ์", "อนันต์")
_TAILS = ("ชัยกุล", "สกุล", "ตระกูล", "ไพศาล", "ถาวร", "วัฒนา", "กุล", "พันธ์", "พาณิชย์", "สวัสดิ์",
          "ภิญโญ", "สถิตย์", "ไพโรจน์", "ธำรง")

_MIN_FIRST = 11  # letters: the longest tenth of listed given names
_MIN_LAST = 14  # and about the longest twentieth of listed family names


@dataclass(frozen=True, slots=True)
class LongName:
    """One drawn long name: the printed line and whether both its parts are on PyThaiNLP's lists."""

    printed: str
    listed: bool


@cache
def long_pools() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The longest men's, women's and family names on PyThaiNLP's lists, spelled as real names are."""
    from pythainlp.corpus import thai_family_names, thai_female_names, thai_male_names

    from certificates.thai_text import invalid_thai_sequences

    def ok(n: str) -> bool:
        return all("\u0e01" <= c <= "\u0e4e" for c in n) and "ๅ" not in n and not invalid_thai_sequences(n)

    men = sorted(n for n in set(thai_male_names()) if len(n) >= _MIN_FIRST and ok(n))
    women = sorted(n for n in set(thai_female_names()) if len(n) >= _MIN_FIRST and ok(n))
    lasts = sorted(n for n in set(thai_family_names()) if len(n) >= _MIN_LAST and ok(n))
    return tuple(men), tuple(women), tuple(lasts)


def composed_family_name(rng: random.Random) -> str:
    """A long family name joined from auspicious words ("ศรีสุวรรณวงศ์ชัยกุล"), 14–22 letters."""
    from certificates.thai_text import invalid_thai_sequences

    while True:
        pieces = [rng.choice(_HEADS)] + rng.sample(_MIDDLES, rng.choice((1, 2, 2))) + [rng.choice(_TAILS)]
        name = "".join(pieces)
        if len(set(pieces)) == len(pieces) and 14 <= len(name) <= 22 and not invalid_thai_sequences(name):
            return name


def draw_long_name(rng: random.Random) -> LongName:
    """A long rank title glued to one of the longest given names, and a long family name."""
    men, women, lasts = long_pools()
    title = rng.choices([t for t, _ in LONG_TITLES], weights=[w for _, w in LONG_TITLES])[0]
    first = rng.choice(women if title.endswith("หญิง") else men)
    # Half the family names are composed, as no list holds them.
    last = rng.choice(lasts) if rng.random() < 0.5 else composed_family_name(rng)
    return LongName(f"{title}{first} {last}", last in lasts)
