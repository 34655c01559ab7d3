"""The broadcast dispatcher: sends circular notices at each platform's rate, apart from chat replies.

A notice is queued as one outbox row per recipient and chat, with no content: the
content is rendered here once per notice and channel. The dispatcher is a lane of
its own, beside `bot.delivery` (which sends chat replies the moment their turn
commits), so an answer to someone typing never waits behind 100,000 notices.

- LINE: the rows of one request key (up to 500 people) go out as one multicast whose
  retry key derives from the request key, so a request retried after a crash or a
  lost answer is recognised by LINE (409) and not delivered twice.
- Telegram: one chat at a time within the bot's overall rate (30 messages a second)
  and one message a second per chat; how many of a row's messages went out is
  written after each, so a retry starts after them.
- A 429 pauses the whole lane for as long as the platform asked and is not counted
  as an attempt; 5xx, time-outs and dropped connections are retried with back-off
  and never given up (a platform outage is not the recipient's fault); someone who
  blocked the bot is marked unreachable and not retried; LINE's monthly limit holds
  the rest of that request back instead of retrying it in a loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from tortoise.transactions import in_transaction

from bot.channels.base import ChannelAdapter, DeliveryError
from bot.events import Capabilities, Reply
from storage import notices, outbox, people
from storage.models import Notice, OutboxMessage

if TYPE_CHECKING:
    from bot.metrics import Metrics

logger = logging.getLogger(__name__)

PAGE = 500  # due rows read at a time
POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0
LINE_MESSAGES_PER_REQUEST = 5
PACE_MARGIN = 0.95  # share of a platform's rate paced for: requests bunch up on the way to it

# Renders what one recipient on a channel with these capabilities gets (handlers.notice_card).
Render = Callable[[Notice, Capabilities], list[Reply]]


class Pace:
    """Spaces one platform's requests at `rate` a second for everything this process sends to it.

    The broadcast waits for its turn (`take`); a chat reply never waits but uses up a
    turn (`spend`), so the two together stay within the platform's rate. A 429 holds
    every waiting broadcast send for as long as the platform asked (`hold`).
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._next = 0.0
        self._held_until = 0.0

    async def take(self, n: int = 1) -> None:
        """Wait until `n` more requests may go out."""
        while True:
            now = time.monotonic()
            if self._held_until > now:
                await asyncio.sleep(self._held_until - now)
                continue
            slot = max(now, self._next)
            self._next = slot + n / self.rate
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._held_until <= time.monotonic():
                return

    def spend(self, n: int = 1) -> None:
        """Count requests sent outside the broadcast (chat replies) without waiting."""
        self._next = max(self._next, time.monotonic()) + n / self.rate

    def hold(self, seconds: float) -> None:
        """The platform said to wait: no broadcast send for `seconds`."""
        self._held_until = max(self._held_until, time.monotonic() + seconds)


def backoff(attempts: int) -> float:
    """Seconds before retrying after a platform fault: half a second, doubling, at most five minutes."""
    return min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** max(0, attempts))


class Broadcaster:
    """Claims due notice rows and sends them through the channel adapters."""

    def __init__(
        self,
        channels: Mapping[str, ChannelAdapter],
        capabilities: Mapping[str, Capabilities],
        render: Render,
        metrics: Metrics,
        paces: Mapping[str, Pace],
        *,
        chat_interval: float = 1.0,
        workers: int = 64,
    ) -> None:
        self.channels = channels
        self.capabilities = capabilities
        self.render = render
        self.metrics = metrics
        self.paces = paces
        self.chat_interval = chat_interval  # seconds between two messages to one chat
        self.workers = workers
        self._notices: dict[int, Notice] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[int]] = set()  # sends in flight, let finish on shutdown

    def wake(self) -> None:
        """A notice was queued: look now instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Start the dispatching loop."""
        self._task = asyncio.create_task(self._run(), name="broadcast")

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop reading rows and let sends in flight finish briefly; rows left keep their lease
        until it runs out, then any process goes on."""
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._sending:
            await asyncio.wait(list(self._sending), timeout=timeout)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("broadcast pass failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)
            except TimeoutError:
                pass

    async def run_once(self) -> int:
        """Send every notice row due now; returns how many rows were handled.

        Rows are read a page at a time, and the next page is read while the last jobs of
        the one before are still sending (at most `workers` jobs wait): a page's slowest
        chats never leave the platform's rate unused. Rows being sent are leased, so a
        later read does not return them again.
        """
        handled = 0
        limit = asyncio.Semaphore(self.workers)
        running: set[asyncio.Task[int]] = set()
        keys_running: set[str] = set()

        async def bounded(job: Awaitable[int], key: str | None) -> int:
            try:
                async with limit:
                    return await job
            except Exception:
                logger.exception("a broadcast send failed; its rows are retried when their lease runs out")
                return 0
            finally:
                if key is not None:
                    keys_running.discard(key)

        async def settle(until: int) -> None:
            nonlocal handled, running
            while len(running) > until:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                handled += sum(task.result() for task in done)

        while True:
            rows = await outbox.due_notice_rows(PAGE)
            keys = [k for k in dict.fromkeys(key for _, ch, key in rows if ch == "line" and key) if k not in keys_running]
            singles = [row_id for row_id, ch, key in rows if not (ch == "line" and key)]
            claimed = await outbox.claim_many(singles) if singles else []
            if not keys and not claimed:
                if not running:
                    return handled  # nothing due, or everything due is leased by another process
                await settle(len(running) - 1)
                continue
            keys_running.update(keys)
            jobs = [bounded(self._multicast(key), key) for key in keys]
            jobs += [bounded(self._single(row), None) for row in claimed]
            for job in jobs:
                task = asyncio.create_task(job)
                running.add(task)
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)
            await settle(self.workers)

    async def _notice(self, notice_id: int) -> Notice | None:
        notice = self._notices.get(notice_id)
        if notice is None:
            notice = await notices.get(notice_id)
            if notice is not None:
                self._notices[notice_id] = notice
        return notice

    def _replies(self, notice: Notice, channel: str) -> list[Reply]:
        return self.render(notice, self.capabilities[channel])

    # --- LINE: one multicast per request key ------------------------------------------------

    async def _multicast(self, key: str) -> int:
        rows = await outbox.claim_request(key)
        if not rows:
            return 0
        adapter = self.channels.get("line")
        notice = await self._notice(rows[0].notice_id or 0)
        if adapter is None or notice is None or not hasattr(adapter, "multicast"):
            await outbox.retry_later([r.id for r in rows], MAX_BACKOFF_SECONDS, "channel off", count=False)
            return len(rows)
        replies = self._replies(notice, "line")
        parts = [replies[i : i + LINE_MESSAGES_PER_REQUEST] for i in range(0, len(replies), LINE_MESSAGES_PER_REQUEST)]
        chats = [row.chat for row in rows]
        pace = self.paces.get("line")
        try:
            for index, part in enumerate(parts):
                if pace:
                    await pace.take()
                # Each part has its own retry key: parts LINE already accepted are answered 409 on a retry.
                await adapter.multicast(chats, part, f"{key}:{index}")  # type: ignore[attr-defined]
        except DeliveryError as exc:
            await self._failed(rows, exc, pace)
            return len(rows)
        await self._sent(rows)
        return len(rows)

    # --- Telegram and the simulator: one chat at a time ---------------------------------------

    async def _single(self, row: OutboxMessage) -> int:
        notice = await self._notice(row.notice_id or 0)
        adapter = self.channels.get(row.channel)
        if notice is None or adapter is None:
            await outbox.retry_later([row.id], MAX_BACKOFF_SECONDS, "channel off", count=False)
            return 1
        replies = self._replies(notice, row.channel)
        if row.channel == "sim":
            # The page reads its chat's rows back: the rendered notice is kept on the row.
            await self._sent([row], payloads={row.id: [reply.to_dict() for reply in replies]})
            return 1
        pace = self.paces.get(row.channel)
        done = len(row.platform_ids or [])
        for index in range(done, len(replies)):
            if index > 0:
                await asyncio.sleep(self.chat_interval)  # one message a second to one chat
            if pace:
                await pace.take()
            try:
                await adapter.deliver(row.chat, [replies[index]], None, None, key=f"{row.id}:{index}")
            except DeliveryError as exc:
                await self._failed([row], exc, pace)
                return 1
            if index < len(replies) - 1:
                await outbox.note_progress(row.id, index + 1)
        await self._sent([row])
        return 1

    # --- outcomes ----------------------------------------------------------------------------

    async def _sent(self, rows: list[OutboxMessage], payloads: dict[int, list[dict[str, Any]]] | None = None) -> None:
        async with in_transaction():
            await outbox.mark_many_sent([row.id for row in rows], payloads)
            await notices.mark_delivered([row.recipient_id for row in rows if row.recipient_id], time.time())
        self.metrics.deliveries.labels(rows[0].channel, "sent").inc(len(rows))

    async def _failed(self, rows: list[OutboxMessage], exc: DeliveryError, pace: Pace | None) -> None:
        ids = [row.id for row in rows]
        recipients = [row.recipient_id for row in rows if row.recipient_id]
        channel = rows[0].channel
        self.metrics.deliveries.labels(channel, "failed").inc(len(rows))
        if exc.retry_after is not None:
            # The platform's rate: not the recipient's fault and not an attempt.
            if pace:
                pace.hold(exc.retry_after)
            await outbox.retry_later(ids, exc.retry_after, str(exc), count=False)
            return
        if exc.unreachable:
            async with in_transaction():
                await outbox.fail_many(ids, str(exc))
                for row in rows:
                    await people.mark_blocked(row.channel, row.chat, time.time())
                await notices.mark_unreachable(recipients)
            return
        if exc.permanent:
            logger.warning("notice rows %s on %s failed for good: %s", ids[:3], channel, exc)
            async with in_transaction():
                await outbox.fail_many(ids, str(exc))
                # LINE's month is spent: held back, and counted so, not "unreachable".
                await notices.set_states(recipients, notices.HELD if "monthly" in str(exc) else notices.UNREACHABLE)
            return
        await outbox.retry_later(ids, backoff(max(row.attempts for row in rows)), str(exc))
