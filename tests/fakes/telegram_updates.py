"""Builders of Telegram `Update` objects from a user in a private chat, as api.json describes.

Feed them to the app's webhook (JSON body, `X-Telegram-Bot-Api-Secret-Token` header) or to
`FakeTelegramAPI.queue_update()` for long polling. `validate_update()` checks one against the
spec's `Update` type.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from .telegram_schema import bot_api

DEFAULT_BOT_ID = 123456  # the id FakeTelegramAPI derives from its default token


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "th"}


def _chat(user_id: int) -> dict[str, Any]:
    # In a private chat the chat id is the user id.
    return {"id": user_id, "type": "private", "first_name": "Test"}


def _message(user_id: int, message_id: int | None, **content: Any) -> dict[str, Any]:
    return {
        "message_id": message_id if message_id is not None else secrets.randbelow(10**6) + 1,
        "from": _user(user_id),
        "chat": _chat(user_id),
        "date": int(time.time()),
        **content,
    }


def message_update(update_id: int, user_id: int, text: str, *, message_id: int | None = None) -> dict[str, Any]:
    """A plain text message from the user."""
    return {"update_id": update_id, "message": _message(user_id, message_id, text=text)}


def start_update(update_id: int, user_id: int, payload: str = "", *, message_id: int | None = None) -> dict[str, Any]:
    """`/start PAYLOAD` as a deep link delivers it, with its bot_command entity."""
    text = f"/start {payload}" if payload else "/start"
    entities = [{"type": "bot_command", "offset": 0, "length": len("/start")}]
    return {"update_id": update_id, "message": _message(user_id, message_id, text=text, entities=entities)}


def callback_update(
    update_id: int,
    user_id: int,
    data: str,
    message_id: int,
    *,
    message_text: str = "…",
    bot_id: int = DEFAULT_BOT_ID,
) -> dict[str, Any]:
    """A tap on an inline button with `data` under the bot's message `message_id`."""
    bot = {"id": bot_id, "is_bot": True, "first_name": "Fake bot", "username": "fake_test_bot"}
    message = {
        "message_id": message_id,
        "from": bot,
        "chat": _chat(user_id),
        "date": int(time.time()),
        "text": message_text,
    }
    query = {
        "id": str(secrets.randbelow(10**18)),
        "from": _user(user_id),
        "message": message,
        "chat_instance": str(secrets.randbelow(10**18)),
        "data": data,
    }
    return {"update_id": update_id, "callback_query": query}


def photo_update(
    update_id: int,
    user_id: int,
    file_ids_sizes: Sequence[tuple[str, int] | tuple[str, int, int, int]],
    *,
    caption: str | None = None,
    message_id: int | None = None,
) -> dict[str, Any]:
    """A photo as Telegram sends it: several sizes, smallest first.

    Each entry is `(file_id, file_size)` (dimensions are made up, growing) or
    `(file_id, width, height, file_size)`.
    """
    sizes = []
    for index, entry in enumerate(file_ids_sizes):
        if len(entry) == 2:
            file_id, file_size = entry  # type: ignore[misc]
            width, height = 90 * 4**index, 60 * 4**index
        else:
            file_id, width, height, file_size = entry  # type: ignore[misc]
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": f"AQAD{file_id[-12:]}",
                "width": width,
                "height": height,
                "file_size": file_size,
            }
        )
    content: dict[str, Any] = {"photo": sizes}
    if caption is not None:
        content["caption"] = caption
    return {"update_id": update_id, "message": _message(user_id, message_id, **content)}


def document_update(
    update_id: int,
    user_id: int,
    file_id: str,
    file_name: str,
    mime_type: str,
    file_size: int,
    *,
    caption: str | None = None,
    message_id: int | None = None,
) -> dict[str, Any]:
    """A file sent as a document (PDF, or an image sent uncompressed)."""
    document = {
        "file_id": file_id,
        "file_unique_id": f"AgAD{file_id[-12:]}",
        "file_name": file_name,
        "mime_type": mime_type,
        "file_size": file_size,
    }
    content: dict[str, Any] = {"document": document}
    if caption is not None:
        content["caption"] = caption
    return {"update_id": update_id, "message": _message(user_id, message_id, **content)}


def validate_update(update: dict[str, Any]) -> list[str]:
    """Problems of an update against the spec's `Update` type (empty when it conforms)."""
    problems = bot_api().check_object("Update", update)
    kinds = [key for key in update if key != "update_id"]
    if len(kinds) != 1:  # "At most one of the optional parameters can be present"
        problems.append(f"Update: exactly one update kind expected, got {kinds}")
    return problems
