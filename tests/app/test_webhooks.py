"""Webhook integrity: signatures, redelivery, durable storage before the 200, reply-token fallback."""

from __future__ import annotations

import json

from bot.app import SERVICES
from storage.models import InboundEvent, OutboxMessage
from tests.builders.chat import settle
from tests.builders.roster import code_for, load_roster
from tests.fakes.line_events import text_event
from tests.fakes.telegram_updates import message_update


async def test_line_forged_or_missing_signature_is_refused(client, line_user, line_api):
    user = line_user()
    event = text_event(user.user_id, "สวัสดี", user.token())
    forged = await user.post([event], signature="bm90IGEgc2lnbmF0dXJl")
    missing = await user.post([event], signature=None)
    assert (forged.status, missing.status) == (401, 401)
    await settle(client)
    assert await InboundEvent.all().count() == 0
    assert line_api.messages_to(user.user_id) == []


async def test_line_body_tampered_after_signing_is_refused(client, line_user):
    user = line_user()
    from tests.fakes.line_events import line_webhook_body, sign_line_body

    body = json.dumps(line_webhook_body([text_event(user.user_id, "hi", user.token())])).encode()
    signature = sign_line_body(body, "test-line-channel-secret")
    tampered = body.replace(b'"hi"', b'"ho"')
    response = await client.post(
        "/webhook/line", data=tampered, headers={"X-Line-Signature": signature, "Content-Type": "application/json"}
    )
    assert response.status == 401
    assert await InboundEvent.all().count() == 0


async def test_telegram_wrong_or_missing_secret_is_refused(client, telegram_user, telegram_api):
    user = telegram_user()
    update = message_update(user.next_update_id(), user.user_id, "สวัสดี")
    wrong = await user.post(update, secret="guess")
    missing = await user.post(update, secret=None)
    assert (wrong.status, missing.status) == (403, 403)
    await settle(client)
    assert await InboundEvent.all().count() == 0
    assert telegram_api.messages_to(user.user_id) == []


async def test_line_redelivery_is_processed_once(client, line_user, line_api):
    user = line_user()
    event = text_event(user.user_id, "สวัสดี", user.token())
    await user.send(event)
    again = dict(event, deliveryContext={"isRedelivery": True})
    await user.send(again)
    assert len(line_api.messages_to(user.user_id)) == 1
    assert await InboundEvent.filter(event_id=f"line:{event['webhookEventId']}").count() == 1


async def test_telegram_same_update_twice_is_processed_once(client, telegram_user, telegram_api):
    user = telegram_user()
    update = message_update(user.next_update_id(), user.user_id, "สวัสดี")
    await user.send(update)
    await user.send(update)
    assert len(telegram_api.messages_to(user.user_id)) == 1
    assert await InboundEvent.all().count() == 1


async def test_event_is_stored_before_200_and_handled_after_a_restart(client, services, line_user, line_api):
    """Simulate a crash right after the 200: nothing processed yet, then a new processor."""
    await load_roster()
    code = await code_for("E002")
    await services.processor.stop()
    user = line_user()
    response = await user.post([text_event(user.user_id, code, user.token())])
    assert response.status == 200
    row = await InboundEvent.get(channel="line")
    assert row.status == "pending"
    assert line_api.messages_to(user.user_id) == []
    services.processor.start()  # what the next start-up does
    await settle(client)
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(user.texts())
    assert (await InboundEvent.get(id=row.id)).status == "done"


async def test_a_stale_reply_token_falls_back_to_push(client, line_user, line_api):
    user = line_user()
    line_api.reply_token_ttl = 0  # every token is already expired at LINE
    await user.says("สวัสดี")
    assert "ยังไม่ได้เชื่อม" in user.last()
    paths = [call.path for call in line_api.calls if call.method == "POST"]
    assert "/v2/bot/message/push" in paths


async def test_every_outbox_message_is_sent(client, line_user, telegram_user):
    await line_user().says("hello")
    await telegram_user().says("hello")
    assert await OutboxMessage.filter(status="sent").count() == 2
    assert await OutboxMessage.exclude(status="sent").count() == 0


async def test_health_and_metrics(client, line_user):
    await line_user().says("hello")
    health = await client.get("/healthz")
    assert (await health.json())["status"] == "ok"
    metrics = await (await client.get("/metrics")).text()
    assert 'bot_webhook_requests_total{channel="line",outcome="ok"} 1.0' in metrics
    assert 'bot_events_total{channel="line",outcome="done"} 1.0' in metrics


async def test_unconfigured_channel_has_no_webhook(aiohttp_client, settings):
    from bot.app import create_app

    bare = settings.model_copy(update={"line_channel_secret": None, "telegram_bot_token": None})
    client = await aiohttp_client(create_app(bare))
    response = await client.post("/webhook/line", data=b"{}", headers={"X-Line-Signature": "x"})
    assert response.status == 404
    assert client.server.app[SERVICES].channels.keys() == {"sim"}
