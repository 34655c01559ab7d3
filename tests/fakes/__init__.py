"""Spec-checking fakes of the LINE Messaging API and the Telegram Bot API, and event builders.

    fake = FakeLineAPI(channel_access_token="test-token"); await fake.start(); ...; await fake.close()
    async with FakeTelegramAPI(token="123456:TEST-token") as tg: ...

Both serve on 127.0.0.1 (a free port unless told), record every call, check it against the
official specs under `$SHARED_DIR/specs` and answer spec violations with 400s, recording them
in `violations` (see `assert_clean()`).
"""

from __future__ import annotations

import importlib
from typing import Any

# Names are imported on first use: `python -m tests.fakes.line_api` imports this package
# before running the module as __main__, and an eager import here would load it twice.
# (Importing from the submodules, e.g. `tests.fakes.line_events`, gives type checkers more.)
_EXPORTS = {
    ".line_api": ["BOT_USER_ID", "Delivery", "FakeLineAPI", "message_limit_problems", "visible_texts"],
    ".line_events": [
        "file_event",
        "follow_event",
        "image_event",
        "line_user_id",
        "line_webhook_body",
        "new_message_id",
        "new_webhook_event_id",
        "postback_event",
        "sign_line_body",
        "text_event",
        "unfollow_event",
        "validate_line_event",
        "validate_line_webhook",
    ],
    ".server": ["Call"],
    ".specs": ["specs_dir"],
    ".telegram_api": ["FakeTelegramAPI", "SentMessage"],
    ".telegram_schema": ["Upload", "bot_api"],
    ".telegram_updates": [
        "callback_update",
        "document_update",
        "message_update",
        "photo_update",
        "start_update",
        "validate_update",
    ],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Load the submodule that defines `name` (PEP 562)."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
