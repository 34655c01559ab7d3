"""/metrics after a short conversation: events in and handled, OCR jobs and seconds, messages out, LINE's
allowance, and the queue depths every process shares."""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from storage.models import OutboxMessage
from tests.builders.certificates import CARD, SAMPLE, jpeg, learner_on, send_and_read
from tests.builders.chat import LineUser
from tests.builders.credentials import LINE_SECRET
from tests.fakes.line_events import text_event

NAMES = ("สมชาย", "E010", "E001")


async def _scrape(client) -> tuple[str, dict[tuple[str, tuple], float]]:
    response = await client.get("/metrics")
    assert response.status == 200
    text = await response.text()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return text, samples


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared sample certificate not found")
async def test_a_short_conversation_shows_in_every_family(client, users_on, line_api):
    line_api.allowance = 1000
    user = await learner_on(users_on("line"))
    await user.says("เมนู")
    await send_and_read(client, user, jpeg(SAMPLE), "cert.jpg", image=True, mime="image/jpeg")
    assert CARD in user.last()
    text, m = await _scrape(client)

    def value(name: str, **labels: str) -> float:
        return m[(name, tuple(sorted(labels.items())))]

    received = value("bot_events_received_total", channel="line")
    assert received >= 3  # the link code, เมนู, the picture
    assert value("bot_events_total", channel="line", outcome="done") == received
    assert value("bot_events_total", channel="line", outcome="error") == 0  # shown before the first failure
    assert value("bot_ocr_jobs_total", outcome="read") == 1
    assert value("bot_ocr_seconds_count") == 1 and value("bot_ocr_seconds_sum") > 0
    assert value("bot_deliveries_total", channel="line", outcome="sent") >= 3
    assert value("bot_deliveries_total", channel="telegram", outcome="failed") == 0
    # What LINE says is left: the fake's allowance minus the pushes it took.
    assert value("bot_line_allowance_left") == 1000 - line_api.messages_used
    for gauge in ("bot_inbox_pending_events", "bot_ocr_jobs_pending", "bot_outbox_pending", "bot_inbox_dead_letters"):
        assert value(gauge) == 0, gauge
    assert not any(name in text for name in NAMES)
    assert user.user_id not in text


async def test_queue_depths_count_what_waits(aiohttp_client, settings, line_api, reader_pool):
    # A web-only process stores events and leaves them to workers: here there are none.
    client = await aiohttp_client(create_app(settings.model_copy(update={"process_role": "web"}), reader_pool=reader_pool))
    for n in range(3):
        user = LineUser(client, line_api, LINE_SECRET, f"U{n:032x}")
        response = await user.post([text_event(user.user_id, "สวัสดี", user.token())])
        assert response.status == 200
    await OutboxMessage.create(channel="line", chat="U0", payload=[{"text": "x"}], created_at=time.time())
    _, m = await _scrape(client)
    assert m[("bot_events_received_total", (("channel", "line"),))] == 3
    assert m[("bot_inbox_pending_events", ())] == 3
    assert m[("bot_outbox_pending", ())] == 1
    assert m[("bot_ocr_jobs_pending", ())] == 0
    # LINE's quota type "none": no monthly limit.
    assert m[("bot_line_allowance_left", ())] == float("inf")
