"""Queues circular notices whose time has come: recipients, one outbox row per chat, LINE's allowance.

A confirmed notice is a `Notice` row with a time. When that time has come (and is
outside quiet hours, unless the notice is urgent) one transaction claims it,
resolves its audience against today's roster, writes a recipient row per person
and an outbox row per chat, and tells its author what happens; the broadcast
dispatcher sends the rows. A re-send ("resend") queues it again for everyone who
has not acknowledged, with fresh LINE request keys.

Where a person chose a channel for reminders the notice goes there; otherwise to
every chat they linked (a press of รับทราบ on any of them counts once). When LINE's
allowance cannot carry everyone, what the admin chose in the preview happens:
"telegram" moves people who also have another chat off LINE first; whoever LINE
still cannot carry is held back and counted, and the admin is told.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.events import Capabilities, Reply
from bot.sending import Chat, queue_notice
from config.texts import t
from fiscal.calendar import today_bangkok
from handlers.notice_card import line_requests
from scheduler.reminders import Schedule
from storage import notices
from storage.models import Notice

if TYPE_CHECKING:
    from bot.sending import Notifier
    from config.settings import Settings

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 30


class NoticeServices(Protocol):
    """What queueing uses: settings, the one way to send, and the dispatcher to wake."""

    @property
    def settings(self) -> Settings: ...

    @property
    def notifier(self) -> Notifier: ...

    @property
    def wake_broadcast(self) -> Callable[[], None]: ...


@dataclass(slots=True)
class Routed:
    """Where one sending of a notice goes."""

    chats: dict[int, list[Chat]] = field(default_factory=dict)  # staff id -> chats that get a row
    unreachable: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # LINE's allowance could not carry them
    moved_off_line: int = 0

    def on(self, channel: str) -> int:
        """People with a row on `channel`."""
        return sum(1 for chats in self.chats.values() if any(c.channel == channel for c in chats))


async def route(notice: Notice, staff_ids: list[int], line_left: int | None, line: Capabilities) -> Routed:
    """Pick each person's chats, then fit LINE into what is left of its allowance (None: no limit)."""
    reach = await notices.reach(staff_ids)
    routed = Routed(unreachable=list(reach.unreachable))
    for staff_id, pairs in (await notices.routes(reach)).items():
        routed.chats[staff_id] = [Chat(channel, chat) for channel, chat in pairs]
    if line_left is None:
        return routed
    fits = line_left // line_requests(notice, line)
    on_line = [s for s in routed.chats if _has_line(routed, s)]
    excess = len(on_line) - fits
    if excess > 0 and notice.line_overflow == "telegram":
        # Whoever has another way to read it (even if they chose LINE) gets it there, so LINE
        # carries the people it is the only way to reach.
        for staff_id in on_line:
            if excess <= 0:
                break
            others = [Chat(channel, chat) for channel, chat in reach.chats[staff_id] if channel != "line"]
            if others:
                routed.chats[staff_id] = others
                routed.moved_off_line += 1
                excess -= 1
    for staff_id in [s for s in on_line if _has_line(routed, s)][fits:]:
        rest = [c for c in routed.chats[staff_id] if c.channel != "line"]
        if rest:
            routed.chats[staff_id] = rest
        else:
            del routed.chats[staff_id]
            routed.held.append(staff_id)
    return routed


def _has_line(routed: Routed, staff_id: int) -> bool:
    return any(c.channel == "line" for c in routed.chats.get(staff_id, []))


async def queue_one(services: NoticeServices, notice: Notice, now: dt.datetime) -> bool:
    """Queue one due notice (or its re-send) in one transaction; False when another process did."""
    resend = notice.status == "resend"
    allowance = await services.notifier.allowance("line")
    async with services.notifier.batch() as out:
        if not await notices.claim(notice.id, time.time(), resend=resend):
            return False
        if resend:
            staff_ids = await notices.waiting_ids(notice.id)
        else:
            audience = await notices.resolve(notice.audience, today_bangkok(now))
            staff_ids = audience.staff_ids
        routed = await route(notice, staff_ids, allowance.left, services.notifier.capabilities["line"])
        states = {s: notices.QUEUED for s in routed.chats}
        states.update({s: notices.UNREACHABLE for s in routed.unreachable})
        states.update({s: notices.HELD for s in routed.held})
        if resend:
            ids = await notices.recipient_ids(notice.id, staff_ids)
            for state in (notices.QUEUED, notices.UNREACHABLE, notices.HELD):
                await notices.set_states([ids[s] for s, st in states.items() if st == state and s in ids], state)
        else:
            ids = await notices.add_recipients(notice.id, states)
        rows = [(ids[staff_id], chat) for staff_id, chats in routed.chats.items() for chat in chats]
        await queue_notice(notice.id, rows, sending_no=notice.resends)
        if notice.created_by_id:  # type: ignore[attr-defined]
            out.send_to(notice.created_by_id, _queued_reply(notice, routed, resend))  # type: ignore[attr-defined]
    logger.info(
        "notice %s queued: %d people, %d rows, %d unreachable, %d held for LINE's allowance",
        notice.id, len(routed.chats), len(rows), len(routed.unreachable), len(routed.held),
    )
    services.wake_broadcast()
    return True


def _queued_reply(notice: Notice, routed: Routed, resend: bool) -> Reply:
    lines = [
        t(
            "notice.queued_resend" if resend else "notice.queued",
            id=notice.id, people=len(routed.chats), line=routed.on("line"), telegram=routed.on("telegram"),
        )
    ]
    if routed.unreachable:
        lines.append(t("notice.queued_unreachable", count=len(routed.unreachable)))
    if routed.moved_off_line:
        lines.append(t("notice.queued_moved", count=routed.moved_off_line))
    if routed.held:
        lines.append(t("notice.queued_held", count=len(routed.held)))
    lines.append(t("notice.queued_track", id=notice.id))
    return Reply("\n".join(lines))


async def queue_due(services: NoticeServices, now: dt.datetime | None = None) -> int:
    """Queue every notice whose time has come; quiet hours hold back all but urgent ones."""
    now = now or dt.datetime.now(dt.UTC)
    quiet = Schedule.from_settings(services.settings).is_quiet(now)
    queued = 0
    for notice in await notices.due(now.timestamp()):
        if quiet and not notice.urgent:
            continue
        try:
            queued += await queue_one(services, notice, now)
        except Exception:
            logger.exception("queueing notice %s failed; the next sweep tries again", notice.id)
    return queued


class NoticeQueue:
    """Runs `queue_due` every SWEEP_SECONDS and at once when a notice is confirmed (signal "notices")."""

    def __init__(self, services: NoticeServices) -> None:
        self.services = services
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[int]] = set()

    async def run(self) -> int:
        """One pass (never two at once in this process)."""
        async with self._lock:
            return await queue_due(self.services)

    def wake(self) -> None:
        """A notice was just confirmed: queue it without waiting for the next sweep."""
        task = asyncio.create_task(self.run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
