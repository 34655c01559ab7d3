"""Repairs: small mends of one misread, each registered for the roles of line it applies to.

A repair is a function with one docstring saying what misread it mends and
where it was seen.  Two kinds:

- a *line repair* (:func:`repair`) mends a re-read line with its picture at
  hand (the crop), in the reader's repair stage (``stages.repair``); it gets a
  :class:`LineUnderRepair` and returns the line's text, changed or not;
- a *text repair* (:func:`text_repair`) mends printed text without a picture,
  where the parser reads a field (``fields``): text in, text out.

Each is registered for the roles it applies to (``name``, ``title``, ``hours``,
``date``, ``issuers``) with an ``order``: :func:`repairs_for` gives a role's
repairs in that order.  The modules are grouped by what they mend:
``digits``, ``dates``, ``names``, ``titles``; the look-alike sets they share
live once in ``lookalikes``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

Role = Literal["name", "title", "hours", "date", "issuers"]
ROLES: tuple[Role, ...] = ("name", "title", "hours", "date", "issuers")
# How a line was re-read before its repairs: its name vote, its title vote, one
# plain single-line read, or kept as the page read it (a sure line only checked).
Reread = Literal["name", "title", "plain", "kept"]

# The modules whose repairs register themselves on import (see _load).
_MODULES = ("digits", "dates", "names", "titles")


@dataclass(frozen=True, slots=True)
class LineUnderRepair:
    """What a line repair sees of one re-read line."""

    text: str  # the line as re-read (and as mended by the repairs before this one)
    crop: np.ndarray  # the line's padded crop, for the line network
    page_text: str  # the same line as the page reading read it
    roles: frozenset[Role]  # the fields the page reading parsed from this line
    reread: Reread
    thai_digits: bool  # printed in Thai digits (the text holds the digit classifier's Latin ones)
    # The page reading took hours or a date (or their wording) from this line: its digits are checked.
    digits_parsed: bool = False
    # No date parsed from the page: this is the line most like the date's wording.
    unparsed_date: bool = False
    # The line's other readings (the page's, each re-read's), for repairs that choose among them.
    readings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Repair:
    """One registered repair: its function, the roles it applies to and where it runs among them."""

    name: str
    roles: frozenset[Role]
    order: int
    mend: Callable[..., str]
    needs_picture: bool


_REGISTRY: list[Repair] = []
_loaded = False


def _register(roles: Iterable[Role], order: int, needs_picture: bool) -> Callable[[Callable[..., str]], Callable[..., str]]:
    def add(fn: Callable[..., str]) -> Callable[..., str]:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"{fn.__name__}: unknown roles {sorted(unknown)}")
        _REGISTRY.append(Repair(fn.__name__, frozenset(roles), order, fn, needs_picture))
        return fn

    return add


def repair(*, roles: Iterable[Role], order: int) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register a line repair ``fn(line: LineUnderRepair) -> str`` for ``roles``, run in ``order``."""
    return _register(roles, order, needs_picture=True)


def text_repair(*, roles: Iterable[Role], order: int) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register a text repair ``fn(text: str) -> str`` for ``roles``, run in ``order``."""
    return _register(roles, order, needs_picture=False)


def _load() -> None:
    # Imported on first use, not here: the repair modules import the reader's
    # text helpers, which import the look-alike sets from this package.
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"{__name__}.{module}")
        _loaded = True


@functools.cache
def repairs_for(role: Role, *, needs_picture: bool = True) -> tuple[Repair, ...]:
    """The line repairs (or, with ``needs_picture=False``, text repairs) registered for ``role``, in order."""
    _load()
    return tuple(sorted((r for r in _REGISTRY if role in r.roles and r.needs_picture == needs_picture),
                        key=lambda r: r.order))


@functools.cache
def line_repairs(roles: frozenset[Role]) -> tuple[Repair, ...]:
    """The line repairs for a line holding ``roles``, each once, in order."""
    _load()
    return tuple(sorted((r for r in _REGISTRY if r.needs_picture and r.roles & roles), key=lambda r: r.order))


def mend_text(role: Role, text: str) -> str:
    """``text`` through the text repairs registered for ``role``, in order."""
    for r in repairs_for(role, needs_picture=False):
        text = r.mend(text)
    return text
