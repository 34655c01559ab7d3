"""Builders of LINE webhook bodies and events, shaped as webhook.yml describes them.

Every event carries what LINE always sends: a ULID-like `webhookEventId` (26 chars),
`deliveryContext.isRedelivery`, a millisecond `timestamp`, `mode: "active"` and a user source.
Serialise `line_webhook_body()` once and sign exactly those bytes with `sign_line_body()`
for `X-Line-Signature` (the signature covers the raw body, so re-serialising breaks it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from functools import lru_cache
from typing import Any

from .line_api import BOT_USER_ID
from .openapi import OpenAPIChecker
from .specs import line_webhook_spec

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def line_user_id(seed: str | int) -> str:
    """A well-formed, stable LINE user ID (U + 32 hex digits) derived from `seed`."""
    return "U" + hashlib.sha256(str(seed).encode()).hexdigest()[:32]


def new_webhook_event_id(timestamp_ms: int | None = None) -> str:
    """A ULID: 48-bit millisecond time + 80 random bits in Crockford base32, 26 characters."""
    ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    value = (ms << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_message_id() -> str:
    """A numeric message ID string as LINE issues them."""
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def _event(
    kind: str,
    user_id: str,
    reply_token: str | None,
    webhook_event_id: str | None,
    redelivery: bool,
    timestamp: int | None,
) -> dict[str, Any]:
    ms = int(time.time() * 1000) if timestamp is None else timestamp
    event: dict[str, Any] = {
        "type": kind,
        "timestamp": ms,
        "mode": "active",
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": webhook_event_id or new_webhook_event_id(ms),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply_token is not None:
        event["replyToken"] = reply_token
    return event


def text_event(
    user_id: str,
    text: str,
    reply_token: str,
    webhook_event_id: str | None = None,
    redelivery: bool = False,
    *,
    timestamp: int | None = None,
    msg_id: str | None = None,
) -> dict[str, Any]:
    """A user's text message."""
    event = _event("message", user_id, reply_token, webhook_event_id, redelivery, timestamp)
    quote = secrets.token_urlsafe(24)
    event["message"] = {"type": "text", "id": msg_id or new_message_id(), "text": text, "quoteToken": quote}
    return event


def postback_event(
    user_id: str,
    data: str,
    reply_token: str,
    webhook_event_id: str | None = None,
    redelivery: bool = False,
    *,
    params: dict[str, str] | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """A tap on a postback action carrying `data`."""
    event = _event("postback", user_id, reply_token, webhook_event_id, redelivery, timestamp)
    event["postback"] = {"data": data, **({"params": params} if params else {})}
    return event


def follow_event(
    user_id: str,
    reply_token: str,
    webhook_event_id: str | None = None,
    redelivery: bool = False,
    *,
    is_unblocked: bool = False,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """The user added the bot as a friend (or unblocked it)."""
    event = _event("follow", user_id, reply_token, webhook_event_id, redelivery, timestamp)
    event["follow"] = {"isUnblocked": is_unblocked}
    return event


def unfollow_event(
    user_id: str, webhook_event_id: str | None = None, redelivery: bool = False, *, timestamp: int | None = None
) -> dict[str, Any]:
    """The user blocked the bot; LINE gives no reply token for it."""
    return _event("unfollow", user_id, None, webhook_event_id, redelivery, timestamp)


def image_event(
    user_id: str,
    message_id: str,
    reply_token: str | None = None,
    webhook_event_id: str | None = None,
    redelivery: bool = False,
    *,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """A photo sent through LINE (content served by the blob host under `message_id`)."""
    event = _event("message", user_id, reply_token or secrets.token_hex(16), webhook_event_id, redelivery, timestamp)
    event["message"] = {
        "type": "image",
        "id": message_id,
        "contentProvider": {"type": "line"},
        "quoteToken": secrets.token_urlsafe(24),
    }
    return event


def file_event(
    user_id: str,
    message_id: str,
    file_name: str,
    file_size: int,
    reply_token: str | None = None,
    webhook_event_id: str | None = None,
    redelivery: bool = False,
    *,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """A file (e.g. a PDF certificate) sent through LINE; file events have no quoteToken."""
    event = _event("message", user_id, reply_token or secrets.token_hex(16), webhook_event_id, redelivery, timestamp)
    event["message"] = {"type": "file", "id": message_id, "fileName": file_name, "fileSize": file_size}
    return event


def line_webhook_body(events: list[dict[str, Any]], destination: str = BOT_USER_ID) -> dict[str, Any]:
    """The payload LINE POSTs to the webhook; serialise it once and sign exactly those bytes."""
    return {"destination": destination, "events": events}


def sign_line_body(body_bytes: bytes, channel_secret: str) -> str:
    """The X-Line-Signature value: base64 of HMAC-SHA256(body, channel secret)."""
    digest = hmac.new(channel_secret.encode("utf-8"), body_bytes, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@lru_cache(maxsize=1)
def webhook_checker() -> OpenAPIChecker:
    """The schema checker for webhook.yml (built once per process)."""
    return OpenAPIChecker(line_webhook_spec())


def validate_line_event(event: dict[str, Any]) -> list[str]:
    """Problems of one event against webhook.yml's concrete event/message subtypes."""
    return [f"{path}: {text}" for path, text in webhook_checker().check("Event", event)]


def validate_line_webhook(body: bytes | dict[str, Any]) -> list[str]:
    """Problems of a whole webhook body against CallbackRequest."""
    payload = json.loads(body) if isinstance(body, bytes) else body
    return [f"{path}: {text}" for path, text in webhook_checker().check("CallbackRequest", payload)]
