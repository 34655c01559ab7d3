"""A worker process (PROCESS_ROLE=worker) takes no webhooks, so nothing wakes its event processor:
it finds the events other processes stored by polling, often enough that a chat answer does not
wait a second for it. A process that stores events too is woken by its own webhooks and polls rarely."""

from __future__ import annotations

import asyncio
import time

from bot.app import SERVICES, create_app
from storage import inbox
from tests.fakes.telegram_updates import message_update


async def test_a_worker_answers_what_another_process_stored(aiohttp_client, settings, reader_pool, telegram_api):
    worker = settings.model_copy(update={"process_role": "worker"})
    client = await aiohttp_client(create_app(worker, reader_pool=reader_pool))
    assert client.server.app[SERVICES].processor.idle_poll == 0.1
    chat = 424_242
    # Stored as a web process's webhook stores it: straight into the inbox, with no wake for this process.
    await inbox.write_events([inbox.NewEvent(
        event_id="telegram:777001", channel="telegram", user_key=f"telegram:{chat}",
        payload=message_update(777_001, chat, "สวัสดีครับ"), received_at=time.time(),
    )])
    for _ in range(200):
        if telegram_api.texts_to(chat):
            break
        await asyncio.sleep(0.05)
    assert "ยังไม่ได้เชื่อมกับรายชื่อบุคลากร" in "\n".join(telegram_api.texts_to(chat))


async def test_the_poll_follows_the_role_unless_set(aiohttp_client, settings, reader_pool):
    client = await aiohttp_client(create_app(settings, reader_pool=reader_pool))
    assert client.server.app[SERVICES].processor.idle_poll == 1.0


async def test_a_set_poll_wins(aiohttp_client, settings, reader_pool):
    tuned = settings.model_copy(update={"process_role": "worker", "event_poll_seconds": 0.5})
    client = await aiohttp_client(create_app(tuned, reader_pool=reader_pool))
    assert client.server.app[SERVICES].processor.idle_poll == 0.5
