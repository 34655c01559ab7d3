"""A fake LINE Messaging API (api.line.me and api-data.line.me on one loopback server).

Point the real line-bot-sdk at it with `Configuration(host=fake.url, access_token=...)`: the
SDK's `host`, when set, replaces the host of every operation, blob downloads included, so one
server answers both. Every request body is checked against the official `messaging-api.yml`
(discriminators resolved by hand, see openapi.py) plus the limits LINE documents in prose only;
a violation is recorded in `violations` and answered 400 in LINE's error shape.

Standalone, for a benchmark: `python -m tests.fakes.line_api --port N [--token T]`.
`--enforce-rates` and `--faults JSON` (see faults.py) switch on the platform's rate limits and
injected faults; POST /__fake__/faults changes them, GET /__fake__/stats and /__fake__/received count.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from aiohttp import web

from .faults import Fault, RateWindow
from .openapi import OpenAPIChecker, Problem, grapheme_len, join_path, utf16_len
from .server import FakeServer, apply_cli, cli_parser, note
from .specs import line_messaging_spec

BOT_USER_ID = "U" + "b07" * 10 + "f0"  # the fake bot's own user ID (webhook `destination`)
USER_ID_RE = re.compile(r"^U[0-9a-f]{32}$")
RECIPIENT_RE = re.compile(r"^[UCR][0-9a-f]{32}$")  # user, group or room
# LINE's 429 body once the month's allowance is used (a rate-limit 429 says something else).
MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."
RATE_LIMIT_MESSAGE = "The API rate limit has been exceeded. Try again later."
# Requests a second LINE allows per channel (Messaging API reference, "Rate limits").
PUSH_RATE = 2_000
MULTICAST_RATE = 200
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Limits LINE documents in prose but the OpenAPI file leaves out. Those the file does carry
# (5 messages per request, 13 quick-reply items, postback data <= 300) come from the schema.
TEXT_MAX = 5000
FLEX_ALT_MAX = 1500
TEMPLATE_ALT_MAX = 400
LABEL_MAX = 20  # quick reply and template actions
FLEX_LABEL_MAX = 40
IMAGE_CAROUSEL_LABEL_MAX = 12
BUTTONS_TEXT_MAX, BUTTONS_TEXT_WITH_HEADER_MAX = 160, 60
CAROUSEL_TEXT_MAX, CAROUSEL_TEXT_WITH_HEADER_MAX = 120, 60
TEMPLATE_TITLE_MAX = 40
CONFIRM_TEXT_MAX = 240
ACTION_TEXT_MAX = 300
URI_MAX = 1000
URI_SCHEMES = ("http://", "https://", "line://", "tel:")
# "30 KB" / "50 KB" of JSON; a round 30,000 bytes errs on the strict side of either reading.
FLEX_BUBBLE_BYTES, FLEX_CAROUSEL_BYTES = 30_000, 50_000
CAROUSEL_BUBBLES_MAX = 12
TEMPLATE_COLUMNS_MAX = 10
# Rich menus: documented in prose (Messaging API reference, "Rich menu object" and "Upload
# rich menu image"), not in the schema.
RICH_MENU_WIDTH = (800, 2500)
RICH_MENU_MIN_HEIGHT = 250
RICH_MENU_MIN_ASPECT = 1.45
RICH_MENU_AREAS_MAX = 20
RICH_MENU_IMAGE_BYTES = 1024 * 1024
RICH_MENU_IMAGE_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
RICH_MENU_ID_RE = re.compile(r"^richmenu-[0-9a-f]{32}$")
ACTION_TYPES = {
    "camera", "cameraRoll", "clipboard", "datetimepicker", "location",
    "message", "postback", "richmenuswitch", "uri",
}  # fmt: skip


@lru_cache(maxsize=1)
def messaging_checker() -> OpenAPIChecker:
    """The schema checker for messaging-api.yml (built once per process)."""
    return OpenAPIChecker(line_messaging_spec())


@lru_cache(maxsize=1)
def _spec_paths() -> list[re.Pattern[str]]:
    # Paths the spec knows but this fake does not serve are told apart from made-up ones.
    return [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in line_messaging_spec()["paths"]]


# --- documented limits ---------------------------------------------------------------------


def _length(
    value: Any,
    path: str,
    limit: int,
    out: list[Problem],
    *,
    counter: Callable[[str], int] = utf16_len,
    required: bool = False,
) -> None:
    """Non-empty and at most `limit` in LINE's unit; type errors are the schema's business."""
    if value is None:
        if required:
            out.append((path, "must be specified"))
        return
    if not isinstance(value, str):
        return
    size = counter(value)
    if size == 0:
        out.append((path, "must be non-empty text"))
    elif size > limit:
        out.append((path, f"must be at most {limit} characters, got {size}"))


def _action(action: Any, path: str, out: list[Problem], *, label_max: int, label_required: bool) -> None:
    # Labels and action texts count grapheme clusters, data and URIs UTF-16 units (LINE docs,
    # "Character counting in a text"): a Thai label with tone marks is shorter than len() says.
    if not isinstance(action, dict):
        return
    _length(
        action.get("label"), join_path(path, "label"), label_max, out, counter=grapheme_len, required=label_required
    )
    kind = action.get("type")
    if kind == "postback":
        if "data" not in action:
            out.append((join_path(path, "data"), "must be specified"))
        _length(action.get("displayText"), join_path(path, "displayText"), ACTION_TEXT_MAX, out, counter=grapheme_len)
        if "displayText" in action and "text" in action:
            out.append((path, "displayText and text cannot both be set"))
    elif kind == "message":
        _length(action.get("text"), join_path(path, "text"), ACTION_TEXT_MAX, out, counter=grapheme_len, required=True)
    elif kind == "uri":
        uri = action.get("uri")
        _length(uri, join_path(path, "uri"), URI_MAX, out, required=True)
        if isinstance(uri, str) and uri and not uri.startswith(URI_SCHEMES):
            out.append((join_path(path, "uri"), f"scheme must be one of {list(URI_SCHEMES)}"))


def _flex_component(comp: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(comp, dict):
        return
    kind = comp.get("type")
    if kind == "box" and isinstance(comp.get("contents"), list):
        for index, child in enumerate(comp["contents"]):
            _flex_component(child, f"{path}.contents[{index}]", out)
    elif kind == "text" and not comp.get("contents"):  # spans replace the text when present
        _length(comp.get("text"), join_path(path, "text"), 10**9, out, required=True)
    elif kind == "span":
        _length(comp.get("text"), join_path(path, "text"), 10**9, out, required=True)
    if "action" in comp:  # a button's action needs a label; a box/text/image tap action does not
        _action(
            comp["action"], join_path(path, "action"), out, label_max=FLEX_LABEL_MAX, label_required=kind == "button"
        )


def _flex_bubble(bubble: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(bubble, dict):
        return
    size = len(json.dumps(bubble, ensure_ascii=False, separators=(",", ":")).encode())
    if size > FLEX_BUBBLE_BYTES:
        out.append((path, f"bubble JSON must be at most {FLEX_BUBBLE_BYTES} bytes, got {size}"))
    for block in ("header", "hero", "body", "footer"):
        _flex_component(bubble.get(block), join_path(path, block), out)
    if "action" in bubble:
        _action(bubble["action"], join_path(path, "action"), out, label_max=FLEX_LABEL_MAX, label_required=False)


def _flex_container(container: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(container, dict):
        return
    if container.get("type") == "bubble":
        _flex_bubble(container, path, out)
    elif container.get("type") == "carousel" and isinstance(container.get("contents"), list):
        bubbles = container["contents"]
        size = len(json.dumps(container, ensure_ascii=False, separators=(",", ":")).encode())
        if size > FLEX_CAROUSEL_BYTES:
            out.append((path, f"carousel JSON must be at most {FLEX_CAROUSEL_BYTES} bytes, got {size}"))
        if not 1 <= len(bubbles) <= CAROUSEL_BUBBLES_MAX:
            out.append((join_path(path, "contents"), f"must have 1-{CAROUSEL_BUBBLES_MAX} bubbles, got {len(bubbles)}"))
        for index, bubble in enumerate(bubbles):
            _flex_bubble(bubble, f"{path}.contents[{index}]", out)


def _actions(actions: Any, path: str, out: list[Problem], low: int, high: int, label_max: int = LABEL_MAX) -> None:
    if not isinstance(actions, list):
        return
    if not low <= len(actions) <= high:
        expected = f"exactly {low}" if low == high else f"{low}-{high}"
        out.append((path, f"must have {expected} actions, got {len(actions)}"))
    for index, action in enumerate(actions):
        _action(action, f"{path}[{index}]", out, label_max=label_max, label_required=True)


def _template(template: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(template, dict):
        return
    kind = template.get("type")
    if kind in ("buttons", "confirm"):
        header = "thumbnailImageUrl" in template or "title" in template
        text_max = (
            CONFIRM_TEXT_MAX if kind == "confirm" else BUTTONS_TEXT_WITH_HEADER_MAX if header else BUTTONS_TEXT_MAX
        )
        _length(template.get("title"), join_path(path, "title"), TEMPLATE_TITLE_MAX, out, counter=grapheme_len)
        _length(template.get("text"), join_path(path, "text"), text_max, out, counter=grapheme_len)
        low, high = (2, 2) if kind == "confirm" else (1, 4)
        _actions(template.get("actions"), join_path(path, "actions"), out, low, high)
    elif kind in ("carousel", "image_carousel") and isinstance(template.get("columns"), list):
        columns = template["columns"]
        if not 1 <= len(columns) <= TEMPLATE_COLUMNS_MAX:
            out.append((join_path(path, "columns"), f"must have 1-{TEMPLATE_COLUMNS_MAX} columns, got {len(columns)}"))
        counts = set()
        for index, column in enumerate(columns):
            col_path = f"{path}.columns[{index}]"
            if not isinstance(column, dict):
                continue
            if kind == "image_carousel":
                _action(
                    column.get("action"),
                    join_path(col_path, "action"),
                    out,
                    label_max=IMAGE_CAROUSEL_LABEL_MAX,
                    label_required=False,
                )
                continue
            header = "thumbnailImageUrl" in column or "title" in column
            text_max = CAROUSEL_TEXT_WITH_HEADER_MAX if header else CAROUSEL_TEXT_MAX
            _length(column.get("title"), join_path(col_path, "title"), TEMPLATE_TITLE_MAX, out, counter=grapheme_len)
            _length(column.get("text"), join_path(col_path, "text"), text_max, out, counter=grapheme_len)
            _actions(column.get("actions"), join_path(col_path, "actions"), out, 1, 3)
            counts.add(len(column.get("actions") or []))
        if len(counts) > 1:
            out.append((join_path(path, "columns"), "every column must have the same number of actions"))


def _quick_reply(quick: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(quick, dict) or not isinstance(quick.get("items"), list):
        return
    if not quick["items"]:
        out.append((join_path(path, "items"), "must have at least 1 item"))
    for index, item in enumerate(quick["items"]):
        item_path = f"{path}.items[{index}]"
        if not isinstance(item, dict):
            continue
        if item.get("type") != "action":
            out.append((join_path(item_path, "type"), "must be 'action'"))
        if "action" not in item:
            out.append((join_path(item_path, "action"), "must be specified"))
        _action(item.get("action"), join_path(item_path, "action"), out, label_max=LABEL_MAX, label_required=True)
        image = item.get("imageUrl")
        if isinstance(image, str) and not image.startswith("https://"):
            out.append((join_path(item_path, "imageUrl"), "must be an HTTPS URL"))


def message_limit_problems(messages: Any, path: str = "messages") -> list[Problem]:
    """The documented limits of message objects that messaging-api.yml does not encode."""
    out: list[Problem] = []
    if not isinstance(messages, list):
        return out
    for index, message in enumerate(messages):
        msg_path = f"{path}[{index}]"
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        if kind in ("text", "textV2"):
            _length(message.get("text"), join_path(msg_path, "text"), TEXT_MAX, out)
        elif kind == "flex":
            _length(message.get("altText"), join_path(msg_path, "altText"), FLEX_ALT_MAX, out)
            _flex_container(message.get("contents"), join_path(msg_path, "contents"), out)
        elif kind == "template":
            _length(message.get("altText"), join_path(msg_path, "altText"), TEMPLATE_ALT_MAX, out)
            _template(message.get("template"), join_path(msg_path, "template"), out)
        _quick_reply(message.get("quickReply"), join_path(msg_path, "quickReply"), out)
    return out


def rich_menu_problems(menu: dict[str, Any]) -> list[Problem]:
    """The documented limits of a rich menu object that messaging-api.yml does not encode."""
    out: list[Problem] = []
    for key in ("size", "selected", "name", "chatBarText", "areas"):
        if key not in menu:
            out.append((key, "must be specified"))
    size = menu.get("size")
    if isinstance(size, dict):
        width, height = size.get("width"), size.get("height")
        if isinstance(width, int) and not RICH_MENU_WIDTH[0] <= width <= RICH_MENU_WIDTH[1]:
            out.append(("size.width", f"must be {RICH_MENU_WIDTH[0]}-{RICH_MENU_WIDTH[1]}, got {width}"))
        if isinstance(height, int) and height < RICH_MENU_MIN_HEIGHT:
            out.append(("size.height", f"must be at least {RICH_MENU_MIN_HEIGHT}, got {height}"))
        if isinstance(width, int) and isinstance(height, int) and height and width / height < RICH_MENU_MIN_ASPECT:
            out.append(("size", f"width/height must be at least {RICH_MENU_MIN_ASPECT}"))
    _length(menu.get("chatBarText"), "chatBarText", 14, out, counter=grapheme_len)
    areas = menu.get("areas")
    if isinstance(areas, list):
        if len(areas) > RICH_MENU_AREAS_MAX:
            out.append(("areas", f"must have at most {RICH_MENU_AREAS_MAX} areas, got {len(areas)}"))
        for index, area in enumerate(areas):
            path = f"areas[{index}]"
            if not isinstance(area, dict):
                continue
            for key in ("bounds", "action"):
                if key not in area:
                    out.append((join_path(path, key), "must be specified"))
            bounds = area.get("bounds")
            if isinstance(bounds, dict) and isinstance(size, dict):
                for key in ("x", "y", "width", "height"):
                    if key not in bounds:
                        out.append((join_path(path, f"bounds.{key}"), "must be specified"))
                try:
                    right = bounds["x"] + bounds["width"]
                    bottom = bounds["y"] + bounds["height"]
                    if right > size["width"] or bottom > size["height"]:
                        out.append((join_path(path, "bounds"), "must lie inside the rich menu"))
                except (KeyError, TypeError):
                    pass
            # Rich-menu area labels are optional; LINE counts 20 for them like other actions.
            _action(area.get("action"), join_path(path, "action"), out, label_max=LABEL_MAX, label_required=False)
    return out


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or baseline/progressive JPEG, read from its header."""
    if data.startswith(RICH_MENU_IMAGE_TYPES["image/png"]) and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(RICH_MENU_IMAGE_TYPES["image/jpeg"]):
        at = 2
        while at + 9 < len(data):
            if data[at] != 0xFF:
                return None
            marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                return int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
            at += 2 + length
    return None


def visible_texts(message: dict[str, Any]) -> list[str]:
    """A message's own texts in order: text, altText, flex/template texts and button labels.

    Quick-reply labels are left out: they float under the chat rather than belonging to the
    message, and Telegram's keyboards are left out of its texts the same way.
    """
    found: list[str] = []

    def walk(node: Any, in_action: bool) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, in_action)
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str):
                    # Inside an action only the label shows; data/uri/text are not on screen.
                    if key == "label" or (not in_action and key in ("text", "altText", "title")):
                        found.append(value)
                elif key != "quickReply":
                    walk(value, in_action or key in ("action", "actions", "defaultAction"))

    walk(message, False)
    return found


# --- the server ----------------------------------------------------------------------------


@dataclass
class Delivery:
    """One message object accepted for one user."""

    user_id: str
    via: str  # "reply", "push" or "multicast"
    message: dict[str, Any]
    message_id: str


@dataclass
class _ReplyToken:
    user_id: str
    expires_at: float
    used: bool = False


class FakeLineAPI(FakeServer):
    """LINE Messaging API + blob host on one loopback aiohttp server, spec-checked."""

    def __init__(
        self,
        channel_access_token: str = "test-token",
        *,
        reply_token_ttl: float = 30.0,
        strict_reply_tokens: bool = True,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
        history: int | None = None,
    ) -> None:
        super().__init__(host=host, port=port, history=history)
        self.channel_access_token = channel_access_token
        self.reply_token_ttl = reply_token_ttl
        # strict: only tokens from issue_reply_token() work; lenient (benchmarks replaying
        # webhooks from another process): any unseen token works once, unattributed ("").
        self.strict_reply_tokens = strict_reply_tokens
        self.clock = clock
        self.bot_user_id = BOT_USER_ID
        self.deliveries: list[Delivery] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self.webhook_endpoint: str | None = None
        self._tokens: dict[str, _ReplyToken] = {}
        self._retry_keys: dict[str, list[dict[str, str]]] = {}
        self._content: dict[str, tuple[bytes, str]] = {}
        self._ids = itertools.count(int(time.time() * 1000) % 10**12 * 1000)
        self.rich_menus: dict[str, dict[str, Any]] = {}  # richMenuId -> menu as created
        self.rich_menu_images: dict[str, tuple[bytes, str]] = {}  # richMenuId -> (image, type)
        self.user_rich_menus: dict[str, str] = {}  # userId -> linked richMenuId
        self.push_delay = 0.0  # seconds each push or multicast takes: lets a test kill the service mid-delivery
        # The monthly message allowance: None is LINE's type "none" (no limit set).
        self.allowance: int | None = None
        self.messages_used = 0  # pushes and multicasts accepted, one per request and recipient
        self.quota_failure: int | None = None  # a status the quota endpoints answer instead (e.g. 500)
        self.rate_limited_pushes = 0  # how many coming pushes get LINE's rate-limit 429 (not the monthly one)
        self.rate_windows = {
            "/v2/bot/message/push": RateWindow(PUSH_RATE),
            "/v2/bot/message/multicast": RateWindow(MULTICAST_RATE),
        }
        # Accepted requests per recipient, by way ("reply", "push", "multicast"): unlike `deliveries`
        # never trimmed, so a 100,000-recipient run can count who got a notice twice or never.
        self.received: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

    # --- test API --------------------------------------------------------------------------

    def issue_reply_token(self, user_id: str, ttl: float | None = None) -> str:
        """A fresh single-use reply token bound to `user_id`, valid `reply_token_ttl` seconds."""
        if not USER_ID_RE.match(user_id):
            raise ValueError("LINE user IDs look like U + 32 hex digits; see line_events.line_user_id()")
        token = secrets.token_hex(16)
        lifetime = self.reply_token_ttl if ttl is None else ttl
        self._tokens[token] = _ReplyToken(user_id, self.clock() + lifetime)
        return token

    def expire_reply_tokens(self, user_id: str | None = None) -> None:
        """Expire every outstanding token (of one user), to exercise the push fallback."""
        for record in self._tokens.values():
            if user_id is None or record.user_id == user_id:
                record.expires_at = float("-inf")

    def add_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """Serve `data` at GET /v2/bot/message/{message_id}/content."""
        self._content[str(message_id)] = (bytes(data), content_type)

    def add_profile(self, user_id: str, display_name: str, **extra: Any) -> None:
        """What GET /v2/bot/profile/{user_id} answers (others get a generic profile)."""
        self.profiles[user_id] = {"userId": user_id, "displayName": display_name, **extra}

    def set_allowance(self, limit: int | None, *, used: int | None = None) -> None:
        """This month's message allowance (None: no limit) and, optionally, how much of it is used."""
        self.allowance = limit
        if used is not None:
            self.messages_used = used

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        """Message objects delivered to the user by reply, push or multicast, in order."""
        return [d.message for d in self.deliveries if d.user_id == user_id]

    def texts_to(self, user_id: str) -> list[str]:
        """One string per message delivered to the user: its visible texts joined by newlines.

        A text message gives its text; a flex or template message its altText, then every text,
        title and button label inside, so `texts_to(u)[-1]` is the latest message and Thai
        fragments can be searched with `in`.
        """
        texts = ("\n".join(visible_texts(message)) for message in self.messages_to(user_id))
        return [text for text in texts if text]

    def rich_menu_of(self, user_id: str) -> dict[str, Any] | None:
        """The rich menu linked to the user (with its richMenuId), or None."""
        menu_id = self.user_rich_menus.get(user_id)
        return self.rich_menus.get(menu_id) if menu_id else None

    def stats(self) -> dict[str, Any]:
        """The shared counts plus, per way of sending, how many users were reached once and more often."""
        return {
            **super().stats(),
            "received": {
                via: {"users": len(counter), "twice_or_more": sum(1 for n in counter.values() if n > 1)}
                for via, counter in self.received.items()
            },
        }

    def times_received(self, user_id: str, via: str | None = None) -> int:
        """How many accepted requests reached the user (by one way, or any)."""
        if via is not None:
            return self.received[via][user_id]
        return sum(counter[user_id] for counter in self.received.values())

    def clear(self) -> None:
        """Forget calls, deliveries, counters, violations and errors; tokens, content and profiles stay."""
        super().clear()
        self.deliveries.clear()
        self.received.clear()

    def load_specs(self) -> None:
        """Parse messaging-api.yml now rather than on the first request."""
        messaging_checker()

    # --- plumbing --------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """Routes for the endpoints the bot uses, control endpoints, and a catch-all."""
        app = super().build_app()
        r = app.router
        r.add_post("/v2/bot/message/reply", self._api("ReplyMessageRequest", self._reply))
        r.add_post("/v2/bot/message/push", self._api("PushMessageRequest", self._push))
        r.add_post("/v2/bot/message/multicast", self._api("MulticastRequest", self._multicast))
        r.add_get("/v2/bot/message/quota", self._api(None, self._quota))
        r.add_get("/v2/bot/message/quota/consumption", self._api(None, self._quota_consumption))
        r.add_get("/v2/bot/message/{messageId}/content", self._api(None, self._get_content))
        r.add_get("/v2/bot/profile/{userId}", self._api(None, self._get_profile))
        r.add_post("/v2/bot/chat/loading/start", self._api("ShowLoadingAnimationRequest", self._loading))
        r.add_get("/v2/bot/info", self._api(None, self._bot_info))
        r.add_put("/v2/bot/channel/webhook/endpoint", self._api("SetWebhookEndpointRequest", self._set_endpoint))
        r.add_get("/v2/bot/channel/webhook/endpoint", self._api(None, self._get_endpoint))
        r.add_post("/v2/bot/channel/webhook/test", self._api("TestWebhookEndpointRequest", self._test_endpoint))
        r.add_post("/v2/bot/richmenu", self._api("RichMenuRequest", self._create_rich_menu))
        r.add_get("/v2/bot/richmenu/list", self._api(None, self._list_rich_menus))
        r.add_get("/v2/bot/richmenu/{richMenuId}", self._api(None, self._get_rich_menu))
        r.add_delete("/v2/bot/richmenu/{richMenuId}", self._api(None, self._delete_rich_menu))
        r.add_post("/v2/bot/richmenu/{richMenuId}/content", self._api(None, self._set_rich_menu_image))
        r.add_get("/v2/bot/richmenu/{richMenuId}/content", self._api(None, self._get_rich_menu_image))
        r.add_post("/v2/bot/user/{userId}/richmenu/{richMenuId}", self._api(None, self._link_rich_menu))
        r.add_get("/v2/bot/user/{userId}/richmenu", self._api(None, self._get_user_rich_menu))
        r.add_delete("/v2/bot/user/{userId}/richmenu", self._api(None, self._unlink_rich_menu))
        r.add_post("/__fake__/reply-tokens", self._control_token)
        r.add_put("/__fake__/content/{messageId}", self._control_content)
        r.add_get("/__fake__/stats", self._control_stats)
        r.add_get("/__fake__/received", self._control_received)
        r.add_post("/__fake__/clear", self._control_clear)
        r.add_route("*", "/{tail:.*}", self._unknown)
        return app

    @staticmethod
    def _error(status: int, message: str, problems: list[Problem] | None = None, **extra: Any) -> web.Response:
        body: dict[str, Any] = {"message": message, **extra}
        if problems:
            body["details"] = [{"message": text, "property": prop} for prop, text in problems]
        return web.json_response(body, status=status, headers={"X-Line-Request-Id": str(uuid.uuid4())})

    @staticmethod
    def _ok(body: Any, status: int = 200, **headers: str) -> web.Response:
        return web.json_response(body, status=status, headers={"X-Line-Request-Id": str(uuid.uuid4()), **headers})

    def _ok_as(self, schema: str, body: dict[str, Any], status: int = 200) -> web.Response:
        """Answer `body`, first checking it against the spec's response schema (a fake bug otherwise)."""
        problems = messaging_checker().check(schema, body)
        if problems:
            self._violate(f"fake's own {schema}", [f"{prop}: {text}" for prop, text in problems])
        if status >= 400:
            return web.json_response(body, status=status, headers={"X-Line-Request-Id": str(uuid.uuid4())})
        return self._ok(body, status=status)

    def _over_allowance(self, where: str, recipients: int) -> web.Response | None:
        """LINE's answer to a push beyond this month's allowance; None while it fits (then it is counted)."""
        if self.rate_limited_pushes > 0:
            self.rate_limited_pushes -= 1
            self.errors.append(f"{where}: rate limit")
            return self._ok_as("ErrorResponse", {"message": RATE_LIMIT_MESSAGE}, status=429)
        if self.allowance is not None and self.messages_used + recipients > self.allowance:
            self.errors.append(f"{where}: monthly limit reached")
            return self._ok_as("ErrorResponse", {"message": MONTHLY_LIMIT_MESSAGE}, status=429)
        self.messages_used += recipients
        return None

    def _api(self, schema: str | None, handler: Callable[[web.Request, Any], Any]) -> Callable[[web.Request], Any]:
        """Wrap an endpoint: record, check the bearer token, check the body, then handle."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            where = f"{request.method} {request.match_info.route.resource.canonical}"  # type: ignore[union-attr]
            note(request, endpoint=where.split(" ", 1)[1])
            raw = await request.read()
            body: Any = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
            note(request, body=body)
            if request.headers.get("Authorization") != f"Bearer {self.channel_access_token}":
                self.errors.append(f"{where}: bad or missing channel access token")
                return self._error(
                    401, "Authentication failed. Confirm that the access token in the authorization header is valid."
                )
            if schema is not None:
                if not isinstance(body, dict):
                    self._violate(where, ["body must be a JSON object"])
                    return self._error(400, "The request body is not valid JSON")
                problems = messaging_checker().check(schema, body)
                problems += message_limit_problems(body.get("messages"))
                problems += self._extra_problems(schema, body)
                if problems:
                    self._violate(where, [f"{prop}: {text}" for prop, text in problems])
                    return self._error(400, f"The request body has {len(problems)} error(s)", problems)
            return await handler(request, body)

        return wrapped

    @staticmethod
    def _extra_problems(schema: str, body: dict[str, Any]) -> list[Problem]:
        out: list[Problem] = []
        recipients = body.get("to")
        if schema == "PushMessageRequest" and isinstance(recipients, str) and not RECIPIENT_RE.match(recipients):
            out.append(("to", "must be a user, group or room ID (U/C/R + 32 hex digits)"))
        if schema == "MulticastRequest" and isinstance(recipients, list):
            out += [
                (f"to[{i}]", "must be a user ID (U + 32 hex digits)")
                for i, r in enumerate(recipients)
                if not USER_ID_RE.match(str(r))
            ]
        if schema == "ShowLoadingAnimationRequest":
            if isinstance(body.get("chatId"), str) and not USER_ID_RE.match(body["chatId"]):
                out.append(("chatId", "must be a user ID (U + 32 hex digits)"))
            seconds = body.get("loadingSeconds")
            if isinstance(seconds, int) and seconds % 5:
                out.append(("loadingSeconds", "must be a multiple of 5"))
        if schema == "RichMenuRequest":
            out += rich_menu_problems(body)
        if schema == "SetWebhookEndpointRequest" and not str(body.get("endpoint", "")).startswith("https://"):
            out.append(("endpoint", "must be an HTTPS URL"))
        return out

    def _deliver(self, user_ids: list[str], messages: list[dict[str, Any]], via: str) -> list[dict[str, str]]:
        counter = self.received[via]
        for user_id in user_ids:
            counter[user_id] += 1
        sent = []
        for message in messages:
            message_id = str(next(self._ids))
            for user_id in user_ids:
                self.deliveries.append(Delivery(user_id, via, message, message_id))
            entry = {"id": message_id}
            if message.get("type") in ("text", "textV2", "sticker", "image", "video"):
                entry["quoteToken"] = secrets.token_urlsafe(24)
            sent.append(entry)
        if self.history is not None and len(self.deliveries) > 2 * self.history:
            del self.deliveries[: -self.history]
        for user_id in user_ids:
            self.arrived(user_id)
        return sent

    # --- endpoints -------------------------------------------------------------------------

    async def _reply(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        token = body["replyToken"]
        record = self._tokens.get(token)
        if record is None and not self.strict_reply_tokens:
            record = self._tokens[token] = _ReplyToken("", float("inf"))
        reason = (
            "unknown" if record is None
            else "already used" if record.used
            else "expired" if self.clock() > record.expires_at
            else ""
        )  # fmt: skip
        if record is None or reason:
            self.errors.append(f"POST /v2/bot/message/reply: {reason} reply token")
            return self._error(400, "Invalid reply token")
        record.used = True
        return self._ok({"sentMessages": self._deliver([record.user_id], body["messages"], "reply")})

    def _retry_conflict(self, request: web.Request, where: str) -> web.Response | None:
        key = request.headers.get("X-Line-Retry-Key")
        if key is None:
            return None
        if not UUID_RE.match(key):
            self._violate(where, ["X-Line-Retry-Key must be a UUID"])
            return self._error(400, "The value for the 'X-Line-Retry-Key' header is invalid")
        if key in self._retry_keys:
            # LINE answers 409 and does not send again; the first request's id is echoed.
            self.errors.append(f"{where}: retry key already accepted")
            return self._error(409, "The retry key is already accepted", sentMessages=self._retry_keys[key])
        return None

    def _gate(self, request: web.Request, path: str) -> tuple[web.Response | None, Fault | None]:
        """Before a push or multicast is handled: the rate limit, then an injected fault.

        Returns the answer to give instead of handling it (None: handle it) and the fault
        that strikes after handling ("slow", "drop_after"), if any.
        """
        if self.rates_enforced and self.rate_windows[path].take():
            self.refused_for_rate[path] += 1
            self.errors.append(f"POST {path}: over {self.rate_windows[path].limit} requests/s")
            return self._ok_as("ErrorResponse", {"message": RATE_LIMIT_MESSAGE}, status=429), None
        fault = self.draw_fault()
        if fault == "429":
            return self._ok_as("ErrorResponse", {"message": RATE_LIMIT_MESSAGE}, status=429), None
        if fault == "5xx":
            return self._error(500, "Internal server error"), None
        if fault == "drop":
            self.drop(request)
            return web.Response(status=500), None  # never reaches the client
        return None, fault

    async def _push(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        if self.push_delay:
            await asyncio.sleep(self.push_delay)
        return await self._send(request, "/v2/bot/message/push", [body["to"]], body["messages"], "push")

    async def _multicast(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        if self.push_delay:
            await asyncio.sleep(self.push_delay)
        return await self._send(request, "/v2/bot/message/multicast", list(body["to"]), body["messages"], "multicast")

    async def _send(
        self, request: web.Request, path: str, to: list[str], messages: list[dict[str, Any]], via: str
    ) -> web.Response:
        answer, fault = self._gate(request, path)
        if answer is not None:
            return answer
        conflict = self._retry_conflict(request, f"POST {path}")
        if conflict:
            return conflict
        refused = self._over_allowance(f"POST {path}", len(to))
        if refused:
            return refused
        sent = self._deliver(to, messages, via)
        if "X-Line-Retry-Key" in request.headers:
            # Kept once accepted: a retry after a late answer or a dropped connection gets 409.
            self._retry_keys[request.headers["X-Line-Retry-Key"]] = sent
        await self.after_handling(request, fault)
        return self._ok({"sentMessages": sent} if via == "push" else {})

    async def _quota(self, _request: web.Request, _body: Any) -> web.Response:
        if self.quota_failure is not None:
            return self._error(self.quota_failure, "Internal server error")
        if self.allowance is None:
            return self._ok_as("MessageQuotaResponse", {"type": "none"})
        return self._ok_as("MessageQuotaResponse", {"type": "limited", "value": self.allowance})

    async def _quota_consumption(self, _request: web.Request, _body: Any) -> web.Response:
        if self.quota_failure is not None:
            return self._error(self.quota_failure, "Internal server error")
        return self._ok_as("QuotaConsumptionResponse", {"totalUsage": self.messages_used})

    async def _get_content(self, request: web.Request, _body: Any) -> web.Response:
        found = self._content.get(request.match_info["messageId"])
        if found is None:
            self.errors.append("GET /v2/bot/message/{messageId}/content: no such content")
            return self._error(404, "Not found")
        data, content_type = found
        return web.Response(body=data, content_type=content_type)

    async def _get_profile(self, request: web.Request, _body: Any) -> web.Response:
        user_id = request.match_info["userId"]
        if not USER_ID_RE.match(user_id):
            self._violate("GET /v2/bot/profile/{userId}", ["userId must be U + 32 hex digits"])
            return self._error(400, "The value for the 'userId' parameter is invalid")
        profile = self.profiles.get(user_id) or {"userId": user_id, "displayName": "LINE user", "language": "th"}
        return self._ok(profile)

    async def _loading(self, _request: web.Request, _body: Any) -> web.Response:
        return self._ok({}, status=202)

    async def _bot_info(self, _request: web.Request, _body: Any) -> web.Response:
        return self._ok(
            {
                "userId": self.bot_user_id,
                "basicId": "@000fake",
                "displayName": "Fake LINE bot",
                "chatMode": "bot",
                "markAsReadMode": "auto",
            }
        )

    async def _set_endpoint(self, _request: web.Request, body: dict[str, Any]) -> web.Response:
        self.webhook_endpoint = body["endpoint"]
        return self._ok({})

    async def _get_endpoint(self, _request: web.Request, _body: Any) -> web.Response:
        if self.webhook_endpoint is None:
            return self._error(404, "Not found")
        return self._ok({"endpoint": self.webhook_endpoint, "active": True})

    async def _test_endpoint(self, _request: web.Request, _body: Any) -> web.Response:
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return self._ok({"success": True, "timestamp": stamp, "statusCode": 200, "reason": "OK", "detail": "200"})

    def _menu_or_404(self, request: web.Request, where: str) -> str | web.Response:
        menu_id = request.match_info["richMenuId"]
        if menu_id not in self.rich_menus:
            self.errors.append(f"{where}: no such rich menu")
            return self._error(404, "Not found")
        return menu_id

    async def _create_rich_menu(self, _request: web.Request, body: dict[str, Any]) -> web.Response:
        menu_id = "richmenu-" + secrets.token_hex(16)
        self.rich_menus[menu_id] = {"richMenuId": menu_id, **body}
        return self._ok({"richMenuId": menu_id})

    async def _list_rich_menus(self, _request: web.Request, _body: Any) -> web.Response:
        # LINE lists only menus that have an image uploaded.
        return self._ok({"richmenus": [m for i, m in self.rich_menus.items() if i in self.rich_menu_images]})

    async def _get_rich_menu(self, request: web.Request, _body: Any) -> web.Response:
        found = self._menu_or_404(request, "GET /v2/bot/richmenu/{richMenuId}")
        return found if isinstance(found, web.Response) else self._ok(self.rich_menus[found])

    async def _delete_rich_menu(self, request: web.Request, _body: Any) -> web.Response:
        found = self._menu_or_404(request, "DELETE /v2/bot/richmenu/{richMenuId}")
        if isinstance(found, web.Response):
            return found
        del self.rich_menus[found]
        self.rich_menu_images.pop(found, None)
        for user_id in [u for u, m in self.user_rich_menus.items() if m == found]:
            del self.user_rich_menus[user_id]
        return self._ok({})

    async def _set_rich_menu_image(self, request: web.Request, body: Any) -> web.Response:
        where = "POST /v2/bot/richmenu/{richMenuId}/content"
        found = self._menu_or_404(request, where)
        if isinstance(found, web.Response):
            return found
        data = body if isinstance(body, bytes) else b""
        content_type = request.content_type
        problems = []
        magic = RICH_MENU_IMAGE_TYPES.get(content_type)
        if magic is None:
            problems.append(f"Content-Type must be image/png or image/jpeg, got {content_type}")
        elif not data.startswith(magic):
            problems.append(f"body is not a {content_type} image")
        if len(data) > RICH_MENU_IMAGE_BYTES:
            problems.append(f"image must be at most {RICH_MENU_IMAGE_BYTES} bytes, got {len(data)}")
        menu_size = self.rich_menus[found].get("size", {})
        size = image_size(data)
        if size != (menu_size.get("width"), menu_size.get("height")):
            problems.append(f"image size {size} must match the rich menu size {menu_size}")
        if found in self.rich_menu_images:
            problems.append("an image was already uploaded for this rich menu")
        if problems:
            self._violate(where, problems)
            return self._error(400, problems[0])
        self.rich_menu_images[found] = (data, content_type)
        return self._ok({})

    async def _get_rich_menu_image(self, request: web.Request, _body: Any) -> web.Response:
        found = self._menu_or_404(request, "GET /v2/bot/richmenu/{richMenuId}/content")
        if isinstance(found, web.Response):
            return found
        if found not in self.rich_menu_images:
            return self._error(404, "Not found")
        data, content_type = self.rich_menu_images[found]
        return web.Response(body=data, content_type=content_type)

    def _user_or_400(self, request: web.Request, where: str) -> str | web.Response:
        user_id = request.match_info["userId"]
        if not USER_ID_RE.match(user_id):
            self._violate(where, ["userId must be U + 32 hex digits"])
            return self._error(400, "The value for the 'userId' parameter is invalid")
        return user_id

    async def _link_rich_menu(self, request: web.Request, _body: Any) -> web.Response:
        where = "POST /v2/bot/user/{userId}/richmenu/{richMenuId}"
        user_id = self._user_or_400(request, where)
        if isinstance(user_id, web.Response):
            return user_id
        found = self._menu_or_404(request, where)
        if isinstance(found, web.Response):
            return found
        if found not in self.rich_menu_images:
            # LINE refuses to link a rich menu that has no image yet.
            self._violate(where, ["the rich menu has no image uploaded"])
            return self._error(400, "An image has not been uploaded to the rich menu")
        self.user_rich_menus[user_id] = found
        return self._ok({})

    async def _get_user_rich_menu(self, request: web.Request, _body: Any) -> web.Response:
        user_id = self._user_or_400(request, "GET /v2/bot/user/{userId}/richmenu")
        if isinstance(user_id, web.Response):
            return user_id
        if user_id not in self.user_rich_menus:
            return self._error(404, "the user has no rich menu")
        return self._ok({"richMenuId": self.user_rich_menus[user_id]})

    async def _unlink_rich_menu(self, request: web.Request, _body: Any) -> web.Response:
        user_id = self._user_or_400(request, "DELETE /v2/bot/user/{userId}/richmenu")
        if isinstance(user_id, web.Response):
            return user_id
        self.user_rich_menus.pop(user_id, None)
        return self._ok({})

    async def _unknown(self, request: web.Request) -> web.Response:
        known = any(p.match(request.path) for p in _spec_paths())
        what = "is not implemented by FakeLineAPI" if known else "is not a LINE Messaging API endpoint"
        self._violate(f"{request.method} {request.path}", [what])
        return self._error(404, "Not found")

    # --- control endpoints for a standalone run (not LINE's API, not recorded) -------------

    async def _control_token(self, request: web.Request) -> web.Response:
        """{"userId", "ttl"} -> {"replyToken"}; {"userIds": [...], "ttl"} -> {"replyTokens": [...]} (benchmarks)."""
        body = await request.json()
        if "userIds" in body:
            tokens = [self.issue_reply_token(user, body.get("ttl")) for user in body["userIds"]]
            return web.json_response({"replyTokens": tokens})
        return web.json_response({"replyToken": self.issue_reply_token(body["userId"], body.get("ttl"))})

    async def _control_content(self, request: web.Request) -> web.Response:
        self.add_content(request.match_info["messageId"], await request.read(), request.content_type)
        return web.json_response({})

    async def _control_stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _control_received(self, request: web.Request) -> web.Response:
        """Accepted requests per recipient, {via: {userId: n}}; ?via=multicast for one way."""
        via = request.query.get("via")
        wanted = {via: self.received.get(via, {})} if via else self.received
        return web.json_response({name: dict(counter) for name, counter in wanted.items()})

    async def _control_clear(self, _request: web.Request) -> web.Response:
        self.clear()
        return web.json_response({})


def main(argv: list[str] | None = None) -> None:
    """Serve a FakeLineAPI until killed (for benchmarks from a separate process)."""
    parser = cli_parser("Fake LINE Messaging API (messaging + blob hosts) on one port")
    parser.add_argument("--token", default="test-token", help="the channel access token to accept")
    parser.add_argument("--reply-token-ttl", type=float, default=30.0)
    parser.add_argument("--lenient-reply-tokens", action="store_true", help="accept any unseen reply token once")
    args = parser.parse_args(argv)
    fake = FakeLineAPI(
        args.token,
        reply_token_ttl=args.reply_token_ttl,
        strict_reply_tokens=not args.lenient_reply_tokens,
        host=args.host,
        port=args.port,
        history=args.history,
    )
    apply_cli(fake, args)
    asyncio.run(fake.serve_until_stopped())


if __name__ == "__main__":
    main()
