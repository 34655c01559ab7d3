"""Channel set-up: Telegram long polling for development, and `set-webhooks` against both fakes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from bot.app import create_app
from tests.builders.credentials import LINE_SECRET, LINE_TOKEN, TELEGRAM_SECRET, TELEGRAM_TOKEN
from tests.builders.paths import REPO
from tests.fakes.telegram_updates import message_update


async def test_telegram_long_polling_answers(aiohttp_client, settings, telegram_api):
    polling = settings.model_copy(update={"telegram_mode": "polling"})
    await aiohttp_client(create_app(polling))
    telegram_api.queue_update(message_update(501, 777001, "สวัสดี"))
    for _ in range(100):
        if telegram_api.texts_to(777001):
            break
        await asyncio.sleep(0.1)
    assert "ยังไม่ได้เชื่อมกับรายชื่อบุคลากร" in telegram_api.texts_to(777001)[-1]


@pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "sqlite", reason="CLI test uses its own SQLite file")
async def test_set_webhooks_registers_both_and_the_command_menu(tmp_path, line_api, telegram_api):
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "PUBLIC_BASE_URL": "https://bot.example.go.th",
        "LINE_CHANNEL_SECRET": LINE_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN,
        "LINE_API_BASE_URL": line_api.url,
        "LINE_DATA_API_BASE_URL": line_api.url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": telegram_api.url,
    }
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "set-webhooks"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert line_api.webhook_endpoint == "https://bot.example.go.th/webhook/line"
    assert telegram_api.webhook["url"] == "https://bot.example.go.th/webhook/telegram"
    assert telegram_api.webhook["secret_token"] == TELEGRAM_SECRET
    # The default list is what someone not linked yet can use; linked chats get their role's list.
    assert telegram_api.commands_shown() == ["start"]
