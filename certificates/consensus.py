"""Character-level consensus of several OCR readings of the same line (ROVER-style voting).

Reading a line at a few scales gives readings whose mistakes fall on
different letters; aligning them and taking each position's majority
recovers letters that any single reading dropped or misread.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Sequence

from .thai_text import squash


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _slots(readings: Sequence[str]) -> list[list[tuple[str, int]]] | None:
    """Aligned alternatives: for each gap before, and each letter of, the pivot, the options and their votes, most first.

    The pivot is the reading most similar to all others: the others are
    aligned to it, and ties in a vote go to it.
    """
    texts = [t for t in readings if t]
    if not texts:
        return None
    p = max(range(len(texts)), key=lambda i: sum(_similarity(texts[i], o) for o in texts))
    pivot = texts[p]
    n = len(pivot)
    votes = [Counter() for _ in range(n)]
    inserts = [Counter() for _ in range(n + 1)]
    for text in [pivot] + texts[:p] + texts[p + 1 :]:
        inserted = [""] * (n + 1)
        matcher = difflib.SequenceMatcher(None, pivot, text, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for k in range(i2 - i1):
                    votes[i1 + k][pivot[i1 + k]] += 1
            elif tag == "replace":
                seg = text[j1:j2]
                for k in range(i2 - i1):
                    votes[i1 + k][seg[k] if k < len(seg) else ""] += 1
                if len(seg) > i2 - i1:
                    inserted[i2] += seg[i2 - i1 :]
            elif tag == "delete":
                for k in range(i1, i2):
                    votes[k][""] += 1
            elif tag == "insert":
                inserted[i1] += text[j1:j2]
        for k in range(n + 1):
            inserts[k][inserted[k]] += 1
    slots: list[list[tuple[str, int]]] = []
    for k in range(n + 1):
        # most_common keeps first-seen order on ties: the pivot's option comes first.
        slots.append(inserts[k].most_common())
        if k < n:
            slots.append(votes[k].most_common())
    return slots


def consensus(readings: Sequence[str]) -> str | None:
    """The per-character majority of the readings, aligned on the most central one."""
    texts = [t for t in readings if t]
    if len(texts) <= 2:
        return texts[0] if texts else None
    slots = _slots(texts)
    return "".join(options[0][0] for options in slots) if slots else None


def consensus_by_words(readings: Sequence[str], cost: Callable[[str], float], *, vote_cost: float = 0.0) -> str | None:
    """The majority reading, except where the readings disagree and another option reads as fewer, longer words.

    ``cost(text)`` is lower for text that spells real words (for Thai, the
    number of dictionary pieces it splits into).  Each disputed letter (or
    gap) is settled in turn, the others held at their current choice; an
    option some reading gave beats the majority only by lowering the cost,
    and by ``vote_cost`` more for each vote it trails by.
    """
    texts = [t for t in readings if t]
    if len(texts) <= 1:
        return texts[0] if texts else None
    slots = _slots(texts)
    if slots is None:
        return None
    choice = [options[0][0] for options in slots]
    best = cost("".join(choice))
    for k, options in enumerate(slots):
        if len(options) < 2:
            continue
        top = options[0][1]
        for option, votes in options[1:]:
            trial = choice[:k] + [option] + choice[k + 1 :]
            score = cost("".join(trial)) + vote_cost * (top - votes)
            if score < best:
                choice, best = trial, score
    return "".join(choice)


def respace(text: str, like: str) -> str:
    """``text`` with its spaces replaced by those of ``like``, another reading of the same line, by alignment."""
    plain, model = squash(text), squash(like)
    cuts, seen = [], 0
    for ch in like.strip():
        if ch.isspace():
            if not cuts or cuts[-1] != seen:
                cuts.append(seen)
        else:
            seen += 1
    opcodes = difflib.SequenceMatcher(None, model, plain, autojunk=False).get_opcodes()
    at: set[int] = set()
    for cut in cuts:
        for _, i1, i2, j1, j2 in opcodes:
            if i1 <= cut < i2:
                at.add(_outside_number(plain, j1 + min(cut - i1, j2 - j1), model, cut))
                break
    return "".join((" " if j in at and j else "") + ch for j, ch in enumerate(plain))


def _outside_number(plain: str, j: int, model: str, cut: int) -> int:
    """Cut ``j`` of ``plain`` moved out of a number, when ``model``'s cut there was not inside one.

    A digit one reading has and the other lacks aligns on either side of the
    space before it: "วันที่ 7" spaced "วันที่ 77" as "วันที่7 7", and the day
    became 7.  The space stays on the side of the number it was on.
    """
    if not (0 < j < len(plain) and plain[j - 1].isdigit() and plain[j].isdigit()):
        return j
    before = cut > 0 and model[cut - 1].isdigit()
    after = cut < len(model) and model[cut].isdigit()
    if before and after:
        return j
    while 0 < j < len(plain) and plain[j - 1].isdigit() and plain[j].isdigit():
        j += 1 if before else -1
    return j
