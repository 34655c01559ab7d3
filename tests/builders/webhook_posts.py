"""Posting raw, correctly signed webhook bodies, and telling whether the bot sent anything.

The fuzz and regression tests of webhook intake share these: they post bytes the
drivers in tests/builders/chat.py would never build (broken JSON, odd content types).
"""

from __future__ import annotations

import json
from typing import Any

from tests.builders.credentials import LINE_SECRET, TELEGRAM_SECRET
from tests.fakes import FakeLineAPI, FakeTelegramAPI
from tests.fakes.line_events import line_webhook_body, sign_line_body

JSON = "application/json"
TELEGRAM_SENDS = ("send", "edit", "answer", "copy", "forward")


async def post_line(
    client: Any, body: Any, content_type: str | None = JSON, *, signed: bytes | None = None, **kwargs: Any
) -> Any:
    """POST bytes to the LINE webhook with a valid signature over exactly those bytes.

    `body` may be an async iterator (sent chunked); then `signed` holds the bytes it yields.
    """
    headers = {"X-Line-Signature": sign_line_body(body if signed is None else signed, LINE_SECRET)}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await client.post("/webhook/line", data=body, headers=headers, **kwargs)


async def post_telegram(client: Any, body: bytes, content_type: str | None = JSON, **kwargs: Any) -> Any:
    """POST bytes to the Telegram webhook with the right secret token."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await client.post("/webhook/telegram", data=body, headers=headers, **kwargs)


def line_bytes(events: list[dict[str, Any]]) -> bytes:
    """A LINE callback body as bytes."""
    return json.dumps(line_webhook_body(events)).encode()


def sends(line_api: FakeLineAPI, telegram_api: FakeTelegramAPI) -> list[str]:
    """Every call by which the bot showed a user something (the only POSTs it makes to LINE)."""
    line = [c.path for c in line_api.calls if c.method == "POST"]
    telegram = [c.endpoint for c in telegram_api.calls if c.endpoint.startswith(TELEGRAM_SENDS)]
    return line + telegram
