"""One page reading, and how the reader settles fields between several of them.

A :class:`PageReading` is what one OCR pass over a page (or its text layer)
gave: the lines and the fields parsed from them.  The reader makes several
(orientations, a flattened and an unflattened picture, larger scale, one
column) and combines them here: a vote across passes (:func:`merge_passes`),
the single-line re-reads over the page reading (:func:`overlay`), and only
gaps filled from later passes (:func:`fill_missing`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .extraction import TraceStep
from .fields import INTRO_PHRASES, Field, ParsedFields, TextLine, find_phrase
from .person_names import leading_title
from .thai_text import squash

CORE_FIELDS = ("name", "title", "hours", "completed_on")
# A field read with less confidence than this triggers another OCR pass.
RETRY_BELOW = 0.8


@dataclass(frozen=True, slots=True)
class PageReading:
    """The fields parsed from one OCR pass (or text layer) and the lines they came from."""

    fields: ParsedFields
    lines: list[TextLine]
    # The repairs that changed a line of this reading (or of the readings it was settled from).
    trace: tuple[TraceStep, ...] = ()

    @property
    def quality(self) -> float:
        """How certificate-like and complete this reading is (for choosing orientation)."""
        f = self.fields
        total = sum(getattr(f, n).confidence for n in CORE_FIELDS if getattr(f, n) is not None)
        return total + 0.25 * f.anchors

    def is_certificate(self) -> bool:
        """Enough certificate wording or fields to be one."""
        return self.fields.anchors >= 2 and self.fields.found() >= 2 or self.fields.found() >= 3

    def turned(self) -> bool:
        """Most lines run down the picture: Tesseract read a page lying on its side as vertical text.

        It can, well enough to parse three fields of a page turned a quarter,
        but not the large bold name, and the parser then takes the date line
        for it.
        """
        lines = [line for line in self.lines if line.box is not None and len(line.text) >= 5]
        return sum(line.box[3] > line.box[2] for line in lines) > len(lines) / 2

    def rank(self) -> tuple[bool, float, float]:
        """For choosing the orientation: a certificate read across beats any read down, then fields, then quality.

        Only a certificate: Tesseract reads some photos better down than
        across, and a page read across that is no certificate must not win
        over one that is.  Otherwise more fields win, and of as many, a page
        read across: the passes that follow (a larger scale, rows layout
        analysis missed) read a photo's small print across, and made a
        certificate of the upright page where the page read down had won on
        two fields read a little surer.
        """
        across = not self.turned()
        return self.is_certificate() and across, self.fields.found() + (0.5 if across else 0.0), self.quality

    def complete(self) -> bool:
        """All core fields found and each sure enough that another pass would not help."""
        return all(
            getattr(self.fields, n) is not None and getattr(self.fields, n).confidence >= RETRY_BELOW
            for n in CORE_FIELDS
        )


def merge_passes(readings: Sequence[PageReading]) -> PageReading:
    """Combine several passes over the same page into one reading."""
    if len(readings) == 1:
        return readings[0]
    merged = ParsedFields()
    for attr in ("name", "hours", "completed_on", "issuers"):
        setattr(merged, attr, _vote(readings, attr))
    merged.title = _vote(readings, "title")
    if merged.title is not None:
        # Kind and printed lines come from a pass that read the chosen title.
        for r in readings:
            if r.fields.title is not None and _same(r.fields.title.value, merged.title.value):
                merged.kind, merged.title_lines = r.fields.kind, r.fields.title_lines
                break
    else:
        merged.kind = _vote(readings, "kind")
    merged.anchors = max(r.fields.anchors for r in readings)
    best = max(readings, key=lambda r: r.quality)
    merged.lines, merged.sources = best.fields.lines, best.fields.sources
    return PageReading(merged, best.lines, _traces(readings))


def _vote(readings: Sequence[PageReading], attr: str) -> Field[Any] | None:
    """Pick a field's value across passes: confidences of equal values add up."""
    totals: dict[Any, float] = {}
    best_single: dict[Any, Field[Any]] = {}
    for r in readings:
        f = getattr(r.fields, attr)
        if f is None:
            continue
        key = squash(f.value) if isinstance(f.value, str) else (tuple(f.value) if isinstance(f.value, list) else f.value)
        totals[key] = totals.get(key, 0.0) + f.confidence
        if key not in best_single or f.confidence > best_single[key].confidence:
            best_single[key] = f
    if not totals:
        return None
    if attr == "hours":
        # "6.5" and "65" are one reading, its dot lost in the blur of one pass (a dot is not invented).
        for whole in [k for k in totals if any(_dot_lost(k, d) for d in totals)]:
            decimal = next(d for d in totals if _dot_lost(whole, d))
            totals[decimal] += totals.pop(whole)
    key = max(totals, key=lambda k: totals[k])
    chosen = best_single[key]
    if isinstance(chosen.value, str):
        # Same letters, different spacing: Thai OCR inserts spurious spaces far
        # more often than it drops real ones, so the variant with the fewest
        # spaces wins (for a name, never fewer than first + last).
        variants = [getattr(r.fields, attr) for r in readings if getattr(r.fields, attr) is not None]
        variants = [v for v in variants if isinstance(v.value, str) and squash(v.value) == key]
        chosen = min(variants, key=lambda v: (_space_rank(v.value, attr), -v.confidence))
    agreeing = sum(
        1 for r in readings if getattr(r.fields, attr) is not None and _same(getattr(r.fields, attr).value, chosen.value)
    )
    # Independent passes agreeing make the value surer.
    conf = 1.0 - (1.0 - chosen.confidence) ** agreeing if agreeing > 1 else chosen.confidence
    return Field(chosen.value, round(min(conf, 0.99 if agreeing > 1 else conf), 3))


def _space_rank(value: str, attr: str) -> int:
    """Rank spacing variants: names want exactly first and last part; other text the fewest spaces."""
    parts = value.split(" ")
    if attr == "name":
        title = leading_title(value)
        rest = value[len(title):].strip() if title else value
        n = len(rest.split(" "))
        return 0 if n == 2 else (1 if n > 2 else 2)
    return len(parts)


def _dot_lost(whole: Any, decimal: Any) -> bool:
    """True when hours ``whole`` reads as ``decimal`` with its decimal point dropped (65 for 6.5)."""
    if not isinstance(whole, (int, float)) or not isinstance(decimal, (int, float)) or float(decimal).is_integer():
        return False
    return float(whole).is_integer() and f"{decimal:g}".replace(".", "") == f"{int(whole)}"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return squash(a) == squash(b)
    return a == b


def overlay(base: PageReading, second: PageReading) -> PageReading:
    """Fields of a page reading, replaced by the single-line re-reads where those parsed.

    The re-read of a line is the better witness for that line (see
    :func:`stages.second_look`); page-level passes share its blind spots, so they
    must not outvote it.  The lines are the re-read ones, so only the fields
    taken from ``second`` keep their source lines.
    """
    out = ParsedFields(
        name=base.fields.name, title=base.fields.title, kind=base.fields.kind, hours=base.fields.hours,
        completed_on=base.fields.completed_on, issuers=base.fields.issuers, anchors=base.fields.anchors,
        title_lines=base.fields.title_lines, lines=second.fields.lines,
    )
    s = second.fields
    if s.name is not None:
        out.name = s.name
    # Hours and dates are re-read only when unsure; the re-read wins only if no less sure.
    # A sure line the network only checked keeps its confidence: a digit it mended
    # ("29" to "20") must win the tie.
    for attr in ("hours", "completed_on"):
        mine, theirs = getattr(out, attr), getattr(s, attr)
        if theirs is None or (mine is not None and _dot_lost(theirs.value, mine.value)):
            continue
        if mine is None or theirs.confidence >= mine.confidence or _dot_lost(mine.value, theirs.value):
            setattr(out, attr, theirs)
    if s.title is not None:
        out.title, out.kind, out.title_lines = s.title, s.kind, s.title_lines
    out.sources = {attr: s.sources[attr] for attr in CORE_FIELDS
                   if attr in s.sources and getattr(out, attr) is not None and getattr(out, attr) is getattr(s, attr)}
    return PageReading(out, second.lines, _traces([base, second]))


def fill_missing(first: PageReading, voted: PageReading) -> PageReading:
    """Keep every field the first reading has; take the vote's for the ones it lacks."""
    out = ParsedFields(**{k: getattr(first.fields, k) for k in first.fields.__slots__})
    for attr in ("name", "hours", "completed_on", "issuers"):
        if getattr(out, attr) is None:
            setattr(out, attr, getattr(voted.fields, attr))
    if out.title is None and voted.fields.title is not None:
        out.title, out.kind, out.title_lines = voted.fields.title, voted.fields.kind, voted.fields.title_lines
    return PageReading(out, first.lines, _traces([first, voted]))


def without_name_above_intro(reading: PageReading) -> PageReading:
    """The reading without its name when that was taken from above the intro phrase.

    The learner is named after "…เพื่อแสดงว่า"; with the name row unread the
    parser falls back on the line above, which is then the issuer
    ("สำนักงาน ก.พ.").  Dropped only once the orientation is chosen (there the
    wrong name still counts as a field, or a page turned the other way could
    win on the fields it parses): the re-reads and later passes look for the name.
    """
    f = reading.fields
    source = f.sources.get("name", [])
    if f.name is None or not source:
        return reading
    intro = find_phrase(f.lines, INTRO_PHRASES, threshold=0.8)
    if intro is None or max(source) >= intro.index:
        return reading
    fields = dataclasses.replace(f, name=None, sources={k: v for k, v in f.sources.items() if k != "name"})
    return PageReading(fields, reading.lines, reading.trace)


def _traces(readings: Sequence[PageReading]) -> tuple[TraceStep, ...]:
    """The repairs recorded in ``readings``, each once, in order."""
    return tuple(dict.fromkeys(step for r in readings for step in r.trace))


