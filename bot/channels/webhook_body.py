"""Reading and parsing webhook bodies defensively: a size cap, strict JSON, bounded shapes.

A body with a valid signature still comes from the network: a platform bug, a
proxy or a leaked secret can send anything. Everything here fails with `BadBody`
(a short reason label, never content) instead of raising whatever the parser or
the SDKs happen to raise, so the webhook can answer at once and log safely.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from storage.inbox import NewEvent

if TYPE_CHECKING:
    from bot.metrics import Metrics

logger = logging.getLogger(__name__)

MAX_DEPTH = 32  # real LINE and Telegram bodies nest fewer than 12 levels
MAX_STRING_CHARS = 20_000  # LINE texts are at most 5,000 characters, Telegram's 4,096
INT_DIGITS = 20  # longer literals cannot be a 64-bit id; cut before int() parses them
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # what PostgreSQL and the SDKs can hold
READ_CHUNK = 64 * 1024


class BadBody(ValueError):
    """A body (or one event in it) the service cannot use; `reason` is a label safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Poison:
    """Stands in for a number JSON allowed but we refuse, so a batch can drop just that event."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


_NON_FINITE = _Poison("non_finite_number")
_HUGE_INT = _Poison("huge_int")


def _parse_constant(_: str) -> _Poison:
    return _NON_FINITE  # NaN, Infinity, -Infinity: Python's json accepts them, JSON does not


def _parse_float(text: str) -> float | _Poison:
    value = float(text)
    return value if math.isfinite(value) else _NON_FINITE  # 1e999 parses as inf


def _parse_int(text: str) -> int | _Poison:
    if len(text.lstrip("-")) > INT_DIGITS:
        return _HUGE_INT
    value = int(text)
    return value if INT_MIN <= value <= INT_MAX else _HUGE_INT


async def read_capped(request: web.Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed `limit` bytes (chunked ones included)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def too_large(channel: str, limit: int, metrics: Metrics) -> web.Response:
    """413 for a body over the cap, counted and logged before the rest of it is read."""
    metrics.webhooks.labels(channel, "too_large").inc()
    logger.warning("%s webhook body over %d bytes refused", channel, limit)
    return web.Response(status=413, text="body too large")


def unusable(channel: str, reason: str, size: int, metrics: Metrics) -> web.Response:
    """200 for an authentic body the service cannot use: the platform must not redeliver the same bytes.

    Counted, and logged with its reason label and size only, never its content.
    """
    metrics.webhooks.labels(channel, "bad_body").inc()
    logger.warning("signed %s webhook body unusable (%s, %d bytes), ignored", channel, reason, size)
    return web.Response(text="ignored")


def accepted(channel: str, started: float, metrics: Metrics) -> web.Response:
    """200 once the events are stored, with the time it took."""
    metrics.webhooks.labels(channel, "ok").inc()
    metrics.webhook_seconds.labels(channel).observe(time.perf_counter() - started)
    return web.Response(text="OK")


def is_json(request: web.Request) -> bool:
    """Both platforms always send application/json; anything else is not theirs to parse."""
    return request.content_type == "application/json"


def loads(body: bytes) -> Any:
    """Strict UTF-8 JSON; refused numbers are kept as markers that `problem` reports."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("not_utf8") from None
    try:
        return json.loads(
            text, parse_constant=_parse_constant, parse_float=_parse_float, parse_int=_parse_int
        )
    except RecursionError:
        raise BadBody("too_deep") from None
    except ValueError:
        raise BadBody("not_json") from None


def problem(value: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Why a parsed value cannot be stored or handed to an SDK, or None when it can.

    Iterative, so a deep value cannot exhaust the stack here either.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, _Poison):
            return node.reason
        if isinstance(node, str):
            reason = string_problem(node)
            if reason:
                return reason
        elif isinstance(node, (dict, list)):
            if depth >= max_depth:
                return "too_deep"
            if isinstance(node, dict):
                for key, item in node.items():
                    reason = string_problem(key)
                    if reason:
                        return reason
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in node)
    return None


def string_problem(text: str) -> str | None:
    """Too long, a NUL (PostgreSQL's jsonb refuses it) or a lone surrogate (not encodable)."""
    if len(text) > MAX_STRING_CHARS:
        return "long_string"
    if "\x00" in text:
        return "nul_in_string"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "lone_surrogate"
    return None


def check(value: Any) -> None:
    """Raise BadBody with the reason `problem` finds."""
    reason = problem(value)
    if reason:
        raise BadBody(reason)


@dataclass
class Intake:
    """What a webhook body yields: events to store, plus counts of dropped and ignored ones."""

    events: list[NewEvent] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    ignored: int = 0
