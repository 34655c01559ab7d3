"""Delivers outbox messages through their channel adapters, with retries and back-off."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.channels.base import ChannelAdapter, DeliveryError
from bot.events import Reply
from storage import outbox

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bot.broadcast import Pace
    from bot.metrics import Metrics
    from storage.models import OutboxMessage

logger = logging.getLogger(__name__)

# Deliveries in flight at once for one large batch: keeps the connection pool and the platform's rate limit calm.
BATCH_CONCURRENCY = 8
SWEEP_PAGE = 100  # due rows read at a time by the retry sweep
SWEEP_PAGES = 100  # at most this many pages per sweep run (10,000 rows); the next run goes on
MARK_DELAY = 0.01  # seconds a "sent" mark waits for others to share its commit
# A message the platform asked to hold back this long or less is sent again by this process when
# the time is up; the retry sweep, every 15 s, would make a one-second wait a fifteen-second one.
RESEND_WITHIN_SECONDS = 60.0
MIN_WAIT_SECONDS = 1.0


class Delivery:
    """Sends new messages at once and sweeps for due retries."""

    def __init__(
        self, channels: dict[str, ChannelAdapter], metrics: Metrics, *, paces: Mapping[str, Pace] | None = None
    ) -> None:
        self.channels = channels
        self.metrics = metrics
        # A chat reply never waits for a broadcast's turn, but counts in the platform's rate it shares.
        self.paces = paces or {}
        self._inflight: set[asyncio.Task[None]] = set()
        self._marks: list[tuple[OutboxMessage, list[str]]] = []  # sent, not yet marked so
        self._flusher: asyncio.Task[None] | None = None
        self._waiting: set[asyncio.Task[None]] = set()  # messages waiting out the platform's rate limit

    def send_soon(self, message_id: int) -> None:
        """Deliver a freshly committed message without waiting for the sweep."""
        task = asyncio.create_task(self.send(message_id))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    def send_soon_many(self, message_ids: list[int]) -> None:
        """Deliver freshly committed messages, at most `BATCH_CONCURRENCY` at a time (a sweep of thousands)."""
        if len(message_ids) <= BATCH_CONCURRENCY:
            for message_id in message_ids:
                self.send_soon(message_id)
            return
        task = asyncio.create_task(self._send_all(message_ids))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _send_all(self, message_ids: list[int]) -> None:
        queue = iter(message_ids)

        async def worker() -> None:
            for message_id in queue:
                try:
                    await self.send(message_id)
                except Exception:  # the row stays pending: the retry sweep delivers it
                    logger.exception("delivery of outbox message %d failed", message_id)

        await asyncio.gather(*(worker() for _ in range(BATCH_CONCURRENCY)))

    def send_held(self, messages: list[OutboxMessage]) -> None:
        """Deliver rows this process wrote leased to itself, from memory: no claim, and their
        "sent" marks are written together (one commit for many replies)."""
        if not messages:
            return
        task = asyncio.create_task(self._send_held(messages))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _send_held(self, messages: list[OutboxMessage]) -> None:
        by_chat: dict[tuple[str, str], list[OutboxMessage]] = {}
        for message in messages:
            by_chat.setdefault((message.channel, message.chat), []).append(message)

        async def in_order(rows: list[OutboxMessage]) -> None:  # one chat's rows in the order written
            for message in rows:
                try:
                    await self._deliver(message, held=True)
                except Exception as exc:
                    logger.exception("delivery of outbox message %d failed", message.id)
                    try:  # give the lease up, or the heartbeat would keep it from the retry sweep
                        await outbox.mark_failed(message, type(exc).__name__, permanent=False)
                    except Exception:
                        logger.exception("releasing outbox message %d failed", message.id)

        await asyncio.gather(*(in_order(rows) for rows in by_chat.values()))

    def _mark_sent_soon(self, message: OutboxMessage, platform_ids: list[str]) -> None:
        self._marks.append((message, platform_ids))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_marks())
            self._inflight.add(self._flusher)
            self._flusher.add_done_callback(self._inflight.discard)

    async def _flush_marks(self) -> None:
        while self._marks:
            await asyncio.sleep(MARK_DELAY)  # let the replies being sent now join this commit
            marks, self._marks = self._marks, []
            try:
                await outbox.mark_sent_many(marks)
            except Exception:  # still leased and pending: the sweep would send them again, so try once more alone
                logger.exception("marking %d outbox messages sent failed", len(marks))
                for message, platform_ids in marks:
                    try:
                        await outbox.mark_sent(message, platform_ids)
                    except Exception:
                        logger.exception("marking outbox message %d sent failed", message.id)

    async def send(self, message_id: int) -> None:
        """Deliver one message if it is still due and nobody else holds it."""
        message = await outbox.claim(message_id)
        if message is None:
            return
        await self._deliver(message, held=False)

    async def _deliver(self, message: OutboxMessage, *, held: bool) -> None:
        """Send one claimed (or held) message and record the outcome."""
        adapter = self.channels.get(message.channel)
        if adapter is None:
            await outbox.mark_failed(message, "channel off", permanent=False)
            return
        replies = [await self._with_edit_target(Reply.from_dict(r)) for r in message.payload]
        if (pace := self.paces.get(message.channel)) is not None:
            pace.spend(len(replies))
        started = time.perf_counter()
        try:
            platform_ids = await adapter.deliver(
                message.chat,
                replies,
                message.reply_token,
                message.reply_token_at,
                key=f"{message.id}:{message.created_at}",
            )
        except DeliveryError as exc:
            logger.warning("outbox %s to %s failed: %s", message.id, message.channel, exc)
            self.metrics.deliveries.labels(message.channel, "failed").inc()
            # A "retry after 0" must not become a loop of requests as fast as the platform refuses them.
            wait = None if exc.retry_after is None else max(MIN_WAIT_SECONDS, exc.retry_after)
            if wait is not None and pace is not None:
                pace.hold(wait)  # the broadcast in this process waits as well
            await outbox.mark_failed(message, str(exc), permanent=exc.permanent, wait=wait)
            if wait is not None and wait <= RESEND_WITHIN_SECONDS and not exc.permanent:
                self._send_after(message.id, wait)
            return
        except Exception as exc:
            logger.exception("outbox %s to %s crashed", message.id, message.channel)
            self.metrics.deliveries.labels(message.channel, "failed").inc()
            await outbox.mark_failed(message, type(exc).__name__, permanent=False)
            return
        self.metrics.deliveries.labels(message.channel, "sent").inc()
        self.metrics.deliver_seconds.observe(time.perf_counter() - started)
        if held:
            self._mark_sent_soon(message, platform_ids or [])
        else:
            await outbox.mark_sent(message, platform_ids or [])

    def _send_after(self, message_id: int, delay: float) -> None:
        """Send again once the platform's wait is over (still due in the outbox: a crash leaves it to the sweep)."""

        async def later() -> None:
            await asyncio.sleep(delay)
            try:
                await self.send(message_id)
            except Exception:
                logger.exception("resending outbox message %d failed; the retry sweep will", message_id)

        task = asyncio.create_task(later())
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

    async def _with_edit_target(self, reply: Reply) -> Reply:
        """Resolve which platform message an edit replaces (known only once that one was sent)."""
        if reply.edit_of is None:
            return reply
        earlier = await outbox.platform_ids(reply.edit_of)
        target = earlier[reply.edit_index] if 0 <= reply.edit_index < len(earlier) else None
        return replace(reply, edit_target=target)

    async def sweep(self) -> int:
        """Deliver everything due (new after a restart, or retries), a page at a time; returns how many were tried.

        A crash in the middle of a reminder sweep can leave a whole agency's rows due, so a
        sweep goes on while it finds full pages (up to SWEEP_PAGES of them): a page per
        run would take hours to drain 100,000 rows. Each delivered or failed row leaves
        the due set (sent, or retried later), so the pages move on.
        """
        tried = 0
        for _ in range(SWEEP_PAGES):
            ids = await outbox.due_ids(SWEEP_PAGE)
            await self._send_all(ids)
            tried += len(ids)
            if len(ids) < SWEEP_PAGE:
                break
        return tried

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for in-flight deliveries and their "sent" marks (tests, shutdown)."""
        deadline = time.monotonic() + max(0.1, timeout)
        while self._inflight and time.monotonic() < deadline:  # a delivery may start the marks' flusher
            await asyncio.wait(list(self._inflight), timeout=max(0.01, deadline - time.monotonic()))

    async def close(self) -> None:
        """Let in-flight deliveries finish briefly on shutdown; what waits for a platform's rate is the sweep's."""
        for task in self._waiting:
            task.cancel()
        await asyncio.gather(*self._waiting, return_exceptions=True)
        await self.drain(5.0)
