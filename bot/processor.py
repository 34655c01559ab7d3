"""Turns stored inbox events into handled turns: exactly one committed outcome per event.

For each claimed event: fetch any attached file into the file store (outside the
transaction, so a slow download blocks nobody), run the matching handler, then
commit the handler's writes, the conversation state, the outgoing replies and
the event's "done" mark in one transaction. A crash anywhere before that commit
leaves the event pending, and it is handled again from scratch; after it, the
event can never be handled twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from bot.channels.base import ChannelAdapter, DownloadError, FileTooLarge
from bot.events import Incoming, Reply
from bot.rate_limits import PersonLimits, Verdict
from bot.routing import Router, find_route
from bot.sending import Chat, Notifier, Sending
from bot.turn import ConversationStep, Turn
from config.texts import t
from storage import conversations, inbox, people
from storage.models import InboundEvent

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from config.settings import Settings
    from storage.files import FileStore, StoredFile

logger = logging.getLogger(__name__)

YIELD_STEPS = 20
YIELD_SECONDS = 0.001


class Rollback(Exception):
    """Abort the turn's transaction: the event was finished by someone else."""


class EventProcessor:
    """Claims pending inbox events and handles them, in order per sender."""

    def __init__(
        self,
        settings: Settings,
        channels: dict[str, ChannelAdapter],
        routers: Sequence[Router],
        files: FileStore,
        notifier: Notifier,
        metrics: Metrics,
        webhooks_in_flight: Callable[[], int] = lambda: 0,
    ) -> None:
        self.settings = settings
        self.channels = channels
        self.routers = list(routers)
        self.files = files
        self.notifier = notifier
        self.metrics = metrics
        self.limits = PersonLimits()  # per-person message and file limits, in this process's memory
        self.on_signal: dict[str, Callable[[], None]] = {}
        # How many of this process's webhook requests are storing events now (read only).
        self.webhooks_in_flight = webhooks_in_flight
        self._wake = asyncio.Event()
        # Events being handled now: on PostgreSQL another connection sees an event
        # done as soon as it commits, before its replies are handed to delivery.
        self._busy = 0
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New events were stored: look now instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Start the processing loop."""
        self._task = asyncio.create_task(self._run(), name="event-processor")

    async def stop(self) -> None:
        """Stop the loop; unfinished events stay pending for the next start."""
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until nothing is pending (for tests and the CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await inbox.pending_count() == 0 and self._busy == 0:
                await self.notifier.drain(deadline - time.monotonic())
                return
            self.wake()
            await asyncio.sleep(0.02)
        raise TimeoutError("inbox not drained")

    async def _run(self) -> None:
        while True:
            try:
                claimed = await inbox.claim_batch(limit=max(8, self.settings.event_workers * 4))
            except Exception:
                logger.exception("claiming inbox events failed")
                claimed = inbox.Claimed([], [])
            for dead in claimed.dead:
                await self._give_up(dead)
            rows = claimed.rows
            if not rows:
                if claimed.dead:
                    continue
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)
                except TimeoutError:
                    pass
                continue
            await self._process_batch(rows)

    async def _process_batch(self, rows: list[InboundEvent]) -> None:
        by_sender: dict[str, list[InboundEvent]] = defaultdict(list)
        for row in rows:
            by_sender[row.user_key or row.event_id].append(row)
        limit = asyncio.Semaphore(self.settings.event_workers)

        async def in_order(group: list[InboundEvent]) -> None:
            async with limit:
                for row in group:
                    await self._yield_to_webhooks()
                    self._busy += 1
                    try:
                        await self.process(row)
                    finally:
                        self._busy -= 1

        await asyncio.gather(*(in_order(g) for g in by_sender.values()))

    async def _yield_to_webhooks(self) -> None:
        """Let waiting webhook requests go first, briefly.

        LINE counts an answer after 2 s as a failure, while a reply a few
        milliseconds later is harmless; so in a process that does both, storing
        new events has priority over handling stored ones, up to a small bound
        that keeps handling from starving under a sustained burst.
        """
        for _ in range(YIELD_STEPS):
            if self.webhooks_in_flight() <= 0:
                return
            await asyncio.sleep(YIELD_SECONDS)

    async def process(self, row: InboundEvent) -> None:
        """Handle one claimed event and deliver what it produced."""
        adapter = self.channels.get(row.channel)
        started = time.perf_counter()
        if not await inbox.begin(row):
            return  # our lease lapsed and another process has the event now
        try:
            event = adapter.to_incoming(row.payload, row.received_at) if adapter else None
            if event is None:
                async with in_transaction():
                    await inbox.mark_done(row.id)
                self.metrics.events.labels(row.channel, "ignored").inc()
                return
            refusal, download = await self._admit(event)
            if refusal is not None:
                await self._refuse(row, event, refusal)
                return
            await _quietly(adapter.acknowledge(event))
            stored, file_error = await self._fetch_file(adapter, event) if download else (None, None)
            outbox_ids, signals = await self._handle(row, event, stored, file_error)
        except Exception as exc:
            logger.exception("event %s failed (attempt %d)", row.id, row.attempts)
            self.metrics.events.labels(row.channel, "error").inc()
            if await inbox.record_failure(row, type(exc).__name__):
                await self._give_up(row)
            return
        self.metrics.events.labels(row.channel, "done").inc()
        self.metrics.handle_seconds.observe(time.perf_counter() - started)
        self.notifier.deliver(outbox_ids)
        for name in signals:
            if name in self.on_signal:
                self.on_signal[name]()

    async def _admit(self, event: Incoming) -> tuple[str | None, bool]:
        """Checks before anything is downloaded or routed.

        Returns (refusal, download): refusal is a text key to answer with instead
        of handling the event, "" to drop it without a word, or None to handle it;
        download says whether its file may be fetched.
        """
        verdict, key = self.limits.check(
            event.channel,
            event.user,
            is_file=event.file is not None,
            max_messages=self.settings.max_messages_per_minute,
            max_files=self.settings.max_files_per_minute,
            now=event.received_at or time.time(),
        )
        if verdict is not Verdict.ALLOW:
            return key or "", False
        if event.file is None:
            return None, False
        # Strangers' files are never fetched: nothing of theirs could reference them,
        # and routing answers them with the linking help.
        if await people.by_identity(event.channel, event.user) is None:
            return None, False
        floor = self.settings.min_free_disk_mb * 1024 * 1024
        free = await asyncio.to_thread(self.files.free_bytes)
        if free < floor:
            logger.warning(
                "free disk %d MB is under MIN_FREE_DISK_MB=%d: an upload on %s was refused",
                free // (1024 * 1024), self.settings.min_free_disk_mb, event.channel,
            )
            return "limits.disk_full", False
        return None, True

    def _answering(self, event: Incoming) -> Sending:
        """A sending whose messages to the sender's chat may use the event's reply token."""
        return self.notifier.sending(
            source_event=event.event_id,
            reply_chat=Chat(event.channel, event.chat),
            reply_token=event.reply_token,
            reply_token_at=event.received_at,
        )

    async def _refuse(self, row: InboundEvent, event: Incoming, key: str) -> None:
        """Finish an event without handling it, answering with `key` unless it is empty."""
        out = self._answering(event)
        if key:
            out.send_to(Chat(event.channel, event.chat), Reply(t(key)))
        try:
            async with in_transaction():
                ids = await out.write()
                if not await inbox.mark_done(row.id):
                    raise Rollback
        except Rollback:
            return
        self.metrics.events.labels(row.channel, "refused").inc()
        self.notifier.deliver(ids)

    async def _fetch_file(
        self, adapter: ChannelAdapter, event: Incoming
    ) -> tuple[StoredFile | None, str | None]:
        if event.file is None:
            return None, None
        limit = self.settings.max_upload_bytes
        if event.file.size is not None and event.file.size > limit:
            return None, "too_large"
        try:
            data = await adapter.download(event.file, limit)
        except FileTooLarge:
            return None, "too_large"
        except DownloadError as exc:
            logger.warning("download failed for event %s: %s", event.event_id, exc)
            return None, "download_failed"
        return await self.files.put(data), None

    async def _handle(
        self,
        row: InboundEvent,
        event: Incoming,
        stored: StoredFile | None,
        file_error: str | None,
    ) -> tuple[list[int], set[str]]:
        try:
            async with in_transaction():
                person = await people.sender(event.channel, event.user)  # also clears a block mark
                saved_state = await conversations.load(event.channel, event.user)
                state = ConversationStep(
                    saved_state.state if saved_state else None,
                    dict(saved_state.data) if saved_state else {},
                )
                turn = Turn(event, person, state, self.settings, self._answering(event), stored, file_error)
                await self._route(turn)
                if state.changed:
                    await conversations.save(event.channel, event.user, state.name, state.data)
                outbox_ids = await turn.out.write()
                if not await inbox.mark_done(row.id):
                    raise Rollback
        except Rollback:
            logger.info("event %s was already handled elsewhere", row.id)
            return [], set()
        return outbox_ids, turn.signals

    async def _route(self, turn: Turn) -> None:
        """Run the handler the routing rules pick, if the sender's roles allow it."""
        event = turn.incoming
        found = find_route(self.routers, event, turn.state.name, turn.person is not None)
        if found is None:
            if turn.person is None:
                turn.reply("common.unlinked_file" if event.kind == "file" else "common.unlinked")
            elif event.kind in ("text", "file", "action"):
                turn.reply("common.unknown")
            return
        route, args = found
        if not route.allows(turn.roles):
            # Ids only: names and what was typed are personal data.
            logger.info(
                "route %s refused to staff %s: it needs one of %s",
                route.name, turn.person.id if turn.person else None, ",".join(sorted(route.roles)),
            )
            turn.reply("common.not_allowed")
            return
        if route.global_:
            turn.state.clear()  # a global command ends whatever input was pending
        await route.handler(turn, *args)

    async def _give_up(self, row: InboundEvent) -> None:
        """An event nobody could finish (it failed or killed its process each time): tell the sender."""
        logger.error(
            "event %s moved to the dead letters after %d attempts; `python -m bot events retry %s` retries it",
            row.id, row.attempts, row.id,
        )
        self.metrics.events.labels(row.channel, "dead_letter").inc()
        await self._tell_sender(row, "inbox.dead_letter")

    async def _tell_sender(self, row: InboundEvent, key: str) -> None:
        # The chat comes from the stored sender key, not from parsing the payload again:
        # parsing may be what failed. Private chats only, so the chat is the sender.
        channel, _, user = (row.user_key or "").partition(":")
        if channel != row.channel or not user or channel not in self.channels:
            return
        try:
            async with self.notifier.batch(source_event=row.event_id) as out:
                out.send_to(Chat(channel, user), Reply(t(key)))
        except Exception:
            logger.exception("could not queue the apology for event %s", row.id)


async def _quietly(coro: object) -> None:
    try:
        await asyncio.wait_for(coro, timeout=5)  # type: ignore[arg-type]
    except Exception as exc:
        logger.warning("channel courtesy call failed: %s", type(exc).__name__)
