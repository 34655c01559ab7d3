"""Reminders before round deadlines: who is due, decided for everyone at once, claimed once, sent via the outbox.

A reminder is due at offsets before the current round's submission deadline (the
admin-set `RoundDeadline`, else the round's last day), at a local time of day. The
sweep runs every few minutes and at start-up, so what a sweep decides depends only
on the clock and the database:

- Only the nearest offset whose moment has passed is due: after downtime the missed
  reminder still goes out, but an older one is skipped once a later one is due. An
  offset stays due until the day of the next offset begins (or, for the last one,
  until the deadline day ends), so a late start never sends two reminders a minute apart.
- Nothing goes out inside quiet hours; the next sweep after they end sends what is due.
- Nobody who met the target (and has every agreed course), nobody who paused the
  round, nobody without a linked chat, nothing after the deadline, and nothing while
  an admin has turned staff reminders off for the agency.
- Someone who chose a channel gets it on that channel's chats only; if they have
  since unlinked it, on every chat they linked.
- Each (person, round, kind, offset) is claimed by a unique row written in the same
  transaction as the outbox rows, so two sweeps, two processes, a restart or a
  repeated command send it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from bot.events import Action, Button, Reply
from config.texts import t
from fiscal.calendar import round_of
from fiscal.quiet_hours import is_quiet
from fiscal.thai_dates import official_date
from handlers.progress import still_needed
from handlers.reminders import PAUSE_ACTION
from scheduler import line_allowance
from scheduler.recipients import reminder_chats
from storage import reminders as store
from storage.course_suggestions import MOST as SUGGESTED_MOST
from storage.course_suggestions import CourseSuggester, Suggestion
from storage.models import Staff
from storage.progress import MET, PersonProgress, progress_of
from storage.targets import round_deadline

if TYPE_CHECKING:
    from bot.sending import Notifier
    from config.settings import Settings

logger = logging.getLogger(__name__)

STAFF_KIND = store.STAFF_KIND
REQUIRED_LISTED = 3  # agreed courses named in a reminder; the rest are counted
# Above this many people the progress queries run unfiltered (no long IN list).
WHOLE_AGENCY_FROM = 500


class ReminderServices(Protocol):
    """What a reminder sweep uses: the settings and the one way to send."""

    @property
    def settings(self) -> Settings: ...

    @property
    def notifier(self) -> Notifier: ...


@dataclass(frozen=True, slots=True)
class Schedule:
    """When reminders are due: offsets before a deadline, a time of day, quiet hours, the local zone."""

    offsets: tuple[int, ...]  # largest first
    at: dt.time
    quiet: tuple[dt.time, dt.time] | None
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> Schedule:
        """The schedule the settings describe (validated when the settings were read)."""
        return cls(settings.reminder_offsets, settings.reminder_clock, settings.quiet_span, ZoneInfo(settings.tz))

    def is_quiet(self, now: dt.datetime) -> bool:
        """Whether `now` falls inside quiet hours (a span may cross midnight)."""
        return is_quiet(now, self.quiet, self.zone)

    def moment(self, day: dt.date) -> dt.datetime:
        """The moment on `day` at which reminders fall due."""
        return dt.datetime.combine(day, self.at, self.zone)

    def due_offset(self, now: dt.datetime, deadline: dt.date) -> int | None:
        """The offset due at `now` for this deadline, or None."""
        return self.due_among(now, deadline, [(days, deadline - dt.timedelta(days=days)) for days in self.offsets])

    def due_among(self, now: dt.datetime, deadline: dt.date, slots: Iterable[tuple[int, dt.date]]) -> int | None:
        """Which of the (offset, day it goes out) slots is due at `now`, or None.

        Only the nearest slot whose moment has passed is due, and it stays due until the
        day the next (nearer) slot goes out, or for the last one until the deadline day
        ends: downtime delays a message but never sends two of them minutes apart.
        """
        local = now.astimezone(self.zone)
        if local.date() > deadline:
            return None
        ordered = sorted(slots)  # nearest the deadline first
        for i, (days, day) in enumerate(ordered):
            if self.moment(day) > local:
                continue
            closes = ordered[i - 1][1] if i else deadline + dt.timedelta(days=1)
            return days if local.date() < closes else None
        return None


@dataclass(frozen=True, slots=True)
class Window:
    """The reminder due now: which round, its deadline, and how many days before it."""

    fiscal_year: int
    round: int
    deadline: dt.date
    offset_days: int
    today: dt.date


@dataclass(frozen=True, slots=True)
class DueReminder:
    """One person's reminder: who, on which channels, and their progress."""

    window: Window
    staff_id: int
    employee_code: str
    name: str  # first name, for the greeting
    display_name: str
    channels: tuple[str, ...]  # one entry per chat it goes to
    progress: PersonProgress
    suggestions: tuple[Suggestion, ...] = ()
    only: str | None = None  # the channel the person chose, when it is linked; None: every linked chat
    linked: tuple[str, ...] = ()  # every channel they linked, chosen or not (a short LINE allowance may use another)


async def current_window(now: dt.datetime, schedule: Schedule) -> Window | None:
    """The reminder that is due at `now`, if any (outside quiet hours, before the deadline)."""
    if schedule.is_quiet(now):
        return None
    today = now.astimezone(schedule.zone).date()
    period = round_of(today)
    rnd = period.round or 1
    deadline = await round_deadline(period.fiscal_year, rnd)
    offset = schedule.due_offset(now, deadline)
    if offset is None:
        return None
    return Window(period.fiscal_year, rnd, deadline, offset, today)


async def due_reminders(now: dt.datetime, schedule: Schedule) -> list[DueReminder]:
    """Everyone who should get a reminder at `now`, in a fixed handful of queries whatever the head count."""
    window = await current_window(now, schedule)
    if window is None or STAFF_KIND in await store.kinds_off():
        return []
    fy, rnd = window.fiscal_year, window.round
    channels = await store.linked_channels()
    chosen = await store.choices()
    skip = await store.paused(fy, rnd) | await store.already_claimed(fy, rnd, STAFF_KIND, window.offset_days)
    wanted = {staff_id for staff_id in channels if staff_id not in skip}
    if not wanted:
        return []
    rows = await Staff.filter(active=True).values_list(
        "id", "target_group", "employee_code", "title", "first_name", "last_name"
    )
    people = [row for row in rows if row[0] in wanted]
    progress = await progress_of(
        [(row[0], row[1]) for row in people], window.today, whole_agency=len(people) > WHOLE_AGENCY_FROM
    )
    behind = [row for row in people if progress[row[0]].status != MET]
    suggester = await CourseSuggester.load(None if len(behind) > WHOLE_AGENCY_FROM else [row[0] for row in behind])
    due: list[DueReminder] = []
    for staff_id, _, code, title, first, last in behind:
        item = progress[staff_id]
        courses_left = courses_to_go(item)
        suggestions = suggester.for_person(staff_id, courses_left, agreed=(r.course_id for r in item.required))
        display = f"{title}{first} {last}".strip()
        linked = sorted(channels[staff_id])
        only = chosen.get(staff_id)
        if only in linked:
            linked = [channel for channel in linked if channel == only]
        else:
            only = None  # never chose, or unlinked the chosen channel since: every linked chat
        due.append(
            DueReminder(
                window, staff_id, code, first, display, tuple(linked), item, tuple(suggestions), only=only,
                linked=tuple(sorted(channels[staff_id])),
            )
        )
    return due


def courses_to_go(progress: PersonProgress) -> int:
    """How many more courses would close the gap (a target in hours only: as many as a reminder suggests)."""
    goal, counted = progress.goal, progress.counted
    if goal.met(counted.courses, counted.hours):
        return 0  # only agreed courses are missing: the reminder names those
    if goal.min_courses and counted.courses < goal.min_courses:
        return goal.min_courses - counted.courses
    return SUGGESTED_MOST  # hours are short: any course helps


def reminder_reply(item: DueReminder) -> Reply:
    """The reminder a person sees: what is left in their target's terms, by when, and what waits."""
    window, progress = item.window, item.progress
    days = (window.deadline - window.today).days
    left = t("reminder.days_left", days=days) if days else t("reminder.last_day")
    lines = [
        t(
            "reminder.needed", name=item.name, needed=still_needed(progress) or "",
            date=official_date(window.deadline), left=left,
        )
    ]
    missing = progress.missing_required
    if missing:
        lines.append(t("progress.required_header"))
        lines.extend(
            t("progress.required_missing", code=r.code, name=r.name).replace("  ", " ").strip()
            for r in missing[:REQUIRED_LISTED]
        )
        if len(missing) > REQUIRED_LISTED:
            lines.append(t("reminder.required_more", count=len(missing) - REQUIRED_LISTED))
    if item.suggestions:
        lines.append(t("reminder.suggest_header"))
        lines.extend(t("reminder.suggest_item", code=c.code, name=c.name, category=c.category) for c in item.suggestions)
    if progress.pending:
        lines.append(t("reminder.pending", count=progress.pending))
    lines.append(t("reminder.how"))
    buttons = (
        Button(t("menu.btn_submit"), Action("menu.submit")),
        Button(t("menu.btn_progress"), Action("menu.progress")),
        Button(t("reminder.btn_pause"), Action(PAUSE_ACTION, (str(window.fiscal_year), str(window.round)))),
    )
    return Reply(text="\n".join(lines), title=t("reminder.title", round=window.round), buttons=buttons)


async def send_reminders(services: ReminderServices, now: dt.datetime | None = None) -> int:
    """Claim and queue every reminder due at `now` in one transaction; returns how many people got one.

    `now` is a parameter so that tests and the `reminders run` command can set the clock.
    """
    now = now or dt.datetime.now(dt.UTC)
    due = await due_reminders(now, Schedule.from_settings(services.settings))
    if not due:
        return 0
    window = due[0].window
    # Within LINE's monthly allowance: some go to Telegram instead, some wait (unclaimed) for a later sweep.
    fitted = await line_allowance.fit(services.notifier, due, window)
    due = [d for d in due if d.staff_id not in fitted.held_back]
    async with services.notifier.batch() as out:
        mine = await store.claim(
            [d.staff_id for d in due], window.fiscal_year, window.round, STAFF_KIND, window.offset_days, now
        )
        chats = await reminder_chats([d.staff_id for d in due if d.only and d.staff_id in mine])
        for item in due:
            if item.staff_id in mine:
                reply = reminder_reply(item)
                # Their chosen channel, unless LINE ran short and the plan moved them to another they linked.
                if chats.get(item.staff_id) and item.staff_id not in fitted.chats:
                    for chat in chats[item.staff_id]:
                        out.send_to(chat, reply)
                else:
                    fitted.send_to(out, item.staff_id, reply)
        await fitted.tell_admins(out, window, now)
    if mine:
        logger.info(
            "queued %d reminders: FY %d round %d, %d days before the deadline",
            len(mine), window.fiscal_year, window.round, window.offset_days,
        )
    return len(mine)


class WindowSweeper:
    """A scheduled sweep with the real clock that skips a window this process finished moments ago.

    Deciding for everyone is the costly part, so once a window (round, deadline,
    offset) has been swept, this process sweeps it again only every `recheck_seconds`
    (for people who linked their chat since); a restart sweeps at once. A window that
    is switched off is not recorded as swept, so switching it on sends at the next sweep.
    """

    def __init__(self, services: ReminderServices, recheck_seconds: float = 3600.0) -> None:
        self.services = services
        self.recheck_seconds = recheck_seconds
        self._done: tuple[Hashable, float] | None = None

    async def window_key(self, now: dt.datetime) -> Hashable | None:
        """What identifies the window due at `now`; None when nothing is due or the kind is switched off."""
        raise NotImplementedError

    async def send(self, now: dt.datetime) -> int:
        """Claim and queue what is due at `now`; returns how many people got it."""
        raise NotImplementedError

    async def run(self, now: dt.datetime | None = None) -> int:
        """One sweep; returns how many messages were queued."""
        now = now or dt.datetime.now(dt.UTC)
        key = await self.window_key(now)
        if key is None:
            return 0
        if self._done is not None and self._done[0] == key and time.monotonic() - self._done[1] < self.recheck_seconds:
            return 0
        queued = await self.send(now)
        self._done = (key, time.monotonic())
        return queued


class ReminderSweeper(WindowSweeper):
    """The scheduled staff reminder sweep."""

    async def window_key(self, now: dt.datetime) -> Hashable | None:
        """The staff reminder's window at `now`, unless admins switched staff reminders off."""
        window = await current_window(now, Schedule.from_settings(self.services.settings))
        if window is None or STAFF_KIND in await store.kinds_off():
            return None
        return (window.fiscal_year, window.round, window.deadline, window.offset_days)

    async def send(self, now: dt.datetime) -> int:
        """Send the staff reminders due at `now`."""
        return await send_reminders(self.services, now)
