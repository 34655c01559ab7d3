"""Supervisors' digests: before each round deadline and weekly, who in their team is behind and what waits for them.

When a digest is due (decided from the clock and the database, like the staff reminders):

- at DIGEST_OFFSETS_DAYS before the round's deadline, at REMINDER_TIME; a digest whose
  day is a day off (weekend, Thai public holiday, agency day) moves to the next working
  day, as long as that is not after the deadline. It stays due until the day of the next
  (nearer) digest, so downtime delays it but never doubles it.
- weekly on DIGEST_WEEKDAY while the round is open (moved to the next working day of that
  week when the weekday is a day off). Its claim key is kind "digest_week" with the days
  from that week's nominal weekday to the deadline: unique per week and round, and the
  same whichever working day of the week it actually goes out on.
- never inside quiet hours, never on a day off, never after the deadline.

When the weekly digest and a deadline digest fall due together, one message goes out and
both are claimed. Only supervisors with something to say (a direct subordinate below
target, or a certificate waiting for their decision) get one, and only they are claimed,
so someone with nothing to say at 09:00 still gets one if something turns up before the
digest closes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tortoise.functions import Count

from bot.events import Action, Button, Reply
from config.texts import t
from fiscal.calendar import round_of
from fiscal.days_off import DaysOff
from fiscal.thai_dates import official_date
from handlers.progress import TEAM_ACTION, still_needed
from scheduler.recipients import reminder_chats
from scheduler.reminders import WHOLE_AGENCY_FROM, ReminderServices, Schedule, WindowSweeper
from storage import days_off as days_off_store
from storage import reminders as store
from storage.models import Staff, Submission
from storage.progress import MET, PersonProgress, attention_order, progress_of
from storage.submission_states import SubmissionStatus
from storage.targets import round_deadline

if TYPE_CHECKING:
    from config.settings import Settings

logger = logging.getLogger(__name__)

DIGEST_KIND = store.DIGEST_KIND  # the agency-wide switch covers both the deadline and the weekly digests
WEEKLY_KIND = "digest_week"
BEHIND_LISTED = 5  # subordinates named in a digest; the rest are counted


@dataclass(frozen=True, slots=True)
class DigestWindow:
    """The digest due now: which round and deadline, and the claim keys (kind, offset) it settles."""

    fiscal_year: int
    round: int
    deadline: dt.date
    today: dt.date
    keys: tuple[tuple[str, int], ...]  # the first decides who is still due; the others are claimed with it


@dataclass(slots=True)
class Digest:
    """One supervisor's digest: their subordinates below target and how many certificates wait for them."""

    window: DigestWindow
    staff_id: int
    employee_code: str
    name: str
    display_name: str
    behind: list[tuple[str, PersonProgress]] = field(default_factory=list)  # (display name, progress), neediest first
    waiting: int = 0


def next_working_day(day: dt.date, last: dt.date, days_off: DaysOff) -> dt.date | None:
    """`day`, or the first working day after it, if one comes by `last`."""
    while day <= last:
        if not days_off.is_day_off(day):
            return day
        day += dt.timedelta(days=1)
    return None


def due_offset(
    now: dt.datetime, deadline: dt.date, offsets: tuple[int, ...], schedule: Schedule, days_off: DaysOff
) -> int | None:
    """The deadline digest (days before it) due at `now`, its day moved past days off; None when none is."""
    slots = [(days, next_working_day(deadline - dt.timedelta(days=days), deadline, days_off)) for days in offsets]
    return schedule.due_among(now, deadline, [(days, day) for days, day in slots if day is not None])


def due_week(
    now: dt.datetime, deadline: dt.date, round_start: dt.date, weekday: int | None, schedule: Schedule,
    days_off: DaysOff,
) -> int | None:
    """The weekly digest's key (days from this week's nominal weekday to the deadline) if it is due at `now`."""
    if weekday is None:
        return None
    local = now.astimezone(schedule.zone)
    nominal = local.date() - dt.timedelta(days=(local.date().weekday() - weekday) % 7)
    if nominal < round_start:
        return None  # that week's digest belonged to the previous round
    day = next_working_day(nominal, min(deadline, nominal + dt.timedelta(days=6)), days_off)
    if day is None or schedule.moment(day) > local:
        return None
    return (deadline - nominal).days


async def digest_window(now: dt.datetime, config: Settings, days_off: DaysOff) -> DigestWindow | None:
    """The digest due at `now`, if any: outside quiet hours, on a working day, before the deadline."""
    schedule = Schedule.from_settings(config)
    if schedule.is_quiet(now):
        return None
    today = now.astimezone(schedule.zone).date()
    if days_off.is_day_off(today):
        return None
    period = round_of(today)
    rnd = period.round or 1
    deadline = await round_deadline(period.fiscal_year, rnd)
    if today > deadline:
        return None
    keys: list[tuple[str, int]] = []
    offset = due_offset(now, deadline, config.digest_offsets, schedule, days_off)
    if offset is not None:
        keys.append((DIGEST_KIND, offset))
    week = due_week(now, deadline, period.start, config.digest_day, schedule, days_off)
    if week is not None:
        keys.append((WEEKLY_KIND, week))
    if not keys:
        return None
    return DigestWindow(period.fiscal_year, rnd, deadline, today, tuple(keys))


async def waiting_counts() -> dict[int, int]:
    """Certificates waiting for each approver's decision (one query for everyone)."""
    rows = (
        await Submission.filter(status=SubmissionStatus.CONFIRMED, approver_id__isnull=False)
        .annotate(n=Count("id"))
        .group_by("approver_id")
        .values_list("approver_id", "n")
    )
    return {approver: int(n) for approver, n in rows}


async def due_digests(now: dt.datetime, config: Settings) -> list[Digest]:
    """Every supervisor's digest due at `now`, decided in a fixed handful of queries whatever the head count."""
    if DIGEST_KIND in await store.kinds_off():
        return []
    window = await digest_window(now, config, await days_off_store.calendar())
    if window is None:
        return []
    kind, offset = window.keys[0]
    done = await store.already_claimed(window.fiscal_year, window.round, kind, offset)
    team = await Staff.filter(active=True, supervisor_id__isnull=False, supervisor__active=True).values_list(
        "id", "supervisor_id", "target_group", "title", "first_name", "last_name"
    )
    waiting = {k: v for k, v in (await waiting_counts()).items() if k not in done}
    members: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for staff_id, boss, group, title, first, last in team:
        if boss not in done:
            members[boss].append((staff_id, group, f"{title}{first} {last}".strip()))
    candidates = set(members) | set(waiting)
    if not candidates:
        return []
    bosses = {
        row[0]: row
        for row in await Staff.filter(active=True, id__in=list(candidates)).values_list(
            "id", "employee_code", "title", "first_name", "last_name"
        )
    }
    everyone = [(m[0], m[1]) for boss in bosses for m in members.get(boss, [])]
    progress = (
        await progress_of(everyone, window.today, whole_agency=len(everyone) > WHOLE_AGENCY_FROM) if everyone else {}
    )
    digests: list[Digest] = []
    for boss, (_, code, title, first, last) in bosses.items():
        names = {m[0]: m[2] for m in members.get(boss, [])}
        below = attention_order(progress[i] for i in names if progress[i].status != MET)
        digest = Digest(
            window, boss, code, first, f"{title}{first} {last}".strip(),
            [(names[p.staff_id], p) for p in below], waiting.get(boss, 0),
        )
        if digest.behind or digest.waiting:
            digests.append(digest)
    return sorted(digests, key=lambda d: d.employee_code)


def digest_reply(digest: Digest) -> Reply:
    """What a supervisor sees: the deadline, who is below target and what they lack, and what waits for them."""
    window = digest.window
    days = (window.deadline - window.today).days
    left = t("reminder.days_left", days=days) if days else t("reminder.last_day")
    lines = [t("digest.intro", name=digest.name, round=window.round, date=official_date(window.deadline), left=left)]
    if digest.behind:
        lines.append(t("digest.behind", count=len(digest.behind)))
        for name, item in digest.behind[:BEHIND_LISTED]:
            lines.append(t("digest.behind_item", name=name, needed=still_needed(item) or ""))
        if len(digest.behind) > BEHIND_LISTED:
            lines.append(t("digest.behind_more", count=len(digest.behind) - BEHIND_LISTED))
    if digest.waiting:
        lines.append(t("digest.waiting", count=digest.waiting))
    buttons = []
    if digest.waiting:
        buttons.append(Button(t("richmenu.pending"), Action("ap.list")))
    if digest.behind:
        buttons.append(Button(t("richmenu.team"), Action(TEAM_ACTION)))
    return Reply(text="\n".join(lines), title=t("digest.title", round=window.round), buttons=tuple(buttons))


async def send_digests(services: ReminderServices, now: dt.datetime | None = None) -> int:
    """Claim and queue every digest due at `now` in one transaction; returns how many supervisors got one."""
    now = now or dt.datetime.now(dt.UTC)
    due = await due_digests(now, services.settings)
    if not due:
        return 0
    window = due[0].window
    chats = await reminder_chats([d.staff_id for d in due])
    due = [d for d in due if d.staff_id in chats]
    async with services.notifier.batch() as out:
        ids = [d.staff_id for d in due]
        (kind, offset), *also = window.keys
        mine = await store.claim(ids, window.fiscal_year, window.round, kind, offset, now)
        for other_kind, other_offset in also:
            # The weekly digest due the same day is settled by this one: one message, not two.
            await store.claim(mine, window.fiscal_year, window.round, other_kind, other_offset, now)
        for digest in due:
            if digest.staff_id in mine:
                for chat in chats[digest.staff_id]:
                    out.send_to(chat, digest_reply(digest))
    if mine:
        logger.info(
            "queued %d supervisors' digests: FY %d round %d, %s %d", len(mine), window.fiscal_year, window.round,
            kind, offset,
        )
    return len(mine)


class DigestSweeper(WindowSweeper):
    """The scheduled digest sweep."""

    async def window_key(self, now: dt.datetime) -> Hashable | None:
        """The digest window at `now`, unless admins switched digests off."""
        if DIGEST_KIND in await store.kinds_off():
            return None
        window = await digest_window(now, self.services.settings, await days_off_store.calendar())
        return None if window is None else (window.fiscal_year, window.round, window.deadline, window.keys)

    async def send(self, now: dt.datetime) -> int:
        """Send the digests due at `now`."""
        return await send_digests(self.services, now)
