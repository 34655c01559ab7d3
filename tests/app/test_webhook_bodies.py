"""Signed but unusable webhook bodies: answered at once, stored nowhere, never replied to.

One test per class of body a review found answered 500 (or stored, or answered),
plus the body size limit and stored rows from before intake checked anything.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bot.app import SERVICES
from storage.inbox import NewEvent, write_events
from storage.models import InboundEvent
from tests.builders.chat import settle
from tests.builders.webhook_posts import line_bytes, post_line, post_telegram, sends
from tests.fakes.line_events import line_user_id, postback_event, text_event
from tests.fakes.telegram_updates import callback_update, message_update

DEEP = "[" * 5000 + "]" * 5000
HUGE = "9" * 5000


def _line_text(user: str, **changes: Any) -> dict[str, Any]:
    event = text_event(user, "สวัสดี", "r" * 32)
    event.update(changes)
    return event


def _raw(value: dict[str, Any], placeholder: str, token: str) -> bytes:
    """Serialise, then put a token json.dumps cannot write (NaN, deep nesting) in place."""
    return json.dumps(value).replace(json.dumps(placeholder), token).encode()


LINE_BODIES = {
    "nested": lambda u: _raw({"destination": "U0", "events": [_line_text(u, message="@")]}, "@", DEEP),
    "nan": lambda u: _raw({"destination": "U0", "events": [_line_text(u, timestamp="@")]}, "@", "NaN"),
    "infinity": lambda u: _raw({"destination": "U0", "events": [_line_text(u, timestamp="@")]}, "@", "1e999"),
    "huge_int": lambda u: _raw({"destination": "U0", "events": [_line_text(u, timestamp="@")]}, "@", HUGE),
    "events_not_a_list": lambda u: json.dumps({"destination": "U0", "events": 5}).encode(),
    "source_wrong_type": lambda u: line_bytes([_line_text(u, source="user")]),
    "long_event_id": lambda u: line_bytes([_line_text(u, webhookEventId="E" * 300)]),
    "nul_in_text": lambda u: line_bytes([_line_text(u, message={"type": "text", "id": "1", "text": "a\x00b", "quoteToken": "q"})]),
    "not_json": lambda u: b'{"destination": "U0", "events": [',
}


async def test_unusable_signed_line_bodies_are_ignored(client, line_api, telegram_api):
    for kind, build in LINE_BODIES.items():  # one app for all: each body is checked on its own
        response = await post_line(client, build(line_user_id(kind)))
        assert response.status == 200, kind
        await settle(client)
        assert await InboundEvent.all().count() == 0, kind
        assert sends(line_api, telegram_api) == [], kind
    metrics = await (await client.get("/metrics")).text()
    assert 'bot_webhook_requests_total{channel="line",outcome="bad_body"} 3.0' in metrics


def _tg_text(**changes: Any) -> dict[str, Any]:
    update = message_update(7, 424242, "สวัสดี")
    update["message"].update(changes)
    return update


TELEGRAM_BODIES = {
    "nested": lambda: _raw(_tg_text(text="@"), "@", DEEP),
    "nan_sender": lambda: _raw(_tg_text(**{"from": {"id": "@", "is_bot": False, "first_name": "T"}}), "@", "NaN"),
    "huge_chat_id": lambda: json.dumps(_tg_text(chat={"id": 2**70, "type": "private"})).encode(),
    "float_update_id": lambda: json.dumps(dict(_tg_text(), update_id=7.5)).encode(),
    "update_id_as_text": lambda: json.dumps(dict(_tg_text(), update_id="7")).encode(),
    "message_wrong_type": lambda: json.dumps({"update_id": 7, "message": "hello"}).encode(),
    "chat_id_wrong_type": lambda: json.dumps(_tg_text(chat={"id": "424242", "type": "private"})).encode(),
    "long_text": lambda: json.dumps(_tg_text(text="ก" * 30_000)).encode(),
    "lone_surrogate": lambda: json.dumps(_tg_text(text="\ud800")).encode(),
    "not_utf8": lambda: json.dumps(_tg_text(), ensure_ascii=False).encode().replace("สวัสดี".encode(), b"\xff\xfe"),
}


async def test_unusable_telegram_updates_are_ignored(client, line_api, telegram_api):
    for kind, build in TELEGRAM_BODIES.items():
        response = await post_telegram(client, build())
        assert response.status == 200, kind
        await settle(client)
        assert await InboundEvent.all().count() == 0, kind
        assert sends(line_api, telegram_api) == [], kind
    metrics = await (await client.get("/metrics")).text()
    assert f'bot_webhook_requests_total{{channel="telegram",outcome="bad_body"}} {len(TELEGRAM_BODIES)}.0' in metrics


async def test_a_body_not_sent_as_json_is_ignored(client, line_api, telegram_api):
    """Both platforms always send application/json; aiohttp's client labels bare bytes octet-stream."""
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]:
        line = await post_line(client, line_bytes([_line_text(line_user_id("ct"))]), content_type)
        telegram = await post_telegram(client, json.dumps(_tg_text()).encode(), content_type)
        assert (line.status, telegram.status) == (200, 200), content_type
    await settle(client)
    assert await InboundEvent.all().count() == 0
    assert sends(line_api, telegram_api) == []


async def test_one_bad_event_does_not_cost_the_rest_of_the_batch(client, line_user, line_api):
    first, second = line_user(), line_user()
    good = [text_event(first.user_id, "สวัสดี", first.token()), text_event(second.user_id, "hello", second.token())]
    bad_number = _line_text(line_user_id("huge"), timestamp="@")
    bad_source = _line_text(line_user_id("src"), source=["U1"])
    body = _raw({"destination": "U0", "events": [good[0], bad_number, bad_source, good[1]]}, "@", HUGE)
    response = await post_line(client, body)
    assert response.status == 200
    await settle(client)
    assert "ยังไม่ได้เชื่อม" in first.last() and "ยังไม่ได้เชื่อม" in second.last()
    assert await InboundEvent.all().count() == 2
    metrics = await (await client.get("/metrics")).text()
    assert 'bot_webhook_bad_events_total{channel="line",reason="huge_int"} 1.0' in metrics


async def test_a_body_over_the_limit_gets_413_before_it_is_read(client, services, line_api, telegram_api):
    limit = services.settings.webhook_max_bytes
    event = _line_text(line_user_id("big"))
    event["message"]["text"] = "x" * 4000
    big = line_bytes([event] * (2 * 1024 * 1024 // 4000))
    assert len(big) > 2 * 1024 * 1024 > limit
    sized = await post_line(client, big)

    async def chunks():  # no Content-Length: the cap must hold while streaming
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    chunked = await post_line(client, chunks(), signed=big)
    update = _tg_text(text="x" * 1000)
    update["padding"] = "x" * (2 * 1024 * 1024)
    telegram = await post_telegram(client, json.dumps(update).encode())
    assert (sized.status, chunked.status, telegram.status) == (413, 413, 413)
    await settle(client)
    assert await InboundEvent.all().count() == 0
    assert sends(line_api, telegram_api) == []
    metrics = await (await client.get("/metrics")).text()
    assert 'bot_webhook_requests_total{channel="line",outcome="too_large"} 2.0' in metrics
    assert 'bot_webhook_requests_total{channel="telegram",outcome="too_large"} 1.0' in metrics


async def test_a_body_just_under_the_limit_is_handled(client, services, line_user):
    user = line_user()
    event = text_event(user.user_id, "สวัสดี", user.token())
    padding = services.settings.webhook_max_bytes - len(line_bytes([event])) - 100
    body = json.dumps({"destination": "U0", "events": [event], "padding": ["x" * 10_000] * (padding // 10_004)}).encode()
    assert services.settings.webhook_max_bytes - 20_000 < len(body) <= services.settings.webhook_max_bytes
    response = await post_line(client, body)
    assert response.status == 200
    await settle(client)
    assert "ยังไม่ได้เชื่อม" in user.last()


async def test_stored_rows_from_before_the_checks_are_ignored_not_retried(client, line_api, telegram_api):
    """Rows an older version stored may hold anything: the processor must not crash on them."""
    user = line_user_id("old")
    junk = [
        ("line", {"type": "message", "source": "x"}),
        ("line", {"source": {"type": "user", "userId": user}}),
        ("line", postback_event(user, "menu", "r" * 32) | {"postback": 5}),
        ("telegram", {"update_id": 1, "message": "hello"}),
        ("telegram", {"update_id": 2, "message": {"message_id": 1, "date": 0, "chat": {"id": 1.5, "type": "private"},
                                                  "from": {"id": 1.5, "is_bot": False, "first_name": "T"}, "text": "x"}}),
        ("telegram", callback_update(3, 5, "menu", 9) | {"callback_query": ["x"]}),
    ]
    await write_events(
        [NewEvent(f"{channel}:old{i}", channel, f"{channel}:x", payload, time.time()) for i, (channel, payload) in enumerate(junk)]
    )
    client.server.app[SERVICES].processor.wake()
    await settle(client)
    assert sorted(await InboundEvent.all().values_list("status", flat=True)) == ["done"] * len(junk)
    assert sends(line_api, telegram_api) == []
