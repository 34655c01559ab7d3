"""Spec-checking fakes of the LINE Messaging API and the Telegram Bot API, and event builders.

    fake = FakeLineAPI(channel_access_token="test-token"); await fake.start(); ...; await fake.close()
    async with FakeTelegramAPI(token="123456:TEST-token") as tg: ...

Both serve on 127.0.0.1 (a free port unless told), record every call, check it against the
official specs under `$SHARED_DIR/specs` and answer spec violations with 400s, recording them
in `violations` (see `assert_clean()`).
"""

from .line_api import BOT_USER_ID, Delivery, FakeLineAPI, message_limit_problems, visible_texts
from .line_events import (
    file_event,
    follow_event,
    image_event,
    line_user_id,
    line_webhook_body,
    new_message_id,
    new_webhook_event_id,
    postback_event,
    sign_line_body,
    text_event,
    unfollow_event,
    validate_line_event,
    validate_line_webhook,
)
from .server import Call
from .specs import specs_dir
from .telegram_api import FakeTelegramAPI, SentMessage
from .telegram_schema import Upload, bot_api
from .telegram_updates import (
    callback_update,
    document_update,
    message_update,
    photo_update,
    start_update,
    validate_update,
)

__all__ = [
    "BOT_USER_ID",
    "Call",
    "Delivery",
    "FakeLineAPI",
    "FakeTelegramAPI",
    "SentMessage",
    "Upload",
    "bot_api",
    "callback_update",
    "document_update",
    "file_event",
    "follow_event",
    "image_event",
    "line_user_id",
    "line_webhook_body",
    "message_limit_problems",
    "message_update",
    "new_message_id",
    "new_webhook_event_id",
    "photo_update",
    "postback_event",
    "sign_line_body",
    "specs_dir",
    "start_update",
    "text_event",
    "unfollow_event",
    "validate_line_event",
    "validate_line_webhook",
    "validate_update",
    "visible_texts",
]
