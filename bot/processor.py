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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from bot.channels.base import ChannelAdapter, DownloadError, FileTooLarge
from bot.events import Incoming, Reply
from bot.rate_limits import PersonLimits, Verdict
from bot.routing import Router, find_route
from bot.sending import Chat, Notifier, Sending, write_together
from bot.turn import ConversationStep, Turn
from config.texts import t
from storage import conversations, inbox, people
from storage.models import ConversationState, InboundEvent, Staff

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from config.settings import Settings
    from storage.files import FileStore, StoredFile

logger = logging.getLogger(__name__)

YIELD_STEPS = 20
YIELD_SECONDS = 0.001
GROUP_EVENTS = 32  # events (of distinct senders) committed in one transaction
# An idle processor looks for stored events this often: where this process stores them it is
# woken at once, so the poll only finds what other processes stored; a worker process is never
# woken by a webhook, so its poll is the delay a chat answer waits (two cheap reads when idle).
IDLE_POLL_WOKEN, IDLE_POLL_UNWOKEN = 1.0, 0.1
STOP_GRACE_SECONDS = 5.0  # on shutdown, how long events being handled may take to finish


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
        woken = settings.process_role == "all"
        self.idle_poll = settings.event_poll_seconds or (IDLE_POLL_WOKEN if woken else IDLE_POLL_UNWOKEN)
        self._wake = asyncio.Event()
        # Events being handled now: on PostgreSQL another connection sees an event
        # done as soon as it commits, before its replies are handed to delivery.
        self._busy = 0
        self._task: asyncio.Task[None] | None = None
        # The batch in hand: claimed events, and those whose handling began. On shutdown
        # what is still pending among them is handed back (see `stop`).
        self._held: set[int] = set()
        self._begun: set[int] = set()
        self._stopping = False
        self._courtesy: set[asyncio.Task[None]] = set()  # acknowledgements in flight
        self.beat_at = time.monotonic()  # the loop's last turn, for /readyz (bot/readiness.py)

    def wake(self) -> None:
        """New events were stored: look now instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Start the processing loop."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="event-processor")

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop claiming, let the events being handled finish for up to `grace` seconds, then
        hand back the claimed ones left: another process takes them at once, in order."""
        self._stopping = True
        if self._task:
            self._wake.set()
            await asyncio.wait([self._task], timeout=grace)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._held:
            held, begun = list(self._held), list(self._begun)
            self._held.clear()
            self._begun.clear()
            try:
                freed = await inbox.hand_back(held, begun)
            except Exception:
                logger.exception("handing back %d events failed; their leases will lapse", len(held))
            else:
                if freed:
                    logger.info("stopping: handed back %d unfinished events", freed)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until nothing is pending (for tests and the CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await inbox.pending_count() == 0 and self._busy == 0:
                if self._courtesy:
                    await asyncio.wait(list(self._courtesy), timeout=max(0.01, deadline - time.monotonic()))
                await self.notifier.drain(deadline - time.monotonic())
                return
            self.wake()
            await asyncio.sleep(0.02)
        raise TimeoutError("inbox not drained")

    async def _run(self) -> None:
        while not self._stopping:
            self.beat_at = time.monotonic()
            # Busy from the claim on: a claim can move an event to the dead letters, and `drain`
            # must not see "nothing pending" before its sender's apology is queued.
            self._busy += 1
            try:
                claimed = await inbox.claim_batch(limit=max(8, self.settings.event_workers * GROUP_EVENTS // 2))
            except Exception:
                logger.exception("claiming inbox events failed")
                claimed = inbox.Claimed([], [])
            self._held.update(row.id for row in claimed.rows)
            try:
                for dead in claimed.dead:
                    await self._give_up(dead)
            finally:
                self._busy -= 1
            rows = claimed.rows
            if not rows:
                if claimed.dead or self._stopping:
                    continue
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll)
                except TimeoutError:
                    pass
                continue
            try:
                await self._process_batch(rows)
            finally:
                if not self._stopping:  # stopping: `stop` hands back what is left of the batch
                    self._held.clear()
                    self._begun.clear()

    async def _process_batch(self, rows: list[InboundEvent]) -> None:
        by_sender: dict[str, list[InboundEvent]] = defaultdict(list)
        for row in rows:
            by_sender[row.user_key or row.event_id].append(row)
        limit = asyncio.Semaphore(self.settings.event_workers)
        # A sender's only event, tried for the first time, is handled in a group: one
        # transaction for many senders' turns. A sender with several events, or an event
        # tried before (it failed, or its process died), goes alone, event by event, as
        # before: a poison event then charges nobody else, and a sender's later events
        # see what the earlier ones changed.
        groups: list[list[InboundEvent]] = [[]]
        alone: list[list[InboundEvent]] = []
        for events in by_sender.values():
            if len(events) > 1 or events[0].attempts > 0:
                alone.append(events)
                continue
            if len(groups[-1]) >= GROUP_EVENTS:
                groups.append([])
            groups[-1].append(events[0])

        async def in_order(events: list[InboundEvent]) -> None:
            async with limit:
                for i, row in enumerate(events):
                    if self._stopping:
                        return
                    await self._yield_to_webhooks()
                    self._busy += 1
                    try:
                        finished = await self.process(row)
                    finally:
                        self._busy -= 1
                    if not finished:
                        # It waits for a retry, or another process has it: the sender's later
                        # events must not overtake it, here or anywhere (inbox.claim_batch).
                        await self._hand_back([r.id for r in events[i + 1 :]])
                        return

        async def together(events: list[InboundEvent]) -> None:
            async with limit:
                if self._stopping:
                    return
                await self._yield_to_webhooks()
                self._busy += len(events)
                try:
                    await self._process_group(events)
                finally:
                    self._busy -= len(events)

        await asyncio.gather(
            *(in_order(events) for events in alone), *(together(events) for events in groups if events)
        )

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

    async def _hand_back(self, row_ids: list[int]) -> None:
        if not row_ids:
            return
        try:
            await inbox.hand_back(row_ids)
        except Exception:  # they stay leased to us until the lease lapses: late, still in order
            logger.exception("handing back %d events failed", len(row_ids))

    async def process(self, row: InboundEvent) -> bool:
        """Handle one claimed event alone and deliver what it produced.

        True when the event is finished (here or elsewhere, or given up on); false when it
        is still pending: it failed and waits for a retry, or another process holds it.
        """
        started = time.perf_counter()
        if not await inbox.begin(row):
            return False  # our lease lapsed and another process has the event now
        self._begun.add(row.id)
        try:
            job = await self._prepare(row)
            if not await self._commit_alone(job):
                return True
        except Exception as exc:
            return await self._failed(row, exc)
        self._finish(job, started)
        return True

    async def _process_group(self, rows: list[InboundEvent]) -> None:
        """Handle several senders' events in one transaction.

        Against one event alone this saves, per event: the attempt count, the sender's and
        their state's lookups (one query each for the group), the "done" mark and the commit.
        If any turn fails, or any event turns out finished elsewhere, the whole group is
        rolled back and each event is handled alone, where a failing turn charges only
        itself. Failures are rare, so the turns are not wrapped in savepoints of their own:
        two statements an event that a storm of presses would pay every time.
        """
        started = time.perf_counter()
        if not await inbox.begin_many(rows):
            for row in rows:  # some lease was lost: each goes its own way
                await self.process(row)
            return
        self._begun.update(row.id for row in rows)
        jobs: list[_Job] = []
        failed: list[tuple[InboundEvent, Exception]] = []
        for row in rows:
            try:
                jobs.append(await self._prepare(row))
            except Exception as exc:
                failed.append((row, exc))
        try:
            async with in_transaction():
                await inbox.hold([job.row.id for job in jobs])  # a write first: see inbox.hold
                known = await _Known.load([job.event for job in jobs if job.is_turn and job.event])
                for job in jobs:
                    await self._apply(job, known)
                await write_together([job.out for job in jobs if job.out is not None])  # one insert for all
                if not await inbox.mark_done_many([job.row.id for job in jobs]):
                    raise Rollback
        except Exception as exc:
            if not isinstance(exc, Rollback):
                logger.info("a group of %d events rolled back (%s): each is handled alone", len(jobs), type(exc).__name__)
            for job in jobs:
                job.out, job.signals = None, set()
                await self._commit_and_finish(job, started)
        else:
            for job in jobs:
                self._finish(job, started)
        for row, exc in failed:
            await self._failed(row, exc)

    async def _commit_and_finish(self, job: _Job, started: float) -> None:
        try:
            if not await self._commit_alone(job):
                return
        except Exception as exc:
            await self._failed(job.row, exc)
            return
        self._finish(job, started)

    async def _prepare(self, row: InboundEvent) -> _Job:
        """Everything before the transaction: parse, admit, acknowledge, fetch the file."""
        adapter = self.channels.get(row.channel)
        event = adapter.to_incoming(row.payload, row.received_at) if adapter else None
        if adapter is None or event is None:
            return _Job(row, None)
        refusal, download = await self._admit(event)
        if refusal is not None:
            return _Job(row, event, refusal=refusal)
        if (courtesy := adapter.acknowledgement(event)) is not None:
            self._acknowledge(courtesy)
        stored, file_error = await self._fetch_file(adapter, event) if download else (None, None)
        return _Job(row, event, stored=stored, file_error=file_error)

    def _acknowledge(self, courtesy: Awaitable[None]) -> None:
        """The platform's courtesy call (Telegram's spinner), beside the handling, not before it."""
        task = asyncio.create_task(_quietly(courtesy))
        self._courtesy.add(task)
        task.add_done_callback(self._courtesy.discard)

    async def _commit_alone(self, job: _Job) -> bool:
        """One event's transaction; false if it was finished elsewhere meanwhile."""
        try:
            async with in_transaction():
                # The "done" mark goes first: a write, it takes SQLite's write lock before any read
                # (see inbox.hold), and an event finished elsewhere is not handled again for nothing.
                if not await inbox.mark_done(job.row.id):
                    raise Rollback
                await self._apply(job, None)
        except Rollback:
            logger.info("event %s was already handled elsewhere", job.row.id)
            return False
        return True

    async def _apply(self, job: _Job, known: _Known | None) -> None:
        """Inside the transaction: the turn's writes, and its outbox rows when alone (the caller marks it done).

        In a group (`known` given) the rows are left in `job.out` for the group to write together.
        """
        event = job.event
        if event is None:
            return
        if job.refusal is not None:
            job.out = self._answering(event)
            if job.refusal:
                job.out.send_to(Chat(event.channel, event.chat), Reply(t(job.refusal)))
            if known is None:
                await job.out.write()
            return
        key = (event.channel, event.user)
        if known is not None and key in known.loaded:
            person, saved_state = known.people.get(key), known.states.get(key)
        else:
            person = await people.sender(event.channel, event.user)  # also clears a block mark
            saved_state = await conversations.load(event.channel, event.user)
        state = ConversationStep(
            saved_state.state if saved_state else None,
            dict(saved_state.data) if saved_state else {},
        )
        turn = Turn(
            event, person, state, self.settings, self._answering(event), job.stored, job.file_error, files=self.files
        )
        await self._route(turn)
        if state.changed:
            await conversations.save(event.channel, event.user, state.name, state.data)
        if known is None:
            await turn.out.write()
        job.out, job.signals = turn.out, turn.signals

    def _finish(self, job: _Job, started: float) -> None:
        """After the commit: count it, deliver what it wrote, wake whom it signalled."""
        outcome = "ignored" if job.event is None else "refused" if job.refusal is not None else "done"
        self.metrics.events.labels(job.row.channel, outcome).inc()
        if outcome == "done":
            self.metrics.handle_seconds.observe(time.perf_counter() - started)
        if job.out is not None:
            self.notifier.deliver_held(job.out.rows)
        for name in job.signals:
            if name in self.on_signal:
                self.on_signal[name]()

    async def _failed(self, row: InboundEvent, exc: Exception) -> bool:
        """Record a failed attempt; true if that was the last one (the event is a dead letter now)."""
        logger.error("event %s failed (attempt %d)", row.id, row.attempts, exc_info=exc)
        self.metrics.events.labels(row.channel, "error").inc()
        if await inbox.record_failure(row, type(exc).__name__):
            await self._give_up(row)
            return True
        return False

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
        free = await self.files.free_bytes()
        if free is not None and free < floor:  # None: an object store, no disk of ours to fill
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
            leased=True,
        )

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


@dataclass(slots=True)
class _Job:
    """One event between its preparation and its commit."""

    row: InboundEvent
    event: Incoming | None  # None: nothing to handle (an event type we ignore)
    refusal: str | None = None  # answer with this key instead of handling ("" : say nothing)
    stored: StoredFile | None = None
    file_error: str | None = None
    out: Sending | None = None  # what it wrote, to deliver after the commit
    signals: set[str] = field(default_factory=set)

    @property
    def is_turn(self) -> bool:
        """Handled by a route (not ignored, not refused)."""
        return self.event is not None and self.refusal is None


@dataclass(slots=True)
class _Known:
    """Senders and their conversation states for a group of events, read in one query each."""

    loaded: set[tuple[str, str]]
    people: dict[tuple[str, str], Staff]
    states: dict[tuple[str, str], ConversationState]

    @classmethod
    async def load(cls, events: list[Incoming]) -> _Known:
        """Look up every sender of `events` (inside the group's transaction)."""
        keys = {(event.channel, event.user) for event in events}
        return cls(keys, await people.by_identities(keys), await conversations.load_many(keys))


async def _quietly(coro: object) -> None:
    try:
        await asyncio.wait_for(coro, timeout=5)  # type: ignore[arg-type]
    except Exception as exc:
        logger.warning("channel courtesy call failed: %s", type(exc).__name__)
