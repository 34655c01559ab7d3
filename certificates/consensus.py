"""Character-level consensus of several OCR readings of the same line (ROVER-style voting).

Reading a line at a few scales gives readings whose mistakes fall on
different letters; aligning them and taking each position's majority
recovers letters that any single reading dropped or misread.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def consensus(readings: Sequence[str]) -> str | None:
    """The per-character majority of the readings, aligned on the most central one."""
    texts = [t for t in readings if t]
    if not texts:
        return None
    if len(texts) <= 2:
        return texts[0]
    # The pivot is the reading most similar to all others: the others are
    # aligned to it, and ties in the vote go to it.
    pivot = max(texts, key=lambda s: sum(_similarity(s, o) for o in texts))
    n = len(pivot)
    votes = [Counter() for _ in range(n)]
    inserts = [Counter() for _ in range(n + 1)]
    for text in [pivot] + [t for t in texts if t is not pivot]:
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
    out = []
    for k in range(n + 1):
        out.append(inserts[k].most_common(1)[0][0])  # Counter keeps first-seen order on ties: the pivot's
        if k < n:
            out.append(votes[k].most_common(1)[0][0])
    return "".join(out)
