"""Property: a correctly signed but broken webhook body never gets a 5xx, a hang or a reply.

Each example starts from a valid body of the platform fakes, from a user who is not
linked (so the valid body would get the "not linked" answer), and breaks it in a way
that makes it unusable: a field of the wrong type, a required field deleted, a
number JSON allows but no id can be (NaN, Infinity, 1e999, beyond 64 bits, a float
where an int belongs), a string too long or with NUL or a lone surrogate, nesting
deeper than any real body, truncated JSON, bytes that are not UTF-8, or a content
type the platforms never send. A reply to any of these would be a bug.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.models import InboundEvent
from tests.builders.chat import settle
from tests.fakes.line_events import (
    file_event,
    follow_event,
    image_event,
    line_user_id,
    line_webhook_body,
    postback_event,
    text_event,
    unfollow_event,
)
from tests.fakes.telegram_updates import (
    callback_update,
    document_update,
    message_update,
    photo_update,
    start_update,
)
from tests.builders.webhook_posts import JSON, post_line, post_telegram, sends

FUZZ = settings(
    max_examples=int(os.environ.get("WEBHOOK_FUZZ_EXAMPLES", "120")),  # raise it for a longer hunt
    deadline=None,
    database=None,  # no .hypothesis folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TIMEOUT = aiohttp.ClientTimeout(total=10)  # a hang fails the example instead of the run
PLACEHOLDER = "\x01token\x01"  # replaced in the serialised body by a raw token
RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "9" * 25, "-" + "9" * 30, str(2**64), "1" + "0" * 5000]
BAD_BYTES = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"]
BAD_CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml", None]
ID_KEYS = ("id", "Id", "update_id", "message_id", "timestamp", "date", "offset", "length", "width", "height", "fileSize", "file_size")
# Keys the Bot API marks required (deleting an optional one, e.g. a message's text, leaves a usable update).
TELEGRAM_REQUIRED = {
    "update_id", "callback_query", "message_id", "date", "chat", "id", "type", "is_bot",
    "file_id", "file_unique_id", "width", "height", "offset", "length", "chat_instance",
}


def _line_bodies() -> list[str]:
    user = line_user_id("fuzz")
    token = secrets.token_hex(16)
    events = [
        text_event(user, "สวัสดี", token),
        postback_event(user, "menu", token),
        follow_event(user, token),
        unfollow_event(user),
        image_event(user, "100000000000000001", token),
        file_event(user, "100000000000000002", "ใบประกาศ.pdf", 1234, token),
    ]
    return [json.dumps(line_webhook_body([event])) for event in events]


def _telegram_bodies() -> list[str]:
    user = 700_001
    updates = [
        message_update(11, user, "สวัสดี"),
        start_update(12, user, "ABC123"),
        callback_update(13, user, "menu", 5),
        photo_update(14, user, [("small-file", 100), ("large-file", 1000)], caption="ใบประกาศ"),
        document_update(15, user, "doc-file", "a.pdf", "application/pdf", 2000),
    ]
    return [json.dumps(update) for update in updates]


# Built once: hypothesis replays an example from its choices, so the bases must not change.
LINE_BASES = _line_bodies()
TELEGRAM_BASES = _telegram_bodies()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `value` (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        found.append(prefix + (key,))
        found.extend(_paths(item, prefix + (key,)))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _set(value: Any, path: tuple[Any, ...], new: Any) -> None:
    _get(value, path[:-1])[path[-1]] = new


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__  # bool is not int here


OTHER_VALUES = st.one_of(
    st.text(max_size=8),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _deep(depth: int, leaf: str) -> str:
    return "[" * depth + leaf + "]" * depth if depth % 2 else '{"a":' * depth + leaf + "}" * depth


@st.composite
def broken_body(draw: Any, bases: list[str], deletable: Any) -> tuple[bytes, str | None]:
    """A valid body broken by one mutation, maybe also sent under a wrong content type."""
    body = json.loads(draw(st.sampled_from(bases)))
    paths = _paths(body)
    raw_token: str | None = None
    how = draw(
        st.sampled_from(
            ["wrong_type", "delete", "long_string", "bad_string", "deep", "raw_number", "float_id", "truncate", "not_utf8", "content_type"]
        )
    )
    if how == "wrong_type":
        path = draw(st.sampled_from(paths))
        original = _kind(_get(body, path))
        _set(body, path, draw(OTHER_VALUES.filter(lambda v: _kind(v) != original)))
    elif how == "delete":
        path = draw(st.sampled_from([p for p in paths if isinstance(p[-1], str) and deletable(body, p)]))
        del _get(body, path[:-1])[path[-1]]
    elif how in ("long_string", "bad_string"):
        path = draw(st.sampled_from([p for p in paths if isinstance(_get(body, p), str)]))
        if how == "long_string":
            size = draw(st.integers(20_001, 60_000))  # 12 bytes a character escaped: under 1 MiB
            _set(body, path, draw(st.sampled_from(["x", "ก", "😀"])) * size)
        else:
            original = _get(body, path)
            cut = draw(st.integers(0, len(original)))
            _set(body, path, original[:cut] + draw(st.sampled_from(["\x00", "\ud800", "\udfff"])) + original[cut:])
    elif how in ("deep", "raw_number"):
        _set(body, draw(st.sampled_from(paths)), PLACEHOLDER)
        if how == "deep":
            raw_token = _deep(draw(st.integers(40, 3000)), draw(st.sampled_from(["1", '"x"', "[]", "{}"])))
        else:
            raw_token = draw(st.sampled_from(RAW_NUMBERS))
    elif how == "float_id":
        path = draw(st.sampled_from([p for p in paths if isinstance(p[-1], str) and p[-1].endswith(ID_KEYS)]))
        _set(body, path, draw(st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)) | st.just(1.0)))
    raw = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if raw_token is not None:
        raw = raw.replace(json.dumps(PLACEHOLDER).encode(), raw_token.encode())
    if how == "truncate":
        raw = raw[: draw(st.integers(1, len(raw) - 1))]
    elif how == "not_utf8":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from(BAD_BYTES)) + raw[at:]
    content_type: str | None = JSON
    if how == "content_type" or draw(st.integers(0, 9)) == 0:
        content_type = draw(st.sampled_from(BAD_CONTENT_TYPES))
    return raw, content_type


def _line_deletable(body: dict[str, Any], path: tuple[Any, ...]) -> bool:
    # Every LINE field the fakes write is required, but for the reply token (a push answers then).
    return path[-1] != "replyToken"


def _telegram_deletable(body: dict[str, Any], path: tuple[Any, ...]) -> bool:
    parent = _get(body, path[:-1])
    if path[-1] == "first_name":
        return "is_bot" in parent  # a user's first name is required, a chat's is not
    if path[-1] == "from":
        # A private message without a sender is ignored, a callback query without one is invalid;
        # but the bot's own message under a button needs none.
        return path in (("message", "from"), ("callback_query", "from"))
    if path[-1] == "message":
        return len(path) == 1  # an update without its kind is ignored; a button may have no message
    return path[-1] in TELEGRAM_REQUIRED


async def _assert_harmless(client: Any, post: Any, line_api: Any, telegram_api: Any) -> None:
    """Post, then check what this one body did (the app and database live across examples)."""
    stored, sent = await InboundEvent.all().count(), len(sends(line_api, telegram_api))
    response = await post
    assert response.status in (200, 400), response.status
    await settle(client)
    assert await InboundEvent.all().count() == stored, "a broken body was stored"
    assert len(sends(line_api, telegram_api)) == sent, "the bot answered a broken body"


@FUZZ
@given(data=st.data())
async def test_broken_signed_line_bodies_are_harmless(client, line_api, telegram_api, data):
    raw, content_type = data.draw(broken_body(LINE_BASES, _line_deletable), label="body")
    await _assert_harmless(client, post_line(client, raw, content_type, timeout=TIMEOUT), line_api, telegram_api)


@FUZZ
@given(data=st.data())
async def test_broken_telegram_updates_are_harmless(client, line_api, telegram_api, data):
    raw, content_type = data.draw(broken_body(TELEGRAM_BASES, _telegram_deletable), label="update")
    await _assert_harmless(client, post_telegram(client, raw, content_type, timeout=TIMEOUT), line_api, telegram_api)
