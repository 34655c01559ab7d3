"""Telegram adapter: secret-token check, Update parsing and rendering with python-telegram-bot 22.

PTB is used only as a typed Bot API client plus `Update.de_json`; its
ConversationHandler and JobQueue are Telegram-only, so shared logic lives in handlers/.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import ssl
import time
import warnings
from collections.abc import Awaitable, Sequence
from typing import Any

import certifi
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.channels import webhook_body
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.base import DeliveryError, DownloadError, FileTooLarge
from bot.channels.telegram_shape import shape_problem
from bot.channels.webhook_body import BadBody
from bot.events import Action, Button, Capabilities, FileRef, Incoming, Reply
from bot.ingest import Ingest
from bot.metrics import Metrics
from config.settings import Settings
from storage.files import FileStore
from storage.inbox import NewEvent

logger = logging.getLogger(__name__)

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # Bot API getFile refuses larger files
TEXT_LIMIT = 4096
MAX_BUTTONS = 100  # inline keyboard buttons; the Bot API documents no lower limit
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
IMAGE_MIME_PREFIX = "image/"
CAPTION_LIMIT = 1024


class TelegramChannel:
    """The Telegram Bot API, reached through python-telegram-bot."""

    name = "telegram"
    capabilities = Capabilities(
        edit=True, files="send", max_buttons=MAX_BUTTONS, max_text=TEXT_LIMIT, messages_per_request=1
    )

    def __init__(self, settings: Settings, files: FileStore | None = None) -> None:
        assert settings.telegram_bot_token
        self.settings = settings
        self.files = files
        timeout = settings.http_timeout_seconds
        self.bot = Bot(
            settings.telegram_bot_token,
            base_url=settings.telegram_bot_url,
            base_file_url=settings.telegram_file_url,
            request=AiohttpRequest(
                connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, ssl_context=_tls_context()
            ),
            get_updates_request=HTTPXRequest(
                read_timeout=timeout + 30, connect_timeout=timeout, httpx_kwargs={"verify": _tls_context()}
            ),
        )
        self._polling: asyncio.Task[None] | None = None
        # A notice's document is uploaded once per process, then sent by the file_id Telegram gave
        # back; the lock per sha256 makes 30 concurrent first sends wait for one upload.
        self._file_ids: dict[str, str] = {}
        self._upload_locks: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        """Initialise the client (getMe); a failure is logged, the next call retries."""
        try:
            await asyncio.wait_for(self.bot.initialize(), timeout=self.settings.http_timeout_seconds)
        except Exception as exc:
            logger.warning("Telegram getMe failed at start-up: %s", type(exc).__name__)

    # --- webhook -------------------------------------------------------------------

    def verify(self, secret: str | None) -> bool:
        """Compare the secret-token header in constant time; no configured secret refuses all."""
        expected = self.settings.telegram_webhook_secret
        if not expected or not secret:
            return False
        return hmac.compare_digest(secret.encode(), expected.encode())

    def parse_update(self, body: bytes, received_at: float) -> NewEvent | None:
        """A verified body as one event to store, keyed by update_id; None when it is ignored.

        Raises BadBody when the update cannot be used: not JSON, an `update_id` that is
        not a plain positive int, a field of the wrong type, or a shape PTB cannot read.
        """
        raw = webhook_body.loads(body)
        if not isinstance(raw, dict):
            raise BadBody("not_object")
        webhook_body.check(raw)
        reason = shape_problem(raw)
        if reason:
            raise BadBody(reason)
        try:
            incoming = self._read(raw, received_at)
        except Exception as exc:  # PTB trusts its input; whatever it raises means unusable
            raise BadBody(f"unreadable:{type(exc).__name__}") from None
        if incoming is None:
            return None
        return NewEvent(
            event_id=f"telegram:{raw['update_id']}",
            channel="telegram",
            user_key=f"telegram:{incoming.user}",
            payload=raw,
            received_at=received_at,
        )

    def to_incoming(self, payload: dict[str, Any], received_at: float) -> Incoming | None:
        """A stored Update as a neutral event; anything unreadable is ignored (None).

        Rows stored before intake checked updates may hold anything, so this never raises.
        """
        try:
            return self._read(payload, received_at)
        except Exception as exc:
            logger.warning("stored Telegram update unreadable, ignored: %s", type(exc).__name__)
            return None

    def _read(self, payload: dict[str, Any], received_at: float) -> Incoming | None:
        """The conversion itself; only private chats are handled, errors propagate."""
        update = Update.de_json(payload, self.bot)
        base: dict[str, Any] = {"event_id": f"telegram:{update.update_id}", "channel": "telegram", "received_at": received_at}
        if update.callback_query and update.callback_query.from_user:
            query = update.callback_query
            chat = query.message.chat.id if query.message else query.from_user.id
            return Incoming(
                kind="action",
                user=_id(query.from_user.id),
                chat=_id(chat),
                action=Action.decode(query.data or ""),
                reply_token=query.id,  # used only to answer the callback query
                **base,
            )
        message = update.message
        if message is None or message.from_user is None or message.chat.type != "private":
            return None
        base |= {"user": _id(message.from_user.id), "chat": _id(message.chat.id)}
        if message.text is not None:
            return Incoming(kind="text", text=message.text, **base)
        if message.photo:
            largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
            ref = FileRef(largest.file_id, "image", mime="image/jpeg", size=largest.file_size)
            return Incoming(kind="file", file=ref, text=message.caption, **base)
        if message.document:
            doc = message.document
            kind = "image" if (doc.mime_type or "").startswith(IMAGE_MIME_PREFIX) else "file"
            ref = FileRef(doc.file_id, kind, name=doc.file_name, mime=doc.mime_type, size=doc.file_size)
            return Incoming(kind="file", file=ref, text=message.caption, **base)
        return Incoming(kind="other", **base)

    def acknowledgement(self, event: Incoming) -> Awaitable[None] | None:
        """Stop a pressed button's loading spinner."""
        if event.kind == "action" and event.reply_token:
            return self._answer_callback(event.reply_token)
        return None

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:  # an old query id: harmless
            logger.info("answerCallbackQuery failed: %s", type(exc).__name__)

    async def download(self, ref: FileRef, max_bytes: int) -> bytes:
        """getFile then download; the Bot API serves at most 20 MB."""
        limit = min(max_bytes, TELEGRAM_DOWNLOAD_LIMIT)
        if ref.size is not None and ref.size > limit:
            raise FileTooLarge(str(ref.size))
        try:
            tg_file = await self.bot.get_file(ref.file_id)
            if tg_file.file_size and tg_file.file_size > limit:
                raise FileTooLarge(str(tg_file.file_size))
            data = await tg_file.download_as_bytearray()
        except FileTooLarge:
            raise
        except BadRequest as exc:
            if "too big" in str(exc).lower():
                raise FileTooLarge("telegram") from exc
            raise DownloadError("Telegram BadRequest") from exc
        except TelegramError as exc:
            raise DownloadError(type(exc).__name__) from exc
        if len(data) > limit:
            raise FileTooLarge(str(len(data)))
        return bytes(data)

    # --- sending -------------------------------------------------------------------

    async def deliver(
        self,
        chat: str,
        replies: list[Reply],
        reply_token: str | None,
        reply_token_at: float | None,
        key: str,
    ) -> list[str]:
        """Send each reply as a message, buttons as an inline keyboard; edits replace earlier messages."""
        sent: list[str] = []
        for reply in replies:
            text = (f"{reply.title}\n\n{reply.text}" if reply.title else reply.text)[:TEXT_LIMIT]
            markup = keyboard(reply.buttons + reply.quick)
            try:
                if reply.edit_target:
                    await self._edit(chat, reply.edit_target, text, markup)
                    sent.append(reply.edit_target)  # one id per reply, so later edits find theirs by position
                    continue
                if reply.image and self.files:
                    # The picture goes first, the text with its buttons after it, so the
                    # text message is the one later edits replace.
                    photo = await self.files.read(reply.image)
                    await self.bot.send_photo(chat_id=int(chat), photo=photo)
                if reply.document and self.files:
                    message = await self._send_document(chat, reply, text[:CAPTION_LIMIT], markup)
                elif reply.file_path:
                    with open(reply.file_path, "rb") as fh:
                        message = await self.bot.send_document(
                            chat_id=int(chat),
                            document=InputFile(fh, filename=reply.file_name),
                            caption=text[:1024],
                            reply_markup=markup,
                        )
                else:
                    message = await self.bot.send_message(chat_id=int(chat), text=text, reply_markup=markup)
                sent.append(str(message.message_id))
            except RetryAfter as exc:  # flood control: Telegram says how long to wait
                raise DeliveryError("Telegram 429", retry_after=_wait_of(exc)) from exc
            except Forbidden as exc:  # the user blocked the bot
                raise DeliveryError("Telegram forbidden", unreachable=True) from exc
            except BadRequest as exc:
                raise DeliveryError(f"Telegram bad request: {exc.message[:80]}", permanent=True) from exc
            except (TimedOut, NetworkError) as exc:  # 5xx arrive as NetworkError too
                raise DeliveryError(f"Telegram {type(exc).__name__}") from exc
        return sent

    async def _send_document(
        self, chat: str, reply: Reply, caption: str, markup: InlineKeyboardMarkup | None
    ) -> Any:
        """Send a stored document: uploaded the first time, by Telegram's file_id after."""
        assert reply.document and self.files
        sha = reply.document
        cached = self._file_ids.get(sha)
        if cached is not None:
            try:
                return await self.bot.send_document(
                    chat_id=int(chat), document=cached, caption=caption, reply_markup=markup
                )
            except BadRequest:
                # Telegram no longer knows the file_id: upload it again, once.
                logger.info("cached Telegram file_id refused, uploading the document again")
                self._file_ids.pop(sha, None)
        lock = self._upload_locks.setdefault(sha, asyncio.Lock())
        async with lock:
            cached = self._file_ids.get(sha)
            if cached is not None:  # another send uploaded it while we waited
                return await self.bot.send_document(
                    chat_id=int(chat), document=cached, caption=caption, reply_markup=markup
                )
            data = await self.files.read(sha)
            message = await self.bot.send_document(
                chat_id=int(chat),
                document=InputFile(data, filename=reply.file_name or "document"),
                caption=caption,
                reply_markup=markup,
            )
            if message.document is not None:
                self._file_ids[sha] = message.document.file_id
            return message

    async def _edit(self, chat: str, message_id: str, text: str, markup: InlineKeyboardMarkup | None) -> None:
        try:
            await self.bot.edit_message_text(
                chat_id=int(chat), message_id=int(message_id), text=text, reply_markup=markup
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():  # the same text twice is fine
                raise

    async def set_webhook(self, public_base_url: str) -> None:
        """Register the webhook URL with the secret token (command menus: `TelegramMenus`)."""
        await self.bot.set_webhook(
            url=public_base_url.rstrip("/") + "/webhook/telegram",
            secret_token=self.settings.telegram_webhook_secret,
            allowed_updates=["message", "callback_query"],
        )

    async def set_commands(self, commands: Sequence[tuple[str, str]], chat_id: str | None = None) -> None:
        """Set a command menu of (word, Thai description): everyone's default, or one private chat's."""
        scope = BotCommandScopeChat(int(chat_id)) if chat_id is not None else BotCommandScopeDefault()
        await self.bot.set_my_commands([BotCommand(word, label) for word, label in commands], scope=scope)

    def start_polling(self, on_update: Any) -> None:
        """Development: fetch updates with getUpdates instead of a webhook."""
        self._polling = asyncio.create_task(self._poll(on_update), name="telegram-polling")

    async def _poll(self, on_update: Any) -> None:
        await self.bot.delete_webhook()
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=25)
            except TelegramError as exc:
                logger.warning("getUpdates failed: %s", type(exc).__name__)
                await asyncio.sleep(3)
                continue
            for update in updates:
                offset = update.update_id + 1
                await on_update(
                    NewEvent(
                        event_id=f"telegram:{update.update_id}",
                        channel="telegram",
                        user_key=f"telegram:{_sender_id(update.to_dict())}",
                        payload=update.to_dict(),
                        received_at=time.time(),
                    )
                )

    async def close(self) -> None:
        """Stop polling and close the HTTP client."""
        if self._polling:
            self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
        try:
            await self.bot.shutdown()
        except Exception:
            pass


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for the process: reading the CA bundle costs tens of milliseconds a client."""
    return ssl.create_default_context(cafile=certifi.where())


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One button per row: Thai labels are long on a phone screen."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action.encode())] for b in buttons]
    )


def _wait_of(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait: PTB 22 gives an int (with a warning), later ones a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


def _id(value: Any) -> str:
    """A chat or user id as text; PTB passes through whatever the JSON held, so check it."""
    if type(value) is not int:
        raise TypeError("id is not an int")
    return str(value)


def _sender_id(raw: dict[str, Any]) -> str:
    for key in ("message", "edited_message", "callback_query"):
        sender = (raw.get(key) or {}).get("from") or {}
        if "id" in sender:
            return str(sender["id"])
    return ""


class TelegramWebhook:
    """POST /webhook/telegram: check the secret token, read at most WEBHOOK_MAX_BYTES, store, answer 200.

    An update with the right secret that the service cannot use is answered 200 too,
    at once and storing nothing: Telegram retries any other status for a long while,
    holding back the chat's later updates, and the same bytes cannot become usable.
    The log line holds sizes and reason labels only, never the body.
    """

    def __init__(self, channel: TelegramChannel | None, ingest: Ingest, metrics: Metrics) -> None:
        self.channel = channel  # None while Telegram is not configured
        self.ingest = ingest
        self.metrics = metrics

    async def __call__(self, request: web.Request) -> web.Response:
        """Handle one webhook request."""
        channel = self.channel
        metrics = self.metrics
        started = time.perf_counter()
        if channel is None:
            metrics.webhooks.labels("telegram", "off").inc()
            return web.Response(status=404, text="Telegram is not configured")
        if not channel.verify(request.headers.get(SECRET_HEADER)):
            metrics.webhooks.labels("telegram", "bad_secret").inc()
            logger.warning("Telegram webhook with a bad or missing secret token refused")
            return web.Response(status=403, text="forbidden")
        limit = channel.settings.webhook_max_bytes
        body = await webhook_body.read_capped(request, limit)
        if body is None:
            return webhook_body.too_large("telegram", limit, metrics)
        try:
            if not webhook_body.is_json(request):
                raise BadBody("content_type")
            event = channel.parse_update(body, time.time())
        except BadBody as exc:
            return webhook_body.unusable("telegram", exc.reason, len(body), metrics)
        if event is not None:
            await self.ingest.store([event])
        return webhook_body.accepted("telegram", started, metrics)
