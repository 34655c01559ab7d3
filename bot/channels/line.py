"""LINE adapter: signature check, webhook parsing and rendering with line-bot-sdk v3's async clients."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from aiohttp import ClientSession, web
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexFiller,
    FlexMessage,
    FlexText,
    ImageMessage,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
    URIAction,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhooks import (
    Event,
    FileMessageContent,
    FollowEvent,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from bot.channels import webhook_body
from bot.channels.base import UNKNOWN, UNLIMITED, Allowance, DeliveryError, DownloadError, FileTooLarge
from bot.channels.proxies import env_proxy
from bot.channels.webhook_body import BadBody, Intake
from bot.events import Action, Button, Capabilities, FileRef, Incoming, Reply
from bot.file_links import DOCUMENT_LIFETIME_SECONDS, FileLinks
from bot.ingest import Ingest
from bot.metrics import Metrics
from config.settings import LINE_PUBLIC_API, LINE_PUBLIC_DATA_API, Settings
from config.texts import t
from storage.inbox import NewEvent

logger = logging.getLogger(__name__)

MAX_MESSAGES_PER_CALL = 5
TEXT_LIMIT = 5000
ALT_TEXT_LIMIT = 400
QUICK_LABEL_LIMIT = 20
FLEX_LABEL_LIMIT = 40
QUICK_ITEMS_LIMIT = 13
# LINE's 429 body once the month's message allowance is used; other 429s are the rate limit.
MONTHLY_LIMIT = "You have reached your monthly limit."
READ_AT_INTAKE_KEPT = 16384  # events read at intake, kept for its processor: half a minute at 500/s
MAX_ID_CHARS = 100  # webhookEventId is a 26-character ULID, userId 33 characters; columns hold 160
MULTICAST_MAX_USERS = 500
RENDERED_KEPT = 512  # distinct replies kept rendered (answers are few, and repeat)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


class LineChannel:
    """The LINE Messaging API, reached through the official SDK."""

    name = "line"
    capabilities = Capabilities(
        edit=False, files="none", max_buttons=QUICK_ITEMS_LIMIT, max_text=TEXT_LIMIT,
        messages_per_request=MAX_MESSAGES_PER_CALL,
    )

    def __init__(self, settings: Settings, links: FileLinks | None = None) -> None:
        assert settings.line_channel_secret and settings.line_channel_access_token
        self.settings = settings
        self.links = links
        base = (settings.public_base_url or "").rstrip("/")
        # LINE fetches images itself and only over https.
        self.image_base = base if base.startswith("https://") else None
        self.secret = settings.line_channel_secret.encode("utf-8")
        self.timeout = settings.http_timeout_seconds
        self.reply_ttl = settings.line_reply_token_ttl_seconds
        # Configuration.host, when set, replaces the host of *every* operation, content
        # downloads included, so the messaging and blob clients get their own configs,
        # and host stays unset when the public defaults are in use.
        self._api_client = _client(settings, settings.line_api_base_url, LINE_PUBLIC_API)
        self._blob_client = _client(settings, settings.line_data_api_base_url, LINE_PUBLIC_DATA_API)
        self.api = AsyncMessagingApi(self._api_client)
        self.blob = AsyncMessagingApiBlob(self._blob_client)
        self._limit_logged = ""  # the month whose limit was logged: once per process and month, not per push
        # Events this process read at intake, by (event id, time), for its own processor to take
        # instead of reading the stored copy again (the SDK's models are a third of intake's cost).
        self._read_at_intake: OrderedDict[tuple[str, float], Incoming] = OrderedDict()

    # --- webhook ---------------------------------------------------------------

    def verify(self, body: bytes, signature: str | None) -> bool:
        """HMAC-SHA256 of the raw body with the channel secret, compared in constant time."""
        if not signature:
            return False
        # Over the raw bytes: the SDK's validator takes text, which would refuse a
        # correctly signed body that is not UTF-8 as if it were forged.
        digest = hmac.new(self.secret, body, hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest), signature.encode("utf-8", "replace"))

    def parse_webhook(self, body: bytes, received_at: float) -> Intake:
        """Split a verified body into events to store, each checked on its own.

        A body that is not a LINE callback at all raises BadBody; an event the SDK or
        `to_incoming` cannot read is dropped (its reason counted) and the rest of the
        batch is kept. Events this bot ignores anyway (groups, rooms) are not stored.
        """
        payload = webhook_body.loads(body)
        if not isinstance(payload, dict):
            raise BadBody("not_object")
        raw_events = payload.get("events")
        if not isinstance(raw_events, list):
            raise BadBody("no_event_list")
        destination = payload.get("destination")
        if not isinstance(destination, str) or webhook_body.string_problem(destination):
            raise BadBody("bad_destination")
        intake = Intake()
        for raw in raw_events:
            try:
                event = self._intake_event(raw, received_at)
            except BadBody as exc:
                intake.refused[exc.reason] += 1
                continue
            if event is None:
                intake.ignored += 1
            else:
                intake.events.append(event)
        return intake

    def _intake_event(self, raw: Any, received_at: float) -> NewEvent | None:
        if not isinstance(raw, dict):
            raise BadBody("event_not_object")
        webhook_body.check(raw)
        event_id = raw.get("webhookEventId")
        if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID_CHARS:
            raise BadBody("bad_event_id")
        try:
            incoming = self._read(raw, received_at)
        except Exception as exc:  # the SDK's models refuse it, whatever the error class
            raise BadBody(f"unreadable:{type(exc).__name__}") from None
        if incoming is None:
            return None
        if len(incoming.user) > MAX_ID_CHARS:
            raise BadBody("bad_user_id")
        self._read_at_intake[(incoming.event_id, received_at)] = incoming
        while len(self._read_at_intake) > READ_AT_INTAKE_KEPT:
            self._read_at_intake.popitem(last=False)  # its event is handled by another process, or later
        return NewEvent(
            event_id=f"line:{event_id}",
            channel="line",
            user_key=f"line:{incoming.user}",
            payload=raw,
            received_at=received_at,
        )

    def to_incoming(self, payload: dict[str, Any], received_at: float) -> Incoming | None:
        """A stored raw LINE event as a neutral event; anything unreadable is ignored (None).

        Rows stored before intake checked events may hold anything, so this never raises.
        """
        event_id = payload.get("webhookEventId") if isinstance(payload, dict) else None
        read = self._read_at_intake.pop((f"line:{event_id}", received_at), None)
        if read is not None:
            return read  # the same stored bytes, read by this process when they came in
        try:
            return self._read(payload, received_at)
        except Exception as exc:
            logger.warning("stored LINE event unreadable, ignored: %s", type(exc).__name__)
            return None

    def _read(self, payload: dict[str, Any], received_at: float) -> Incoming | None:
        """The conversion itself; only 1:1 chats with users are handled, errors propagate."""
        event = Event.from_dict(payload)
        source = getattr(event, "source", None)
        if not isinstance(source, UserSource) or not source.user_id:
            return None
        base: dict[str, Any] = {
            "event_id": f"line:{event.webhook_event_id}",
            "channel": "line",
            "user": source.user_id,
            "chat": source.user_id,
            "reply_token": getattr(event, "reply_token", None),
            "received_at": received_at,
        }
        if isinstance(event, MessageEvent):
            message = event.message
            if isinstance(message, TextMessageContent):
                return Incoming(kind="text", text=message.text, **base)
            if isinstance(message, ImageMessageContent):
                return Incoming(kind="file", file=FileRef(message.id, "image", mime="image/jpeg"), **base)
            if isinstance(message, FileMessageContent):
                ref = FileRef(message.id, "file", name=message.file_name, size=message.file_size)
                return Incoming(kind="file", file=ref, **base)
            return Incoming(kind="other", **base)
        if isinstance(event, PostbackEvent):
            return Incoming(kind="action", action=Action.decode(event.postback.data), **base)
        if isinstance(event, FollowEvent):
            return Incoming(kind="follow", **base)
        if isinstance(event, UnfollowEvent):
            return Incoming(kind="unfollow", **base)
        return None

    def acknowledgement(self, event: Incoming) -> None:
        """Nothing to acknowledge on LINE (postbacks need no answer)."""
        return None

    async def download(self, ref: FileRef, max_bytes: int) -> bytes:
        """Fetch message content from the data API host."""
        try:
            data = await self.blob.get_message_content(ref.file_id, _request_timeout=self.timeout)
        except ApiException as exc:
            raise DownloadError(f"LINE content {exc.status}") from exc
        except Exception as exc:
            raise DownloadError(type(exc).__name__) from exc
        if len(data) > max_bytes:
            raise FileTooLarge(str(len(data)))
        return bytes(data)

    # --- sending -----------------------------------------------------------------

    async def deliver(
        self,
        chat: str,
        replies: list[Reply],
        reply_token: str | None,
        reply_token_at: float | None,
        key: str,
    ) -> list[str]:
        """Reply with the token while it is fresh (free), push the rest (counts against quota).

        LINE cannot edit sent messages, so an edit is sent as a new message.
        """
        messages = self.messages(replies)
        batches = [
            messages[i : i + MAX_MESSAGES_PER_CALL]
            for i in range(0, len(messages), MAX_MESSAGES_PER_CALL)
        ]
        fresh = reply_token and reply_token_at and time.time() - reply_token_at < self.reply_ttl
        for index, batch in enumerate(batches):
            if index == 0 and fresh:
                try:
                    await self._send("/v2/bot/message/reply", {"replyToken": reply_token, "messages": batch})
                    continue
                except ApiException as exc:
                    if exc.status != 400:
                        raise DeliveryError(f"LINE reply {exc.status}") from exc
                    logger.info("reply token rejected, pushing instead")
                except Exception as exc:
                    raise DeliveryError(f"LINE reply {type(exc).__name__}") from exc
            await self._push(chat, batch, f"{key}:{index}")
        return []

    def messages(self, replies: list[Reply]) -> list[dict[str, Any]]:
        """The LINE messages of some replies as the API's JSON, pictures and document pictures first.

        Built with the SDK's models, which validate them. Raises a permanent DeliveryError when
        they refuse one: retrying cannot help.
        """
        try:
            messages: list[dict[str, Any]] = []
            for reply in replies:
                if not reply.image and not reply.document:
                    messages.append(_rendered(reply))
                    continue
                if reply.image and self.links and self.image_base:
                    url = self.image_base + self.links.path(reply.image)
                    messages.append(ImageMessage(originalContentUrl=url, previewImageUrl=url).to_dict())
                document_url = None
                if reply.document and self.links and self.image_base:
                    document_url = self.image_base + self.links.path(reply.document, lifetime=DOCUMENT_LIFETIME_SECONDS)
                    if _is_image(reply.file_name):
                        messages.append(ImageMessage(originalContentUrl=document_url, previewImageUrl=document_url).to_dict())
                        document_url = None  # shown already: the card needs no button for it
                elif reply.document:
                    # LINE cannot carry files and has nothing to link to: say where to find it.
                    note = t("attachment.elsewhere", name=reply.file_name or "")
                    reply = replace(reply, text=f"{reply.text}\n\n{note}" if reply.text.strip() else note)
                messages.append(render(reply, document_url).to_dict())
        except ValueError as exc:
            raise DeliveryError(f"LINE message invalid: {type(exc).__name__}", permanent=True) from exc
        return messages

    async def multicast(self, chats: list[str], replies: list[Reply], key: str) -> None:
        """Send the same replies to up to 500 LINE users in ONE request (a notice's broadcast).

        `key` names the request (the outbox rows' request_key): its retry key is the same on
        every attempt, so a retry of a request LINE already accepted is answered 409 and
        counted as sent, never delivered twice.
        """
        if not chats or len(chats) > MULTICAST_MAX_USERS:
            raise ValueError(f"a multicast goes to 1-{MULTICAST_MAX_USERS} users, got {len(chats)}")
        messages = self.messages(replies)
        if len(messages) > MAX_MESSAGES_PER_CALL:
            raise ValueError(f"a multicast carries at most {MAX_MESSAGES_PER_CALL} messages, got {len(messages)}")
        retry_key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"multicast:{key}"))
        await self._send_keyed("multicast", {"to": chats, "messages": messages}, retry_key)

    def _refusal(self, exc: ApiException, what: str) -> DeliveryError | None:
        """What an API error means for a send: None for 409 (already accepted), else the DeliveryError."""
        if exc.status == 409:
            return None
        if self._monthly_limit(exc):
            # Failed for good rather than parked: a reminder or notice sent next month
            # would be stale, and the planning already kept reminders within the allowance.
            return DeliveryError("LINE monthly limit", permanent=True)
        if exc.status == 429:
            return DeliveryError(f"LINE {what} 429", retry_after=_retry_after(exc))
        permanent = exc.status in (400, 403, 404)
        return DeliveryError(f"LINE {what} {exc.status}", permanent=permanent)

    async def _push(self, chat: str, batch: list[Any], key: str) -> None:
        # The same retry key on every attempt makes a retried push idempotent on LINE's side.
        retry_key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"outbox:{key}"))
        await self._send_keyed("push", {"to": chat, "messages": batch}, retry_key)

    async def _send_keyed(self, what: str, body: dict[str, Any], retry_key: str) -> None:
        """A push or multicast under a retry key, its failures as DeliveryErrors (409: already accepted)."""
        try:
            await self._send(f"/v2/bot/message/{what}", body, retry_key)
        except ApiException as exc:
            error = self._refusal(exc, what)  # None: already accepted under this retry key
            if error is not None:
                raise error from exc
        except Exception as exc:  # timeouts and dropped connections: the retry key makes a retry safe
            raise DeliveryError(f"LINE {what} {type(exc).__name__}") from exc

    async def _send(self, path: str, body: dict[str, Any], retry_key: str | None = None) -> None:
        """POST a send request through the SDK's client; raises its ApiException on a refusal.

        The messages are the SDK's models, validated when rendered; the generated
        `reply_message` / `push_message` / `multicast` would validate the request again
        (copying every message), then parse a response nobody reads. At an acknowledgement
        storm's hundreds of sends a second that was a third of delivering, so the send
        goes to the same client's `call_api`, as those methods do, without either.
        """
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if retry_key is not None:
            headers["X-Line-Retry-Key"] = retry_key
        await self._api_client.call_api(
            path, "POST", {}, [], headers, body=body, post_params=[], files={}, response_types_map={},
            auth_settings=["Bearer"], _return_http_data_only=True, _request_timeout=self.timeout,
            _host=LINE_PUBLIC_API, collection_formats={},
        )

    async def allowance(self) -> Allowance:
        """What is left of this month's push allowance: the quota minus what was used.

        A failure to ask (5xx, timeout) is logged and answered UNKNOWN, which holds
        nothing back: a sweep must not stop because the quota endpoint is down.
        """
        try:
            quota = await self.api.get_message_quota(_request_timeout=self.timeout)
            if quota.type != "limited" or quota.value is None:
                return UNLIMITED
            used = await self.api.get_message_quota_consumption(_request_timeout=self.timeout)
        except ApiException as exc:
            logger.warning("LINE message allowance unreadable (HTTP %s): sending as if unlimited", exc.status)
            return UNKNOWN
        except Exception as exc:
            logger.warning("LINE message allowance unreadable (%s): sending as if unlimited", type(exc).__name__)
            return UNKNOWN
        return Allowance(max(0, quota.value - used.total_usage))

    def _monthly_limit(self, exc: ApiException) -> bool:
        """Whether a 429 is the month's allowance running out (retrying cannot help until it is raised)."""
        if exc.status != 429:
            return False
        try:
            message = json.loads(exc.body or "{}").get("message", "")
        except (ValueError, AttributeError):
            return False
        if message != MONTHLY_LIMIT:
            return False
        month = time.strftime("%Y-%m")
        if self._limit_logged != month:
            self._limit_logged = month
            logger.error("LINE monthly message limit reached: pushes fail until the plan is raised or the month turns")
        return True

    async def close(self) -> None:
        """Close both HTTP clients."""
        await self._api_client.close()
        await self._blob_client.close()


def _client(settings: Settings, base_url: str, public: str) -> AsyncApiClient:
    """The SDK's client, with the environment's proxy settings read once instead of at every request.

    The SDK opens its aiohttp session with `trust_env=True`, which makes aiohttp read `~/.netrc`
    and the proxy variables, each in a worker thread, before every request: at an acknowledgement
    storm's hundreds of replies a second that was a tenth of the process's CPU. The proxy the
    environment names for the API host is looked up here instead (netrc credentials mean nothing
    to a Bearer-token API), and the SDK's session is swapped for one that does not look again.
    """
    host = base_url.rstrip("/")
    configuration = Configuration(
        access_token=settings.line_channel_access_token, host=None if host == public else host
    )
    configuration.proxy = env_proxy(host)
    client = AsyncApiClient(configuration)
    rest = client.rest_client
    connector = rest.pool_manager.connector
    rest.pool_manager.detach()  # hands its connector (pool and TLS settings) to the new session
    rest.pool_manager = ClientSession(connector=connector, trust_env=False)
    return client


def _is_image(file_name: str | None) -> bool:
    return (file_name or "").lower().endswith(IMAGE_SUFFIXES)


def _retry_after(exc: ApiException) -> float | None:
    """Seconds from a Retry-After header, when LINE sent one."""
    value = (exc.headers or {}).get("Retry-After") if hasattr(exc, "headers") else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _postback(button: Button, label_limit: int) -> PostbackAction:
    return PostbackAction(
        label=button.label[:label_limit],
        data=button.action.encode(),
        displayText=button.label[:300],
    )


def _quick(buttons: tuple[Button, ...]) -> QuickReply | None:
    if not buttons:
        return None
    return QuickReply(
        items=[
            QuickReplyItem(action=_postback(b, QUICK_LABEL_LIMIT)) for b in buttons[:QUICK_ITEMS_LIMIT]
        ]
    )


def _progress_bar(fraction: float) -> FlexBox:
    """A filled bar: a grey track with a green box of the done share inside."""
    percent = max(1, min(100, round(fraction * 100)))
    return FlexBox(
        layout="vertical",
        backgroundColor="#E6E6E6",
        height="10px",
        cornerRadius="5px",
        contents=[
            FlexBox(
                layout="vertical",
                backgroundColor="#06C755" if percent >= 100 else "#F5A623",
                width=f"{percent}%",
                height="10px",
                cornerRadius="5px",
                contents=[FlexFiller()],
            )
        ],
    )


@functools.lru_cache(maxsize=RENDERED_KEPT)
def _rendered(reply: Reply) -> dict[str, Any]:
    """A reply without pictures or documents as LINE's JSON, built once and shared (never changed).

    An acknowledgement storm sends the same answer to thousands of people: building and
    serialising the SDK's models for each was a tenth of a worker's time.
    """
    return render(reply).to_dict()


def render(reply: Reply, document_url: str | None = None) -> Any:
    """A neutral reply as a LINE message: text, or a Flex bubble when it has buttons, a title or a document.

    `document_url` (a signed https link to the reply's document) becomes a button that opens it.
    """
    if not reply.buttons and not reply.title and reply.progress is None and document_url is None:
        return TextMessage(text=reply.text[:TEXT_LIMIT], quickReply=_quick(reply.quick))
    body: list[Any] = []
    if reply.title:
        body.append(FlexText(text=reply.title, weight="bold", size="lg", wrap=True))
    if reply.progress is not None:
        body.append(_progress_bar(reply.progress))
    if reply.text.strip():  # LINE refuses an empty flex text
        body.append(FlexText(text=reply.text[:2000], wrap=True, size="md"))
    actions: list[Any] = [_postback(b, FLEX_LABEL_LIMIT) for b in reply.buttons]
    if document_url is not None:
        actions.insert(0, URIAction(label=t("attachment.open")[:FLEX_LABEL_LIMIT], uri=document_url))
    footer = (
        FlexBox(
            layout="vertical",
            spacing="sm",
            contents=[
                FlexButton(action=action, style="primary" if i == 0 else "secondary", height="sm")
                for i, action in enumerate(actions)
            ],
        )
        if actions
        else None
    )
    bubble = FlexBubble(body=FlexBox(layout="vertical", spacing="md", contents=body), footer=footer)
    alt = (reply.title + ": " if reply.title else "") + reply.text
    return FlexMessage(altText=alt[:ALT_TEXT_LIMIT], contents=bubble, quickReply=_quick(reply.quick))


class LineWebhook:
    """POST /webhook/line: read at most WEBHOOK_MAX_BYTES, verify, store durably, answer 200.

    A signed body the service cannot use is answered 200 too, at once and storing
    nothing: LINE redelivers on any other status, and the same bytes cannot become
    usable. The log line holds sizes and reason labels only, never the body.
    """

    def __init__(self, channel: LineChannel | None, ingest: Ingest, metrics: Metrics) -> None:
        self.channel = channel  # None while LINE is not configured
        self.ingest = ingest
        self.metrics = metrics

    async def __call__(self, request: web.Request) -> web.Response:
        """Handle one webhook request."""
        channel = self.channel
        metrics = self.metrics
        started = time.perf_counter()
        if channel is None:
            metrics.webhooks.labels("line", "off").inc()
            return web.Response(status=404, text="LINE is not configured")
        limit = channel.settings.webhook_max_bytes
        body = await webhook_body.read_capped(request, limit)
        if body is None:
            return webhook_body.too_large("line", limit, metrics)
        if not channel.verify(body, request.headers.get("X-Line-Signature")):
            metrics.webhooks.labels("line", "bad_signature").inc()
            logger.warning("LINE webhook with a bad or missing signature refused")
            return web.Response(status=401, text="invalid signature")
        try:
            if not webhook_body.is_json(request):
                raise BadBody("content_type")
            intake = channel.parse_webhook(body, time.time())
        except BadBody as exc:
            return webhook_body.unusable("line", exc.reason, len(body), metrics)
        if intake.refused:
            for reason, count in intake.refused.items():
                metrics.webhook_bad_events.labels("line", reason).inc(count)
            logger.warning(
                "signed LINE webhook: %d events dropped (%s), %d kept",
                sum(intake.refused.values()), ", ".join(sorted(intake.refused)), len(intake.events),
            )
        await self.ingest.store(intake.events)
        return webhook_body.accepted("line", started, metrics)
