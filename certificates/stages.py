"""Read a certificate upload into an :class:`Extraction`, in stages to read top to bottom.

``read_certificate`` is synchronous and CPU-bound (Tesseract): call it from
the worker pool in ``pool.py``, never on the asyncio event loop.  Each stage
is a function from one typed value to the next:

1. load: the upload's pages, each with its PDF text layer if any (:func:`load`).
2. prepare: a page picture greyed, light evened, flattened along the sheet's outline (:func:`prepare`).
3. orient: the quarter turn under which the page reads as a certificate (:func:`orient`).
4. layout: Tesseract's reading of the upright page: lines, boxes, fields parsed (:func:`layout`).
5. assign roles: which lines hold the name, title, hours and date, each cropped from its row (:func:`assign_roles`).
6. read: each of those lines re-read alone; a name or title by a vote of several reads (:func:`read_lines`).
7. repair: the repairs registered for each line's roles, recorded in a trace (:func:`repair`, ``repairs``).
8. parse: the fields parsed from the repaired lines, over the page reading's (:func:`parse`, ``passes``).
9. assemble: the title matched to the course catalog, the :class:`Extraction` made (:func:`assemble`).

Steps 5-8 are the second look (:func:`second_look`).  A name without its
family name is read again with the rows layout analysis missed
(:func:`with_family_name_missed`).  A field still missing after it gets those
rows, then larger and one-column page passes that only fill gaps
(:func:`read_prepared`).  The first page that reads
as a certificate is returned; if none does, :class:`NotACertificate` is raised.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import preprocessing as pre
from .catalog import CatalogMatch, default_catalog, match_course
from .errors import NotACertificate, TooLarge
from .extraction import Extraction, TraceStep
from .fields import (
    COMPLETION_PHRASES,
    DATE_PHRASES,
    HOURS_PHRASES,
    INTRO_PHRASES,
    ParsedFields,
    TextLine,
    find_phrase,
    join_wrapped,
    lines_from_text,
    parse_fields,
)
from .limits import DEFAULT_LIMITS, ReaderLimits
from .line_reads import LineReading, read_name_line, read_title_line, thai_line
from .loading import Page, iter_pages
from .missed_lines import missed_rows, missed_title_line, row_duplicates, row_fragments, union_box, widened_to_row
from .ocr import detect_orientation, line_crop, ocr_lines
from .passes import RETRY_BELOW, PageReading, fill_missing, merge_passes, overlay, without_name_above_intro
from .person_names import split_name
from .repairs import ROLES, LineUnderRepair, Reread, Role, line_repairs
from .repairs.titles import joined_pieces
from .thai_text import drop_stray_consonants, squash, thai_ratio
from .wrapped_names import side_by_side

logger = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.6
# How far (in line heights) ink may stand from an hours or date line's box and
# still be part of its row (see widened_to_row): TlwgTypist's word gap is 1.4.
SMALL_PRINT_REACH = 2.0


# --- 1. load ----------------------------------------------------------------------------------


def load(data: bytes, filename: str | None, mime: str | None, limits: ReaderLimits) -> Iterator[Page]:
    """The upload's pages: one for an image, up to ``limits.max_pdf_pages`` for a PDF."""
    return iter_pages(data, filename, mime, limits)


def page_picture(page: Page, limits: ReaderLimits) -> np.ndarray:
    """The page rendered as RGB, no larger than the limits allow."""
    img = page.render()
    w, h = img.size
    if w * h > limits.max_pixels:
        raise TooLarge(f"{w}x{h} px > {limits.max_pixels}")
    rgb = pre.pil_to_rgb(img)
    if max(w, h) > limits.max_side:
        rgb = pre.resize_long_side(rgb, limits.max_side)
    return rgb


# --- 2. prepare -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreparedPage:
    """A page picture made ready for OCR: grey, light evened, rules removed; flattened if an outline was found."""

    gray: np.ndarray
    flattened: bool


def prepare(rgb: np.ndarray, quad: np.ndarray | None) -> PreparedPage:
    """Flatten the sheet bounded by ``quad`` (or cut UI bars when there is none), then grey with even light."""
    flat = pre.warp_page(rgb, quad) if quad is not None else pre.crop_ui_bars(rgb)
    return PreparedPage(pre.remove_rules(pre.normalize_light(pre.text_gray(flat))), quad is not None)


# --- 3. orient and 4. layout ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UprightPage:
    """A prepared page turned upright (``rotation`` degrees) and deskewed."""

    gray: np.ndarray
    rotation: int


@dataclass(frozen=True, slots=True)
class Layout:
    """Tesseract's reading of a whole upright page, and the scaled picture its line boxes refer to."""

    reading: PageReading
    scaled: np.ndarray
    page: UprightPage


def upright(page: PreparedPage, rotation: int) -> UprightPage:
    """Rotate by a quarter turn, then remove residual skew."""
    g = pre.rotate_quarter(page.gray, rotation)
    angle = pre.estimate_skew(g)
    if abs(angle) >= 0.4:
        g = pre.rotate_small(g, angle)
    return UprightPage(g, rotation)


def layout(page: UprightPage, *, psm: int = 3, side: int | None = None) -> Layout:
    """The page read by Tesseract's layout analysis (``psm``), scaled to ``side`` (default the reader's), and parsed."""
    scaled = pre.scale_for_ocr(page.gray) if side is None else pre.scale_for_ocr(page.gray, side)
    lines = ocr_lines(scaled, psm=psm)
    return Layout(PageReading(parse_fields(lines), lines), scaled, page)


def needs_sparse_read(reading: PageReading) -> bool:
    """Hardly any text and no field: layout analysis may have taken the whole page for a picture.

    A frame and big diagonal bands round clean print have been read as one
    "@"; sparse-text mode (psm 11) looks for text anywhere.
    """
    return len(reading.lines) < 3 and reading.fields.found() == 0


def rotation_order(gray: np.ndarray) -> list[int]:
    """Quarter turns to try, most likely first: OSD's guess, then by page shape."""
    osd = detect_orientation(gray)
    h, w = gray.shape[:2]
    # Certificates are mostly portrait: a landscape picture is more likely turned.
    by_shape = [0, 180, 90, 270] if h >= w else [90, 270, 0, 180]
    if osd is None:
        return by_shape
    first, flipped = osd.rotate, (osd.rotate + 180) % 360
    # OSD confuses a page with its upside-down self more often than with a quarter turn.
    return [first, flipped] + [r for r in by_shape if r not in (first, flipped)]


def orient(page: PreparedPage) -> Layout:
    """The page reading of the orientation that reads most like a certificate.

    OSD is unreliable on Thai, so its guess is checked by whether the page
    reads as a certificate, and other turns are tried when it does not.
    """
    if pre.is_blank(page.gray):
        raise NotACertificate("blank page")
    best: Layout | None = None
    for i, rotation in enumerate(rotation_order(page.gray)):
        turned = upright(page, rotation)
        found = layout(turned)
        if needs_sparse_read(found.reading):
            sparse = layout(turned, psm=11)
            if sparse.reading.rank() > found.reading.rank():
                found = sparse
        if best is None or found.reading.rank() > best.reading.rank():
            best = found
        reading = found.reading
        if reading.is_certificate() and reading.fields.found() >= 3 and not reading.turned():
            break
        b = best.reading
        if i == 1 and b.fields.anchors == 0 and b.fields.found() == 0 and len(b.lines) < 3:
            break  # hardly any text either way up: a photo of something else
    assert best is not None
    return best


def extra_passes(page: UprightPage) -> list[Callable[[], Layout]]:
    """Other page reads: a larger scale (helps small chat-app text), and one column of lines (psm 4)."""
    return [lambda: layout(page, side=int(pre.TARGET_PAGE_SIDE * 1.3)), lambda: layout(page, psm=4)]


# --- 5. assign roles ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleLine:
    """A line of the page reading that holds (or may hold) a field, ready to be re-read."""

    index: int
    line: TextLine  # the page's line, its box joined with pieces of its row and widened over it
    crop: np.ndarray
    roles: frozenset[Role]
    reread: Reread
    digits_parsed: bool  # hours or a date (or their wording) parsed from it: its digits are checked
    unparsed_date: bool  # no date parsed from the page: the line most like the date's wording
    joins: tuple[int, ...] = ()  # later lines this one stands for once read (a name printed over two lines)
    read_height: int | None = None  # the print's line height, where the box spans more than one line


@dataclass(frozen=True, slots=True)
class RoleLines:
    """The page reading's lines with their roles assigned."""

    layout: Layout
    lines: tuple[TextLine, ...]  # the page's lines, boxes joined and widened; joined pieces still in place
    targets: tuple[RoleLine, ...]
    merged: frozenset[int]  # lines joined into another's row: dropped once the lines are read
    changed: bool  # a box was joined or widened, or a duplicate dropped


@dataclass(slots=True)
class _RoleSets:
    """Line indices by role, and which lines are re-read, which only checked."""

    by_role: dict[Role, set[int]]
    targets: set[int]  # every line to re-read or check
    check_only: set[int]  # sure hours and date lines: their digits checked, the line not re-read
    digit_lines: set[int]  # hours and date lines (or their wording's): their digits are checked
    unread_date_line: int | None  # no date parsed: the line most like the date's wording


def _role_sets(f: ParsedFields) -> _RoleSets:
    """Which lines of the page reading hold which field, and how each is re-read."""
    name_lines = set(f.sources.get("name", []))
    if f.name is None:
        # The name line was read as junk: it sits between the intro and the completion phrase.
        intro = find_phrase(f.lines, INTRO_PHRASES, threshold=0.8)
        if intro is not None:
            done = find_phrase(f.lines, COMPLETION_PHRASES, threshold=0.8, start=intro.index + 1)
            stop = done.index if done is not None else min(len(f.lines), intro.index + 3)
            name_lines |= set(range(intro.index + 1, min(stop, intro.index + 3)))
    title_lines = set(f.sources.get("title", []))
    targets = name_lines | title_lines
    unread_date_line = None
    for key, phrases in (("hours", HOURS_PHRASES), ("completed_on", DATE_PHRASES)):
        value = getattr(f, key)
        if value is None or value.confidence < RETRY_BELOW:
            targets |= set(f.sources.get(key, []))
        if value is None:
            # Not parsed at all: re-read the line that looks most like its wording.
            hit = find_phrase(f.lines, phrases, threshold=0.55)
            if hit is not None:
                targets.add(hit.index)
                if key == "completed_on":
                    unread_date_line = hit.index
    if f.completed_on is None:
        # The date is printed under the hours; small serif print can come back as
        # Latin junk no phrase matches ("ให้[วั ณ TUN 7 B.A. 64"), which a re-read mends.
        targets |= {i + 1 for i in f.sources.get("hours", []) if i + 1 < len(f.lines)}
    # Hours and dates read with confidence may still hold a digit misread on a
    # heavy face (Mitr's 0 as 9: "20" as "29"): the line network checks them.
    digit_lines = {i for key in ("hours", "completed_on") for i in f.sources.get(key, []) if 0 <= i < len(f.lines)}
    check_only = digit_lines - targets
    roles: dict[Role, set[int]] = {
        "name": name_lines,
        "title": title_lines,
        "hours": set(f.sources.get("hours", [])),
        "date": set(f.sources.get("completed_on", [])) | ({unread_date_line} if unread_date_line is not None else set()),
    }
    return _RoleSets(roles, targets | digit_lines, check_only, digit_lines, unread_date_line)


def _neighbours(page_lines: Sequence[TextLine], line: TextLine) -> tuple[int | None, int | None]:
    """Where the nearest real line above ends and the one below starts, in ``line``'s column."""
    above = below = None
    for other in page_lines:
        if other.box is None or other is line or other.confidence < 0.6 or thai_ratio(other.text) < 0.5:
            continue  # debris (marks split off, decoration) is no neighbour to stop at
        ox, oy, ow, oh = other.box
        x, y, w, h = line.box
        if min(x + w, ox + ow) <= max(x, ox):
            continue  # not in the same column
        if oh < 0.6 * h and other.confidence < 0.9:
            continue  # a thin "line" of marks split off a big line is part of it
        if oy + oh <= y + 0.3 * h:
            above = max(above or 0, oy + oh)
        elif oy >= y + 0.7 * h:
            below = min(below or 10**9, oy)
    return above, below


def assign_roles(page: Layout) -> RoleLines:
    """The lines that hold fields, each with its roles, how it is re-read, and its crop.

    Name and title lines are always re-read; hours and date lines when
    unsure or unparsed (else only their digits are checked); a field not
    parsed at all has the line most like its wording re-read.  A row that
    layout analysis cut in pieces is joined first, and a name, hours or
    date box is widened over ink of its row that layout analysis left out.
    """
    f = page.reading.fields
    sets = _role_sets(f)
    name_lines, title_lines, digit_lines = sets.by_role["name"], sets.by_role["title"], sets.digit_lines
    check_only, unread_date_line = sets.check_only, sets.unread_date_line
    lines = list(f.lines)
    changed = False
    merged: set[int] = set()
    out: list[RoleLine] = []
    # A name printed over two lines (title and given name, then the family name): its lines' indices.
    sources = sorted(f.sources.get("name", []))
    wrapped = (sources[0], sources[1]) if len(sources) == 2 and sources[1] == sources[0] + 1 else None
    given_crop: np.ndarray | None = None
    for i in sorted(sets.targets):
        if not (0 <= i < len(lines)) or lines[i].box is None or i in merged:
            continue
        if i in title_lines:
            # A title line layout analysis cut in two: each piece's crop, widened,
            # shows some of the other's letters, and the title would hold them twice.
            # Pieces are looked for again beside the joined box: a row cut in three
            # has its third piece beside the second, not the first.
            pieces = [j for j in row_fragments(lines, i, among=title_lines) if j not in merged and j > i]
            while pieces:
                j = pieces[0]
                left, right = sorted((lines[i], lines[j]), key=lambda line: line.box[0])
                text = joined_pieces(left.text, right.text)
                lines[i] = TextLine(text, lines[i].confidence, lines[i].height, union_box(lines[i].box, lines[j].box))
                merged.add(j)
                changed = True
                pieces = [j for j in row_fragments(lines, i, among=title_lines) if j not in merged and j > i]
            twice = [j for j in row_duplicates(lines, i, among=title_lines) if j not in merged]
            if twice:
                merged.update(twice)
                changed = True
        if i in name_lines:
            for j in row_fragments(lines, i):
                lines[i] = TextLine(lines[i].text, lines[i].confidence, lines[i].height,
                                    union_box(lines[i].box, lines[j].box))
                merged.add(j)
                changed = True
        if i in name_lines or i in digit_lines or i == unread_date_line:
            # Layout analysis may also leave out a date line's year ("…พฤษภาคม 33"
            # for "…พฤษภาคม พ.ศ. 2567"): such a line is re-read, not only checked.
            wide = widened_to_row(page.scaled, lines[i].box, reach=1.0 if i in name_lines else SMALL_PRINT_REACH)
            if wide != lines[i].box:
                lines[i] = dataclasses.replace(lines[i], box=wide)
                check_only.discard(i)
                changed = True
        above, below = _neighbours(f.lines, lines[i])
        source = page.scaled
        if wrapped is not None and i in wrapped:
            # The two lines of a wrapped name stand close: each one's crop, which reaches half a line
            # past its box for marks the box missed, would show the other's letters.
            source = _whited_out(page.scaled, lines[wrapped[1] if i == wrapped[0] else wrapped[0]].box)
        crop = line_crop(source, lines[i].box, above=above, below=below)
        if crop is None:
            continue
        if wrapped is not None and i == wrapped[0]:
            given_crop = crop  # read with the family name's line, next
            continue
        if wrapped is not None and i == wrapped[1] and given_crop is not None:
            out += _wrapped_name(lines, wrapped, given_crop, crop)
            continue
        reread: Reread = ("kept" if i in check_only else "name" if i in name_lines
                          else "title" if i in title_lines else "plain")
        roles = frozenset(role for role in ROLES if i in sets.by_role.get(role, ()))
        out.append(RoleLine(i, lines[i], crop, roles, reread, i in digit_lines, i == unread_date_line))
    return RoleLines(page, tuple(lines), tuple(out), frozenset(merged), changed)


def _whited_out(gray: np.ndarray, box: tuple[int, int, int, int] | None) -> np.ndarray:
    """The page with one line's box painted white."""
    if box is None:
        return gray
    x, y, w, h = box
    out = gray.copy()
    out[max(0, y) : y + h, max(0, x) : x + w] = 255
    return out


def _wrapped_name(
    lines: Sequence[TextLine], pair: tuple[int, int], given_crop: np.ndarray, family_crop: np.ndarray
) -> list[RoleLine]:
    """A name printed over two lines, as one role line: the two crops side by side on one baseline
    (``wrapped_names``), so the name's votes, lists and spacing see the whole name.

    It is a name line like any other from here on: its repairs (spelling, twin letters,
    spaces at the print's gaps) see the pasted crop, where the gap between the two
    pieces stands for the space the template broke the name at.
    """
    first, second = lines[pair[0]], lines[pair[1]]
    h = max(first.box[3], second.box[3])
    whole = side_by_side(given_crop, family_crop, h)
    if whole is None:
        return []
    line = TextLine(f"{first.text} {second.text}", first.confidence, first.height, union_box(first.box, second.box))
    return [RoleLine(pair[0], line, whole, frozenset({"name"}), "name", False, False, joins=(pair[1],), read_height=h)]


# --- 6. read ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineReadings:
    """Each role line as its re-reads settled it (lines that read nothing are left out)."""

    role_lines: RoleLines
    readings: tuple[tuple[RoleLine, LineReading], ...]


def read_line(target: RoleLine) -> LineReading | None:
    """One role line re-read from its crop: as a name, a title line, plainly, or kept as the page read it."""
    h = target.read_height or target.line.box[3]
    if target.reread == "kept":
        return LineReading(target.line.text, target.line.confidence, target.line.thai_digits)
    if target.reread == "name":
        return read_name_line(target.crop, h, target.line.text)
    if target.reread == "title":
        return read_title_line(target.crop, h, target.line)
    line = thai_line(target.crop, h)
    return None if line is None else LineReading(line.text, line.confidence, line.thai_digits)


def read_lines(role_lines: RoleLines) -> LineReadings:
    """Every role line re-read (see :func:`read_line`)."""
    out = []
    for target in role_lines.targets:
        reading = read_line(target)
        if reading is not None:
            out.append((target, reading))
    return LineReadings(role_lines, tuple(out))


# --- 7. repair ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RepairedLines:
    """The page's lines with each re-read line, repaired, in its place; and what the repairs changed."""

    role_lines: RoleLines
    lines: tuple[TextLine, ...]
    changed: bool  # any line differs from the page reading's
    trace: tuple[TraceStep, ...]
    joined: frozenset[int] = frozenset()  # lines read as part of another (see RoleLine.joins): dropped


def repair_line(target: RoleLine, reading: LineReading) -> tuple[TextLine, list[TraceStep]]:
    """The line after the repairs registered for its roles, in order, and a trace step for each that changed it."""
    text, trace = reading.text, []
    for r in line_repairs(target.roles):
        seen = LineUnderRepair(text, target.crop, target.line.text, target.roles, target.reread, reading.thai_digits,
                               target.digits_parsed, target.unparsed_date, reading.readings)
        mended = r.mend(seen)
        if mended != text:
            role = next(role for role in ROLES if role in r.roles and role in target.roles)
            trace.append(TraceStep(r.name, role, text, mended))
            text = mended
    line = TextLine(text, reading.settled_confidence(text), target.line.height, target.line.box, reading.thai_digits)
    return line, trace


def repair(readings: LineReadings) -> RepairedLines:
    """Every re-read line through its repairs (see ``repairs``), put back in the page's lines where it changed."""
    lines = list(readings.role_lines.lines)
    changed = readings.role_lines.changed
    trace: list[TraceStep] = []
    joined: set[int] = set()
    for target, reading in readings.readings:
        line, steps = repair_line(target, reading)
        trace += steps
        if target.joins:
            joined.update(target.joins)
            lines[target.index] = line
            changed = True
        elif line.text != lines[target.index].text:
            lines[target.index] = line
            changed = True
    return RepairedLines(readings.role_lines, tuple(lines), changed, tuple(trace), frozenset(joined))


# --- 8. parse -----------------------------------------------------------------------------------


def parse(repaired: RepairedLines) -> PageReading | None:
    """The fields parsed from the repaired lines (None when no line changed: the page reading stands).

    A title's last line that layout analysis dropped is read from the gap
    above the hours first (``missed_lines.missed_title_line``).
    """
    role_lines = repaired.role_lines
    f = role_lines.layout.reading.fields
    lines = list(repaired.lines)
    merged = set(role_lines.merged) | repaired.joined
    changed = repaired.changed
    missed, fragments = missed_title_line(lines, f, role_lines.layout.scaled) or (None, [])
    last_title = lines[max(set(f.sources["title"]) - merged)] if missed is not None else None
    merged.update(fragments)
    lines = [line for k, line in enumerate(lines) if k not in merged]
    if missed is not None:
        lines.insert(next(k for k, line in enumerate(lines) if line is last_title) + 1, missed)
        changed = True
    if not changed:
        return None
    return PageReading(parse_fields(lines), lines, repaired.trace)


def second_look(page: Layout) -> PageReading | None:
    """Stages 5-8: the lines that hold fields re-read one at a time, repaired, and parsed again."""
    return parse(repair(read_lines(assign_roles(page))))


# --- the page, through its passes ------------------------------------------------------------------


def with_missed_rows(page: Layout) -> PageReading:
    """The reading with every row of ink that none of its lines covers read as a line of its own."""
    reading = page.reading
    found = missed_rows(reading.lines, page.scaled)
    if not found:
        return reading
    lines = sorted(list(reading.lines) + found, key=lambda line: line.box[1] if line.box else 0)
    return PageReading(parse_fields(lines), lines, reading.trace)


def read_prepared(page: PreparedPage) -> PageReading:
    """A prepared page's fields: oriented, read, re-read by line, and gaps filled by more passes."""
    found = orient(page)
    best = without_name_above_intro(found.reading)
    if not best.is_certificate():
        if best.fields.found() < 2:
            return best
        # Some fields but too little wording: faint or small print that
        # layout analysis never found (the lines under a name and title in a
        # photo of a small sheet), read from the rows of ink no line covers,
        # or that the other passes may read (psm 4 keeps lines layout analysis dropped).
        rows = without_name_above_intro(with_missed_rows(dataclasses.replace(found, reading=best)))
        if rows.is_certificate():
            best = rows
        for variant in extra_passes(found.page) if not best.is_certificate() else ():
            other = variant()
            if other.reading.is_certificate() and other.reading.quality > best.quality:
                best, found = other.reading, other
                break
        if not best.is_certificate():
            return best
    second = second_look(dataclasses.replace(found, reading=best))
    if second is not None:
        best = overlay(best, without_name_above_intro(second))
    best = with_family_name_missed(found, best)
    if best.fields.found() == 4:
        return best
    # Lines that layout analysis never found (faint, small print in a photo)
    # are read one by one from the rows of ink no found line covers.
    best = fill_missing(best, without_name_above_intro(with_missed_rows(dataclasses.replace(found, reading=best))))
    if best.fields.found() == 4:
        return best
    passes = [best]
    # A field still missing: other passes may see it.  They only fill gaps:
    # page-level passes share the blind spots the single-line re-reads
    # corrected, so they must not outvote those.
    for variant in extra_passes(found.page):
        other = variant()
        reading = other.reading
        if best.fields.name is None and reading.fields.name is not None:
            # A name only this pass found (gold print in a photo) is read as names are.
            again = second_look(other)
            if again is not None:
                reading = overlay(without_name_above_intro(reading), without_name_above_intro(again))
        passes.append(without_name_above_intro(reading))
        best = fill_missing(best, merge_passes(passes))
        if best.fields.found() == 4:
            break
    return best


def lacks_family_name(reading: PageReading) -> bool:
    """Whether the reading's name has no family name (every learner has one)."""
    name = reading.fields.name
    person = split_name(name.value) if name is not None else None
    return person is not None and not person.last


def with_family_name_missed(page: Layout, reading: PageReading) -> PageReading:
    """The reading with its name read whole, where layout analysis missed the line its family name wraps onto.

    A long name broken at its space puts the family name alone on the next
    line, which layout analysis can miss altogether on a clean page (large
    print, wide spacing): the name then comes back without it, and since
    every field was found no other pass looks.  The rows of ink no line
    covers are then read, and the name re-read with them as a wrapped name
    is; it is taken only if it has a family name.
    """
    if not lacks_family_name(reading):
        return reading
    rows = with_missed_rows(dataclasses.replace(page, reading=reading))
    if rows is reading:
        return reading
    again = second_look(dataclasses.replace(page, reading=rows))
    whole = without_name_above_intro(again if again is not None else rows)
    if whole.fields.name is None or lacks_family_name(whole):
        return reading
    fields = dataclasses.replace(reading.fields, name=whole.fields.name)
    fields.sources = {k: v for k, v in reading.fields.sources.items() if k != "name"}
    return PageReading(fields, reading.lines, reading.trace + whole.trace)


def read_picture(rgb: np.ndarray) -> PageReading:
    """A page picture's fields, flattened along the sheet's outline when one is found.

    The outline search can take a decoration or the frame's edge for a side
    of the sheet (a screenshot letterboxed in black, a sheet running off the
    photo); the warp then squeezes the text until little of it reads.  So
    when the flattened page leaves a field unread or unsure, the picture is
    read as it is as well, and the better reading wins (:func:`better_flattening`).
    """
    quad = pre.find_page_quad(rgb)
    if quad is None:
        return read_prepared(prepare(rgb, None))
    try:
        warped = read_prepared(prepare(rgb, quad))
    except NotACertificate:
        return read_prepared(prepare(rgb, None))
    if warped.complete():
        return warped
    try:
        flat = read_prepared(prepare(rgb, None))
    except NotACertificate:
        return warped
    return better_flattening(warped, flat)


def better_flattening(warped: PageReading, flat: PageReading) -> PageReading:
    """Of the page read flattened and as it is, the one with more fields, then the one sure of each, then the surer.

    A squeezed page can still yield four fields of junk, all unsure.  A
    reading sure of every field beats one unsure of some, however sure of
    the rest: a photo's flattened page read a date unsure and wrong ("11"
    for 1) and all else surer than the page as it is, which read all four
    right and sure.
    """
    return max((warped, flat), key=lambda r: (r.is_certificate(), r.fields.found(), r.complete(), r.quality))


def read_page(page: Page, limits: ReaderLimits) -> tuple[PageReading, str]:
    """A page's fields and where they came from: its text layer, OCR of its picture, or both."""
    text_reading: PageReading | None = None
    if page.text and len(squash(page.text)) >= 30:
        lines = lines_from_text(page.text)
        text_reading = PageReading(parse_fields(lines), lines)
        if text_reading.complete():
            return text_reading, "text_layer"
    try:
        ocr_reading = read_picture(page_picture(page, limits))
    except NotACertificate:
        if text_reading is not None and text_reading.is_certificate():
            return text_reading, "text_layer"
        raise
    if text_reading is not None and text_reading.is_certificate():
        return merge_passes([text_reading, ocr_reading]), "text_layer+ocr"
    return ocr_reading, "ocr"


# --- 9. assemble ----------------------------------------------------------------------------------


def match_title(fields: ParsedFields, catalog: Sequence[Any]) -> CatalogMatch | None:
    """Match the title against the catalog; also try without a doubtful continuation line."""
    if fields.title is None:
        return None
    kind = fields.kind.value if fields.kind else None
    tries = [fields.title.value]
    if len(fields.title_lines) > 1:
        tries.append(join_wrapped(fields.title_lines[:-1]))
        tries.append(fields.title_lines[0])
    for title in tries:
        m = match_course(title, catalog, kind=kind)
        if m is not None:
            return m
    return None


def assemble(reading: PageReading, catalog: Sequence[Any], page: int, source: str) -> Extraction:
    """The :class:`Extraction` of a page's fields: catalog name and code, warnings, confidences, trace."""
    f = reading.fields
    ex = Extraction(page=page, source=source, trace=list(reading.trace))
    ex.text = "\n".join(line.text for line in reading.lines)
    conf: dict[str, float] = {}
    if f.name:
        ex.name, conf["name"] = f.name.value, f.name.confidence
    if f.kind:
        ex.kind, conf["kind"] = f.kind.value, f.kind.confidence
    if f.title:
        ex.course, conf["course"] = f.title.value, f.title.confidence
        match = match_title(f, catalog)
        if match is not None:
            ex.course = match.name
            ex.code = match.code
            conf["course"] = round(max(conf["course"], 0.95 * match.score), 3)
            if match.code:
                conf["code"] = round(match.score, 3)
            if ex.kind is None and match.kind:
                ex.kind, conf["kind"] = match.kind, 0.7
            if match.ambiguous:
                ex.warnings.append("course_code_ambiguous")
        else:
            ex.course = drop_stray_consonants(ex.course)
            ex.warnings.append("course_not_in_catalog")
    if f.hours:
        value = f.hours.value
        ex.hours = int(value) if float(value).is_integer() else value
        conf["hours"] = f.hours.confidence
    if f.completed_on:
        ex.completed_on, conf["completed_on"] = f.completed_on.value, f.completed_on.confidence
        if ex.completed_on > dt.date.today() + dt.timedelta(days=1):
            ex.warnings.append("date_in_future")
    if f.issuers:
        ex.issuers, conf["issuers"] = list(f.issuers.value), f.issuers.confidence
    for key, warning in (("name", "name_not_found"), ("course", "course_not_found"),
                         ("hours", "hours_not_found"), ("completed_on", "date_not_found")):
        if key not in conf:
            ex.warnings.append(warning)
    ex.field_confidence = conf
    core = [conf.get(k, 0.0) for k in ("name", "course", "hours", "completed_on")]
    ex.confidence = round(sum(core) / len(core), 3)
    if ex.confidence < LOW_CONFIDENCE:
        ex.warnings.append("low_confidence")
    return ex


def read_certificate(
    data: bytes,
    filename: str | None = None,
    *,
    catalog: Sequence[Any] | None = None,
    limits: ReaderLimits | None = None,
    mime: str | None = None,
) -> Extraction:
    """Read a certificate image or PDF; raises UnsupportedFile, CorruptFile, TooLarge or NotACertificate."""
    limits = limits or DEFAULT_LIMITS
    entries = default_catalog() if catalog is None else catalog
    for page in load(data, filename, mime, limits):
        try:
            reading, source = read_page(page, limits)
        except NotACertificate:
            continue
        if reading.is_certificate():
            return assemble(reading, entries, page.number, source)
    raise NotACertificate("no certificate wording found")
