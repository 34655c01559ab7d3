"""The OCSC course catalog and matching a read title against it.

The catalog ships as ``certificates/data/ocsc_catalog.csv`` (public data).
Matching takes any sequence of entries with ``code``, ``name`` and ``kind``
(dataclasses, ORM rows or dicts), so the app can pass database rows later.
A title is only mapped to a catalog course when the match is close; anything
else is kept as printed so a certificate is never filed under a wrong course.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from .thai_text import collapse_spaces, normalize_thai

DEFAULT_CATALOG_PATH = Path(__file__).with_name("data") / "ocsc_catalog.csv"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One course or curriculum of the OCSC Learning Portal."""

    code: str
    name: str
    kind: str  # "course" or "curriculum"
    category: str = ""
    portal_id: str = ""


@dataclass(frozen=True, slots=True)
class CatalogMatch:
    """The result of matching a title: the entry's name, its code when unambiguous, and a score 0–1."""

    name: str
    code: str | None
    kind: str | None
    score: float
    ambiguous: bool = False


def _field(entry: Any, key: str) -> str:
    """Read a field from a dataclass/ORM row or a mapping."""
    if isinstance(entry, Mapping):
        value = entry.get(key)
    else:
        value = getattr(entry, key, None)
    return "" if value is None else str(value)


def load_catalog(path: str | Path | None = None) -> list[CatalogEntry]:
    """Load catalog entries from a CSV with columns code,name,kind,category,portal_id."""
    path = Path(path) if path is not None else DEFAULT_CATALOG_PATH
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [
            CatalogEntry(
                code=row["code"].strip(),
                name=collapse_spaces(row["name"]),
                kind=(row.get("kind") or "course").strip(),
                category=(row.get("category") or "").strip(),
                portal_id=(row.get("portal_id") or "").strip(),
            )
            for row in csv.DictReader(fh)
            if row.get("code") and row.get("name")
        ]


@functools.lru_cache(maxsize=1)
def default_catalog() -> tuple[CatalogEntry, ...]:
    """The packaged catalog, loaded once per process."""
    return tuple(load_catalog())


_KEY_DROP = re.compile(r"[\s\"'`.,:;()\[\]{}\-–—_/\\|]+")


def title_key(title: str) -> str:
    """Comparison key: normalised Thai, lower-case Latin, no spaces or punctuation.

    OCR adds and drops spaces and confuses brackets and colons, none of which
    distinguish one course from another.
    """
    return _KEY_DROP.sub("", normalize_thai(title)).lower()


_OCR_ZERO = re.compile(r"(?<=\d)[oO]|[oO](?=\d)")


def _numbers(key: str) -> list[str]:
    """The digit groups of a title key, with O read as 0 next to digits (a common OCR slip)."""
    return re.findall(r"\d+", _OCR_ZERO.sub("0", key))


def _allowed_distance(length: int) -> int:
    """Edit distance tolerated for a title of this many key characters.

    About one OCR slip per ten characters, but at most one for short titles,
    where two edits can already turn one real course name into another.
    """
    if length < 6:
        return 0
    if length < 14:
        return 1
    return max(2, length // 10)


def _match_truncated(key: str, entries: list[Any], keys: list[str], kind: str | None) -> CatalogMatch | None:
    """A long title whose last wrapped line was lost: the read text is a near prefix of one catalog name."""
    if len(key) < 30:
        return None
    hits = []
    for entry, k in zip(entries, keys):
        if len(key) < 0.7 * len(k) or len(key) > len(k):
            continue
        d = Levenshtein.distance(key, k[: len(key)])
        if d <= _allowed_distance(len(key)):
            hits.append((d, entry, k))
    names = {k for _, _, k in hits}
    if len(names) != 1:
        return None  # none, or the prefix fits several courses
    d, entry, k = min(hits, key=lambda h: h[0])
    score = round(0.9 * len(key) / len(k) * (1 - d / len(key)), 3)  # less sure than a full match
    return _partial_match([e for _, e, _ in hits], kind, score)


def _partial_match(same: list[Any], kind: str | None, score: float) -> CatalogMatch:
    """The match for entries of one catalog name found on part of a title: the code only if they share one."""
    if kind:
        same = [e for e in same if (_field(e, "kind") or "course") == kind] or same
    codes = {_field(e, "code") for e in same}
    code = codes.pop() if len(codes) == 1 else None
    return CatalogMatch(collapse_spaces(_field(same[0], "name")), code, _field(same[0], "kind") or None, score, code is None)


_NOT_THAI = re.compile(r"[^\u0e01-\u0e4e]")
# The Thai a title must keep, with a Latin name garbled, to be matched on its Thai alone.
_MIN_THAI_CORE = 15


def _match_thai_core(key: str, entries: list[Any], keys: list[str], kind: str | None) -> CatalogMatch | None:
    """A title with a Latin name in it that OCR garbled ("0คะ เครื่องมือ…" for "OKRs เครื่องมือ…"), by its Thai.

    Some faces' Latin letters come back as Thai or digits, several edits for
    one short word, so the whole title is too far from its catalog name; its
    Thai part is not.  Only catalog names with Latin letters are candidates,
    and only one may be near: "การใช้ Microsoft Word" and "… Excel" share
    their Thai and are told apart by nothing here.
    """
    thai = _NOT_THAI.sub("", key)
    if len(thai) < _MIN_THAI_CORE:
        return None
    hits = []
    for entry, k in zip(entries, keys):
        if not re.search("[a-z]", k):
            continue
        core = _NOT_THAI.sub("", k)
        if len(core) >= _MIN_THAI_CORE and Levenshtein.distance(thai, core) <= _allowed_distance(len(core)):
            hits.append((entry, k))
    if len({k for _, k in hits}) != 1:
        return None
    k = hits[0][1]
    allowed = _allowed_distance(len(thai))
    if any(other != k and Levenshtein.distance(thai, _NOT_THAI.sub("", other)[: len(thai)]) <= allowed for other in keys):
        return None  # another course's title starts so: the read may be its first line ("…ดำเนินคดีความผิด")
    if any(word not in k for word in re.findall("[a-z]{3,}", key)):
        return None  # Latin read clearly and not the catalog's: another course sharing the Thai
    if _numbers(k) and _numbers(k) != _numbers(key):
        return None  # editions differ by number ("Excel 2016"); digits in a title without any are the garbling
    score = round(0.8 * fuzz.ratio(key, k) / 100.0, 3)  # less sure than a match of the whole title
    return _partial_match([e for e, _ in hits], kind, score)


def match_course(
    title: str,
    catalog: Sequence[Any] | Iterable[Any] | None = None,
    *,
    kind: str | None = None,
) -> CatalogMatch | None:
    """Match a read course/curriculum title to a catalog entry, or None when not confident."""
    entries = list(default_catalog() if catalog is None else catalog)
    if not entries:
        return None
    keys = [title_key(_field(e, "name")) for e in entries]
    match = _match_key(title_key(title), entries, keys, kind)
    if match is not None:
        return match
    # Less sure: a word was set aside.
    debris = _LEADING_DEBRIS.match(title)
    if debris:
        match = _match_key(title_key(title[debris.end():]), entries, keys, kind)
    garbled = _GARBLED_WORD.sub(" ", title)
    if match is None and garbled != title:
        match = _match_key(title_key(garbled), entries, keys, kind)
    if match is None and _TALL_STROKES.search(title):
        match = _match_tall_strokes(title, entries, kind)
    return replace(match, score=round(0.9 * match.score, 3)) if match is not None else None


# Capital I, small l and a bar are one vertical stroke in the sans faces of certificates and
# screenshots: OCR picks one at random ("Al Skills for AU" for "AI Skills for All").
_TALL_STROKES = re.compile("[Il|]")


def _folded_key(title: str) -> str:
    return title_key(_TALL_STROKES.sub("l", title))


def _match_tall_strokes(title: str, entries: list[Any], kind: str | None) -> CatalogMatch | None:
    """A title that matches once I, l and | are read as one letter, if no two catalog names fold alike."""
    keys = [_folded_key(_field(e, "name")) for e in entries]
    match = _match_key(_folded_key(title), entries, keys, kind)
    if match is None:
        return None
    names = {title_key(_field(e, "name")) for e, k in zip(entries, keys) if k == _folded_key(match.name)}
    return match if len(names) == 1 else None


# A short Latin word or number before a title that matches no course with it:
# debris OCR made of a border or a rotated page's edge ("Fen EQ กับการพัฒนาภาวะผู้นำ",
# "347 AI Skills for All").
_LEADING_DEBRIS = re.compile(r"\s*[A-Za-z0-9]{1,4}\s+(?=\S)")
# A Latin word some faces' print comes back as, digits among letters ("ให103086ธ"
# for "Microsoft"): no title word mixes two digits with letters.
_GARBLED_WORD = re.compile(r"(?<!\S)(?=\S*\d\S*\d)(?=\S*[^\d\s.,()])\S+")


def _match_key(key: str, entries: list[Any], keys: list[str], kind: str | None) -> CatalogMatch | None:
    """The catalog entry a title key matches (see :func:`match_course`), or None."""
    if not key:
        return None
    # A printed course code ("KD05") identifies the course outright.
    for entry in entries:
        code = _field(entry, "code")
        if code and title_key(code) == key:
            return CatalogMatch(collapse_spaces(_field(entry, "name")), code, _field(entry, "kind") or None, 1.0)

    best = process.extractOne(key, keys, scorer=Levenshtein.distance)
    if best is None:
        return None
    best_key, distance, _ = best
    if distance > _allowed_distance(len(best_key)):
        return _match_truncated(key, entries, keys, kind) or _match_thai_core(key, entries, keys, kind)
    # A close but different catalog name must not be closer than the runner-up
    # by a hair: two catalog names within the tolerance of each other are told
    # apart only when the read title is clearly nearer one of them.
    if distance:
        rivals = {
            k
            for k in keys
            if k != best_key and _numbers(k) == _numbers(key) and Levenshtein.distance(key, k) <= distance + 1
        }
        if rivals:
            return None
        # Numbers tell editions apart ("Excel 2016" vs a 2019 course; "Data
        # Visualization 2"): a title whose numbers differ is another course.
        # (A stray digit read from a speck, on a title without numbers, is noise.)
        if _numbers(best_key) and _numbers(key) != _numbers(best_key):
            return None
    same = [e for e, k in zip(entries, keys) if k == best_key]
    if kind:
        same_kind = [e for e in same if (_field(e, "kind") or "course") == kind]
        same = same_kind or same
    score = 1.0 - distance / max(len(best_key), 1)
    # fuzz.ratio agrees with the distance for long titles; blend to soften short ones.
    score = round(0.5 * score + 0.5 * fuzz.ratio(key, best_key) / 100.0, 3)
    name = collapse_spaces(_field(same[0], "name"))
    codes = {_field(e, "code") for e in same}
    if len(codes) == 1:
        return CatalogMatch(name, codes.pop(), _field(same[0], "kind") or None, score)
    # The same title exists under several codes (the portal re-lists courses):
    # keep the name but do not guess the code.
    kinds = {_field(e, "kind") for e in same}
    return CatalogMatch(name, None, kinds.pop() if len(kinds) == 1 else None, score, ambiguous=True)
