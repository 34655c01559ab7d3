"""A fake Telegram Bot API server, checked against the official api.json.

Point python-telegram-bot at it with
`Bot(token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")`.
PTB 22 POSTs every method to `/bot<token>/<method>` with the parameters form-urlencoded
(strings as-is, everything else JSON-encoded per field), or as multipart/form-data when a
file is uploaded; JSON bodies and query strings are accepted as well, as Telegram does.
Every call is checked (method exists, required/unknown parameters, types down to nested
objects, documented limits); a violation is recorded and answered 400 like Telegram would.

Standalone, for a benchmark: `python -m tests.fakes.telegram_api --port N --token T`.
`--enforce-rates` and `--faults JSON` (see faults.py) switch on the platform's rate limits and
injected faults; POST /__fake__/faults changes them, GET /__fake__/stats and /__fake__/received count.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import hashlib
import itertools
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

from .faults import Fault, RateWindow, whole_seconds
from .server import FakeServer, apply_cli, cli_parser, note
from .telegram_schema import TelegramSpec, Upload, bot_api

GETFILE_MAX_BYTES = 20 * 1024 * 1024  # the Bot API refuses getFile above 20 MB
LONG_POLL_MAX = 50.0  # seconds a getUpdates call may hang when the queue is empty
# Bot API FAQ, "My bot is hitting limits": about 30 messages a second overall, 1 a second per chat.
MESSAGES_PER_SECOND = 30
PER_CHAT_PER_SECOND = 1
# The methods that send a message into a chat: the ones rate limits and injected faults apply to.
SENDING_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAudio", "sendVoice",
    "sendAnimation", "sendSticker", "sendMediaGroup", "sendLocation", "sendContact", "copyMessage",
    "forwardMessage",
})  # fmt: skip


class _ApiError(Exception):
    """A refusal the real Bot API gives for a well-formed call (not a spec violation)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class SentMessage:
    """A message the bot sent, as parameters (edits applied) and as the Message returned."""

    chat_id: str
    message_id: int
    params: dict[str, Any]
    message: dict[str, Any]


@dataclass
class _File:
    file_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


def _unique_id(file_id: str) -> str:
    return "AQAD" + hashlib.sha1(file_id.encode()).hexdigest()[:12]


class FakeTelegramAPI(FakeServer):
    """Telegram Bot API + file host on one loopback aiohttp server, spec-checked."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_username: str = "fake_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        history: int | None = None,
    ) -> None:
        super().__init__(host=host, port=port, history=history)
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_user = {
            "id": int(prefix) if prefix.isdigit() else 1,
            "is_bot": True,
            "first_name": "Fake bot",
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.webhook: dict[str, Any] | None = None  # setWebhook parameters while one is set
        self.commands: dict[str, list[dict[str, Any]]] = {}  # by scope/language key
        self.blocked: set[str] = set()
        self._sent: dict[str, list[SentMessage]] = defaultdict(list)
        self._next_id: dict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._files: dict[str, _File] = {}
        self._file_seq = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._update_arrived: asyncio.Event | None = None
        self.overall_rate = RateWindow(MESSAGES_PER_SECOND)
        self.chat_rate = RateWindow(PER_CHAT_PER_SECOND)
        # Never trimmed, unlike the sent messages: what a large broadcast is judged by.
        self.received: collections.Counter[str] = collections.Counter()  # messages per chat
        self.uploads = 0  # sendDocument/sendPhoto calls that carried the file's bytes
        self.file_id_sends = 0  # ... that named a file Telegram already had
        self.duplicate_risk = 0  # sent, then the connection dropped: a retry would send it twice

    # --- test API --------------------------------------------------------------------------

    def queue_update(self, update: dict[str, Any]) -> None:
        """Make `update` available to getUpdates (long polling wakes up)."""
        if "update_id" not in update:
            raise ValueError("an Update needs an update_id")
        self._updates.append(update)
        if self._update_arrived is not None:
            self._update_arrived.set()

    def add_file(self, file_id: str, data: bytes, file_path: str | None = None) -> str:
        """Serve `data` for getFile(file_id) + download; returns the file_path used."""
        path = file_path or f"documents/file_{next(self._file_seq)}"
        self._files[file_id] = _File(file_id, bytes(data), path)
        return path

    def commands_shown(self, chat_id: int | str | None = None) -> list[str]:
        """The command words a private chat's user sees: the chat's own list, else the default.

        As on Telegram, a narrower scope wins, languages aside; set lists are kept per scope
        in `commands`, every setMyCommands call in `calls`.
        """
        default = self.commands.get(self._commands_key({}), [])
        if chat_id is None:
            return [c["command"] for c in default]
        own = self.commands.get(self._commands_key({"scope": {"type": "chat", "chat_id": int(chat_id)}}))
        return [c["command"] for c in (default if own is None else own)]

    def forget_files(self) -> None:
        """Forget every file (as when Telegram no longer accepts an old file_id)."""
        self._files.clear()

    def block(self, chat_id: int | str) -> None:
        """Make sends to this chat fail 403 as when the user blocked the bot."""
        self.blocked.add(str(chat_id))

    def messages_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        """Messages sent to the chat: their parameters plus `message_id`, edits applied."""
        return [{**m.params, "message_id": m.message_id} for m in self._sent.get(str(chat_id), [])]

    def texts_to(self, chat_id: int | str) -> list[str]:
        """The text (or caption) of every message sent to the chat, edits applied."""
        out = []
        for m in self._sent.get(str(chat_id), []):
            text = m.params.get("text", m.params.get("caption"))
            if isinstance(text, str):
                out.append(text)
        return out

    def last_keyboard(self, chat_id: int | str) -> list[list[dict[str, Any]]] | None:
        """Rows of buttons of the latest message still carrying a keyboard, or None."""
        for m in reversed(self._sent.get(str(chat_id), [])):
            markup = m.params.get("reply_markup")
            if isinstance(markup, dict):
                rows = markup.get("inline_keyboard") or markup.get("keyboard")
                if rows:
                    return rows
        return None

    def clear(self) -> None:
        """Forget calls, sent messages, counters, violations and errors; files and updates stay."""
        super().clear()
        self._sent.clear()
        self.received.clear()
        self.uploads = self.file_id_sends = self.duplicate_risk = 0

    def stats(self) -> dict[str, Any]:
        """The shared counts plus deliveries per chat summed up and the upload counts."""
        return {
            **super().stats(),
            "chats_reached": len(self.received),
            "chats_reached_twice": sum(1 for n in self.received.values() if n > 1),
            "messages_sent": sum(self.received.values()),
            "uploads": self.uploads,
            "file_id_sends": self.file_id_sends,
            "duplicate_risk": self.duplicate_risk,
        }

    def load_specs(self) -> None:
        """Parse api.json now rather than on the first request."""
        bot_api()

    async def start(self) -> Self:
        """Bind the port; long polling needs an Event of the running loop."""
        self._update_arrived = asyncio.Event()
        await super().start()
        return self

    async def close(self) -> None:
        """Wake hanging getUpdates calls, then stop serving."""
        if self._update_arrived is not None:
            self._update_arrived.set()
        await super().close()

    # --- plumbing --------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The method and file routes, control endpoints, and a catch-all 404."""
        app = super().build_app()
        r = app.router
        r.add_route("*", "/bot{token}/{method}", self._method)
        r.add_get("/file/bot{token}/{file_path:.+}", self._download)
        r.add_post("/__fake__/updates", self._control_update)
        r.add_put("/__fake__/files/{file_id}", self._control_file)
        r.add_get("/__fake__/stats", self._control_stats)
        r.add_get("/__fake__/received", self._control_received)
        r.add_post("/__fake__/clear", self._control_clear)
        r.add_route("*", "/{tail:.*}", self._not_found)
        return app

    @staticmethod
    def _fail(code: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("a JSON body must be an object")
            params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    value = Upload(value.filename, value.content_type, value.file.read())
                params[key] = value
        return params

    async def _method(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        note(request, path=f"/bot<token>/{name}", endpoint=name)  # keep the token out of the log
        if request.match_info["token"] != self.token:
            self.errors.append(f"{name}: wrong bot token")
            return self._fail(401, "Unauthorized")
        spec = bot_api()
        method = spec.method_name(name)
        if method is None:
            self._violate(name, ["no such Bot API method"])
            return self._fail(404, "Not Found")
        note(request, endpoint=method)
        try:
            params = spec.decode(method, await self._read_params(request))
        except ValueError:
            self._violate(method, ["request body is not valid JSON"])
            return self._fail(400, "Bad Request: can't parse JSON")
        note(request, body=params)
        problems = spec.check_call(method, params)
        if problems:
            self._violate(method, problems)
            return self._fail(400, f"Bad Request: {problems[0]}")
        fault: Fault | None = None
        if method in SENDING_METHODS:
            refused, fault = self._gate(request, method, params)
            if refused is not None:
                return refused
        handler = getattr(self, f"_m_{method}", None)
        try:
            result = await handler(params) if handler else self._generic(spec, method, params)
        except _ApiError as exc:
            self.errors.append(f"{method}: {exc.description}")
            return self._fail(exc.code, exc.description)
        if fault == "drop_after":
            self.duplicate_risk += 1
        await self.after_handling(request, fault)
        return web.json_response({"ok": True, "result": result})

    def _too_many(self, wait: float) -> web.Response:
        seconds = whole_seconds(wait)
        return web.json_response(
            {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {seconds}",
                "parameters": {"retry_after": seconds},
            },
            status=429,
        )

    def _gate(
        self, request: web.Request, method: str, params: dict[str, Any]
    ) -> tuple[web.Response | None, Fault | None]:
        """Before a message is sent: the rate limits, then an injected fault.

        Returns the answer to give instead (None: send it) and the fault that strikes after
        sending ("slow", "drop_after"), if any.
        """
        if self.rates_enforced:
            chat = str(params.get("chat_id"))
            # Both windows must have room; a refused message takes a place in neither.
            wait = max(self.chat_rate.room(chat), self.overall_rate.room())
            if not wait:
                self.chat_rate.take(chat)
                self.overall_rate.take()
            else:
                self.refused_for_rate[method] += 1
                self.errors.append(f"{method}: flood control")
                return self._too_many(wait), None
        fault = self.draw_fault()
        if fault == "429":
            return self._too_many(1.0), None
        if fault == "5xx":
            return self._fail(500, "Internal Server Error"), None
        if fault == "drop":
            self.drop(request)
            return web.Response(status=500), None  # never reaches the client
        return None, fault

    # --- messages --------------------------------------------------------------------------

    @staticmethod
    def _chat(chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        if isinstance(chat_id, int):
            kind = "supergroup" if chat_id <= -(10**12) else "group"
            return {"id": chat_id, "type": kind, "title": "Group"}
        digest = int(hashlib.sha1(str(chat_id).encode()).hexdigest()[:9], 16)
        return {
            "id": -(10**12) - digest,
            "type": "channel",
            "title": str(chat_id),
            "username": str(chat_id).lstrip("@"),
        }

    def _store(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        key = str(params["chat_id"])
        if key in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        message_id = next(self._next_id[key])
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "date": int(time.time()),
            "chat": self._chat(params["chat_id"]),
            **content,
        }
        for field in ("text", "entities", "caption", "caption_entities"):
            if field in params:
                message[field] = params[field]
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # only inline ones come back
            message["reply_markup"] = markup
        self.received[key] += 1
        sent = self._sent[key]
        sent.append(SentMessage(key, message_id, dict(params), message))
        if self.history is not None and len(sent) > 2 * self.history:
            del sent[: -self.history]
        self.arrived(key)
        return message

    def _find(self, params: dict[str, Any]) -> SentMessage:
        for m in self._sent.get(str(params["chat_id"]), []):
            if m.message_id == params["message_id"]:
                return m
        raise _ApiError(400, "Bad Request: message to edit not found")

    def _file_object(self, value: Any, default_name: str, default_mime: str) -> _File:
        if isinstance(value, Upload):
            self.uploads += 1
            file_id = f"BQAC{next(self._file_seq):06d}" + hashlib.sha1(value.data).hexdigest()[:20]
            stored = _File(
                file_id, value.data, f"documents/{value.filename or default_name}", value.filename, value.content_type
            )
            self._files[file_id] = stored
            return stored
        if value in self._files:
            self.file_id_sends += 1
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return _File(f"URL{next(self._file_seq):06d}", b"", "documents/remote", default_name, default_mime)
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._store(params)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        f = self._file_object(params["photo"], "photo.jpg", "image/jpeg")
        size = {"file_id": f.file_id, "file_unique_id": _unique_id(f.file_id), "file_size": len(f.data)}
        return self._store(params, photo=[{**size, "width": 90, "height": 90}, {**size, "width": 1280, "height": 960}])

    async def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        f = self._file_object(params["document"], "document", "application/octet-stream")
        document = {"file_id": f.file_id, "file_unique_id": _unique_id(f.file_id), "file_size": len(f.data)}
        if f.file_name:
            document["file_name"] = f.file_name
        if f.mime_type:
            document["mime_type"] = f.mime_type
        return self._store(params, document=document)

    def _edit(self, params: dict[str, Any], field: str | None) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True  # inline messages are not tracked; Telegram answers True for them
        sent = self._find(params)
        if field and field not in sent.params:
            raise _ApiError(400, f"Bad Request: there is no {field} in the message to edit")
        # Telegram drops the inline keyboard when an edit does not repeat reply_markup.
        new_markup = params.get("reply_markup")
        same_text = field is None or sent.params.get(field) == params.get(field)
        if same_text and sent.params.get("reply_markup") == new_markup:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
            )
        if field:
            entities = "entities" if field == "text" else "caption_entities"
            for target in (sent.params, sent.message):
                target.pop(entities, None)
            sent.params.pop("parse_mode", None)
            sent.params[field] = sent.message[field] = params[field]
            for key in (entities, "parse_mode"):
                if key in params:
                    sent.params[key] = params[key]
            if entities in params:
                sent.message[entities] = params[entities]
        sent.params.pop("reply_markup", None)
        sent.message.pop("reply_markup", None)
        if isinstance(new_markup, dict):
            sent.params["reply_markup"] = new_markup
            if "inline_keyboard" in new_markup:
                sent.message["reply_markup"] = new_markup
        sent.message["edit_date"] = int(time.time())
        return copy.deepcopy(sent.message)

    async def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit(params, "text")

    async def _m_editMessageCaption(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit(params, "caption")

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit(params, None)

    # --- the rest --------------------------------------------------------------------------

    async def _m_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _m_answerCallbackQuery(self, _params: dict[str, Any]) -> bool:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params if params.get("url") else None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook and "allowed_updates" in self.webhook:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return f"{json.dumps(scope, sort_keys=True)}|{params.get('language_code', '')}"

    async def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands[self._commands_key(params)] = params["commands"]
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    async def _m_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        f = self._files.get(params["file_id"])
        if f is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if len(f.data) > GETFILE_MAX_BYTES:
            raise _ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": f.file_id,
            "file_unique_id": _unique_id(f.file_id),
            "file_size": len(f.data),
            "file_path": f.file_path,
        }

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset") or 0
        if offset > 0:  # everything below the offset is confirmed and forgotten
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout") or 0), LONG_POLL_MAX)
        if not self._updates and timeout > 0 and self._update_arrived is not None:
            self._update_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_arrived.wait(), timeout)
        pending = self._updates[offset:] if offset < 0 else self._updates
        return pending[: int(params.get("limit") or 100)]

    def _generic(self, spec: TelegramSpec, method: str, params: dict[str, Any]) -> Any:
        # Simple methods (sendChatAction, deleteMessage, ...) get the plain answer their spec
        # promises; anything richer must be added here before a test can rely on it.
        returns = spec.returns(method)
        if returns == ["Boolean"]:
            return True
        if returns == ["Message"] and "chat_id" in params:
            return self._store(params)
        self._violate(method, ["not implemented by FakeTelegramAPI"])
        raise _ApiError(501, f"Not Implemented: {method} is not implemented by FakeTelegramAPI")

    async def _download(self, request: web.Request) -> web.Response:
        note(request, path="/file/bot<token>/" + request.match_info["file_path"], endpoint="file")
        if request.match_info["token"] != self.token:
            self.errors.append("file download: wrong bot token")
            return self._fail(401, "Unauthorized")
        wanted = request.match_info["file_path"]
        for f in self._files.values():
            if f.file_path == wanted:
                return web.Response(body=f.data, content_type="application/octet-stream")
        self.errors.append("file download: no such file_path")
        return self._fail(404, "Not Found")

    async def _not_found(self, request: web.Request) -> web.Response:
        self._violate(f"{request.method} {request.path}", ["is not a Bot API URL (/bot<token>/<method>)"])
        return self._fail(404, "Not Found")

    # --- control endpoints for a standalone run (not Telegram's API, not recorded) ---------

    async def _control_update(self, request: web.Request) -> web.Response:
        self.queue_update(await request.json())
        return web.json_response({})

    async def _control_file(self, request: web.Request) -> web.Response:
        path = self.add_file(request.match_info["file_id"], await request.read(), request.query.get("file_path"))
        return web.json_response({"file_path": path})

    async def _control_stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _control_received(self, _request: web.Request) -> web.Response:
        """Messages sent per chat, {chat_id: n} (never trimmed)."""
        return web.json_response(dict(self.received))

    async def _control_clear(self, _request: web.Request) -> web.Response:
        self.clear()
        return web.json_response({})


_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


def main(argv: list[str] | None = None) -> None:
    """Serve a FakeTelegramAPI until killed (for benchmarks from a separate process)."""
    parser = cli_parser("Fake Telegram Bot API (methods + file downloads) on one port")
    parser.add_argument("--token", default="123456:TEST-token", help="the bot token to accept")
    args = parser.parse_args(argv)
    if not _TOKEN_RE.match(args.token):
        parser.error("a bot token looks like 123456:ABC-def")
    fake = FakeTelegramAPI(args.token, host=args.host, port=args.port, history=args.history)
    apply_cli(fake, args)
    asyncio.run(fake.serve_until_stopped())


if __name__ == "__main__":
    main()
