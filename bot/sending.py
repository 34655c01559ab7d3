"""The one way to send: collect who gets what, write it as outbox rows, deliver after the commit.

A turn, a scheduled job and a command-line command all send through a `Sending`:
`send_to(staff or chat, reply)` while their transaction runs, `write()` inside it
(one identity query for all staff recipients, then one outbox row per chat and
platform request), and delivery of the written rows once it has committed.

Everything one chat gets from one sending is one row, delivered in order: on
LINE, up to five messages go out in one request (the reply token while it is
fresh, else one push), and a push counts against the agency's monthly message
allowance once per request and recipient, however many of its bubbles are used.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from bot.channels.base import UNLIMITED, Allowance
from bot.events import Capabilities, Reply
from storage import outbox, people
from storage.models import OutboxMessage, Staff

if TYPE_CHECKING:
    from bot.delivery import Delivery

logger = logging.getLogger(__name__)

# A channel that is not configured in this process: promise nothing beyond plain text.
# From this many chats a job's messages are written in bulk inserts (a reminder sweep: one row per person).
BULK_FROM = 50
PLAIN = Capabilities(edit=False, files="none", max_buttons=3, max_text=2000, messages_per_request=1)


@dataclass(frozen=True, slots=True)
class Chat:
    """One chat on one channel: where a message to a person (or a stranger) goes."""

    channel: str
    chat: str


# Asks a platform what is left of this month's message allowance (LINE's quota endpoints).
AllowanceOf = Callable[[], Awaitable[Allowance]]

# Called once a reply's row exists: (chat, outbox id, position of the reply in that row).
Written = Callable[[Chat, int, int], Awaitable[None]]


@dataclass(slots=True)
class _Item:
    reply: Reply
    written: Written | None


class Sending:
    """What one turn, job run or command sends, written as outbox rows inside its transaction."""

    def __init__(
        self,
        capabilities: Mapping[str, Capabilities],
        *,
        source_event: str | None = None,
        reply_chat: Chat | None = None,
        reply_token: str | None = None,
        reply_token_at: float | None = None,
        allowances: Mapping[str, AllowanceOf] | None = None,
        leased: bool = False,
    ) -> None:
        self.capabilities = capabilities
        self.allowances = allowances or {}
        # A turn's rows are written leased to this process and delivered from `rows` after the commit.
        self.leased = leased
        self.rows: list[OutboxMessage] = []
        self.source_event = source_event
        self.reply_chat = reply_chat  # whose messages may use the reply token
        self.reply_token = reply_token
        self.reply_token_at = reply_token_at
        self._items: list[tuple[Chat | int, _Item]] = []
        self._chats_of: dict[int, list[Chat]] = {}  # staff id -> linked chats, looked up once

    def can(self, channel: str) -> Capabilities:
        """What `channel` can do (edit, files, limits); handlers ask this, never the channel's name."""
        return self.capabilities.get(channel, PLAIN)

    def send_to(
        self,
        recipient: Staff | int | Chat,
        replies: Reply | Sequence[Reply],
        *,
        written: Written | None = None,
    ) -> None:
        """Send to a staff member (every chat they linked) or to one chat.

        `written`, when given, is told where each reply's row is, e.g. to edit it later.
        """
        target = recipient if isinstance(recipient, Chat | int) else recipient.id
        for reply in [replies] if isinstance(replies, Reply) else replies:
            self._items.append((target, _Item(reply, written)))

    async def allowance(self, channel: str) -> Allowance:
        """What is left of `channel`'s monthly message allowance (a broadcast's preview shows it)."""
        ask = self.allowances.get(channel)
        return await ask() if ask is not None else UNLIMITED

    async def linked(self, staff: Iterable[Staff | int]) -> set[int]:
        """Which of these staff members have a chat to send to (looked up once per sending)."""
        ids = [s if isinstance(s, int) else s.id for s in staff]
        await self._look_up(ids)
        return {i for i in ids if self._chats_of.get(i)}

    async def _look_up(self, staff_ids: list[int]) -> None:
        missing = [i for i in dict.fromkeys(staff_ids) if i not in self._chats_of]
        if not missing:
            return
        found = await people.identities_of_many(missing)
        for staff_id in missing:
            self._chats_of[staff_id] = [Chat(i.channel, i.platform_user_id) for i in found.get(staff_id, [])]

    def pending(self, chat: Chat) -> list[Reply]:
        """What is queued for one chat so far, not yet written (benches and checks read it)."""
        return [item.reply for target, item in self._items if target == chat]

    async def write(self) -> list[int]:
        """Write the outbox rows (call inside the transaction); returns their ids, to deliver after the commit."""
        bundles = await self._bundles()
        if len(bundles) >= BULK_FROM and self._bulk_ok(bundles):
            return await self._write_bulk(bundles)
        return [await self._write_row(chat, items) for chat, items in bundles.items()]

    async def _bundles(self) -> dict[Chat, list[_Item]]:
        """What is queued, one list of replies per chat (staff resolved to their chats), and clear the queue."""
        bundles: dict[Chat, list[_Item]] = {}
        if self.reply_chat is not None:
            bundles[self.reply_chat] = []  # the sender's answer goes first, on the reply token
        await self._look_up([target for target, _ in self._items if isinstance(target, int)])
        for target, item in self._items:
            for chat in [target] if isinstance(target, Chat) else self._chats_of[target]:
                bundles.setdefault(chat, []).append(item)
        self._items.clear()
        return {chat: items for chat, items in bundles.items() if items}

    def _row(self, chat: Chat, items: list[_Item], row_id: int | None = None) -> OutboxMessage:
        # One row per chat keeps its messages in order; the adapter sends a row in as few
        # requests as the platform allows (LINE: five messages each, the first on the reply token).
        token = self.reply_token if chat == self.reply_chat else None
        return outbox.build(
            chat.channel,
            chat.chat,
            [item.reply.to_dict() for item in items],
            reply_token=token,
            reply_token_at=self.reply_token_at if token else None,
            source_event=self.source_event,
            leased=self.leased,
            row_id=row_id,
        )

    async def _written(self, chat: Chat, items: list[_Item], row: OutboxMessage) -> None:
        self.rows.append(row)
        for position, item in enumerate(items):
            if item.written is not None:
                await item.written(chat, row.id, position)

    def _bulk_ok(self, bundles: dict[Chat, list[_Item]]) -> bool:
        # A job's sweep: no reply token to place, nobody waiting to hear where a reply went.
        return self.source_event is None and self.reply_token is None and not any(
            item.written for items in bundles.values() for item in items
        )

    async def _write_bulk(self, bundles: dict[Chat, list[_Item]]) -> list[int]:
        rows = [(chat.channel, chat.chat, [item.reply.to_dict() for item in items]) for chat, items in bundles.items()]
        ids = await outbox.add_many(rows, batch=f"batch:{uuid.uuid4().hex}")
        return [ids[(chat.channel, chat.chat)] for chat in bundles]

    async def _write_row(self, chat: Chat, items: list[_Item]) -> int:
        row = self._row(chat, items)
        await outbox.add(row)
        await self._written(chat, items, row)
        return row.id


async def write_together(sendings: Sequence[Sending]) -> None:
    """Write many turns' sendings in one bulk insert (a group of events handled in one transaction).

    Call only where `storage.outbox.reserve_ids` may be: inside a transaction whose first
    statement wrote. Each sending's `rows` and `written` callbacks are as `write` leaves them.
    """
    staged = [(sending, chat, items) for sending in sendings for chat, items in (await sending._bundles()).items()]
    ids = await outbox.reserve_ids(len(staged))
    rows = [sending._row(chat, items, row_id) for (sending, chat, items), row_id in zip(staged, ids, strict=True)]
    await outbox.add_built(rows)
    for (sending, chat, items), row in zip(staged, rows, strict=True):
        await sending._written(chat, items, row)


class Notifier:
    """Hands out `Sending`s and delivers what they wrote; passed to jobs, the OCR runner and commands."""

    def __init__(
        self,
        capabilities: Mapping[str, Capabilities],
        delivery: Delivery,
        *,
        allowances: Mapping[str, AllowanceOf] | None = None,
    ) -> None:
        self.capabilities = capabilities
        self.delivery = delivery
        self.allowances = dict(allowances or {})  # channel -> how to ask what is left this month

    async def allowance(self, channel: str) -> Allowance:
        """What is left of `channel`'s monthly message allowance (UNLIMITED where it has none)."""
        ask = self.allowances.get(channel)
        return await ask() if ask is not None else UNLIMITED

    def sending(
        self,
        *,
        source_event: str | None = None,
        reply_chat: Chat | None = None,
        reply_token: str | None = None,
        reply_token_at: float | None = None,
        leased: bool = False,
    ) -> Sending:
        """A new, empty sending; messages to `reply_chat` may use the reply token.

        `leased`: its rows are written leased to this process, for `deliver_held` after the commit.
        """
        return Sending(
            self.capabilities, source_event=source_event, reply_chat=reply_chat,
            reply_token=reply_token, reply_token_at=reply_token_at, allowances=self.allowances, leased=leased,
        )

    def deliver(self, ids: Iterable[int]) -> None:
        """Deliver committed rows now instead of at the next sweep (a few at a time for a large batch)."""
        self.delivery.send_soon_many(list(ids))

    def deliver_held(self, rows: Sequence[OutboxMessage]) -> None:
        """Deliver committed rows written leased to this process, from memory (no claim round trip)."""
        self.delivery.send_held(list(rows))

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for deliveries in flight (tests, shutdown)."""
        await self.delivery.drain(timeout)

    @asynccontextmanager
    async def batch(self, *, source_event: str | None = None) -> AsyncIterator[Sending]:
        """A transaction whose sends are written with it and delivered once it commits."""
        out = self.sending(source_event=source_event)
        async with in_transaction():
            yield out
            ids = await out.write()
        self.deliver(ids)


# LINE carries one notice to up to 500 people in one multicast request.
MULTICAST_MAX = 500


async def queue_notice(notice_id: int, rows: Sequence[tuple[int, Chat]], *, sending_no: int = 0) -> int:
    """Write a circular notice's outbox rows (inside the queueing transaction): one per recipient and chat.

    The rows carry no content: the broadcast dispatcher renders the notice once per
    channel. LINE rows are grouped 500 to a request key, which becomes the multicast's
    retry key; `sending_no` (0, then 1 for the first re-send, ...) keeps a re-send's
    keys apart from the first sending's.
    """
    line = [(recipient, chat) for recipient, chat in rows if chat.channel == "line"]
    others = [(recipient, chat) for recipient, chat in rows if chat.channel != "line"]
    written: list[tuple[str, str, int, str | None]] = []
    for start in range(0, len(line), MULTICAST_MAX):
        key = f"notice:{notice_id}:{sending_no}:{start // MULTICAST_MAX}"
        written.extend((chat.channel, chat.chat, recipient, key) for recipient, chat in line[start : start + MULTICAST_MAX])
    written.extend((chat.channel, chat.chat, recipient, None) for recipient, chat in others)
    return await outbox.add_notice_rows(notice_id, written)
