"""The admins' report on the morning after a round deadline: who met the target, who did not, and the file.

Due from REMINDER_TIME on the first working day after the deadline, and caught up on
later working days (outside quiet hours) up to CATCH_UP_DAYS after it; past that the
news is stale and admins use the report command. Each admin is claimed once per round
(kind "deadline_report", offset -1: the day after), in the transaction that queues it.
The round's report file is the one the admins' "รายงาน" command builds; it goes to
chats that can carry files, and the others are told how to get it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.events import Reply
from config.texts import t
from fiscal.calendar import fiscal_year_of
from fiscal.days_off import DaysOff
from fiscal.thai_dates import official_date
from reports.data import AgencyReport, GroupRow
from reports.files import build, chat_reports_dir, file_name
from scheduler.recipients import reminder_chats
from scheduler.reminders import ReminderServices, Schedule
from storage import days_off as days_off_store
from storage import reminders as store
from storage.models import Staff
from storage.targets import round_deadline

if TYPE_CHECKING:
    from config.settings import Settings

logger = logging.getLogger(__name__)

REPORT_KIND = store.REPORT_KIND
REPORT_OFFSET = -1  # the day after the deadline
CATCH_UP_DAYS = 7
NOT_MET_LISTED = 5  # names in the message; the file has everyone


@dataclass(frozen=True, slots=True)
class ReportWindow:
    """The round whose deadline report is due now."""

    fiscal_year: int
    round: int
    deadline: dt.date


async def report_window(now: dt.datetime, config: Settings, days_off: DaysOff) -> ReportWindow | None:
    """The round whose report is due at `now`: its deadline passed, on a working day, outside quiet hours."""
    schedule = Schedule.from_settings(config)
    if schedule.is_quiet(now):
        return None
    local = now.astimezone(schedule.zone)
    today = local.date()
    if days_off.is_day_off(today):
        return None
    fy = fiscal_year_of(today)
    for year, rnd in ((fy, 2), (fy, 1), (fy - 1, 2)):  # the most recent deadline first
        deadline = await round_deadline(year, rnd)
        after = deadline + dt.timedelta(days=1)
        if today <= deadline or (today - deadline).days > CATCH_UP_DAYS:
            continue
        if local >= schedule.moment(after):
            return ReportWindow(year, rnd, deadline)
        return None  # the morning after, before REMINDER_TIME
    return None


async def _build_file(config: Settings, fy: int, rnd: int) -> tuple[AgencyReport, Path, str]:
    """The round's report file, written under a temporary name and moved into place whole.

    Two instances (or an admin's own "รายงาน" command) may build it at the same moment;
    the move keeps a half-written file from ever being sent.
    """
    name = file_name(fy, rnd)
    path = chat_reports_dir(config.data_dir) / name
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    temporary = path.with_name(f".{uuid.uuid4().hex}-{name}")
    report, _ = await build(fy, rnd, temporary)
    await asyncio.to_thread(os.replace, temporary, path)
    return report, path, name


def report_text(window: ReportWindow, report: AgencyReport) -> str:
    """Who met the target and who did not, with a few names."""
    total = report.total
    not_met = [row.name for row in report.staff if not row.met]
    lines = [
        t(
            "deadline_report.summary", date=official_date(window.deadline), met=total.met, staff=total.staff,
            pct=GroupRow.percent(total.met, total.staff), not_met=len(not_met),
        )
    ]
    if not_met:
        more = len(not_met) - NOT_MET_LISTED
        names = ", ".join(not_met[:NOT_MET_LISTED])
        rest = t("deadline_report.not_met_more", count=more) if more > 0 else ""
        lines.append(t("deadline_report.not_met", names=names) + rest)
    return "\n".join(lines)


async def due_admins(now: dt.datetime, config: Settings) -> tuple[ReportWindow | None, list[int]]:
    """The report due at `now` and the admins who have not had it."""
    if REPORT_KIND in await store.kinds_off():
        return None, []
    window = await report_window(now, config, await days_off_store.calendar())
    if window is None:
        return None, []
    done = await store.already_claimed(window.fiscal_year, window.round, REPORT_KIND, REPORT_OFFSET)
    admins = await Staff.filter(is_admin=True, active=True).order_by("id").values_list("id", flat=True)
    return window, [a for a in admins if a not in done]


async def send_deadline_reports(services: ReminderServices, now: dt.datetime | None = None) -> int:
    """Claim and queue the deadline report for every admin due at `now`; returns how many got it."""
    now = now or dt.datetime.now(dt.UTC)
    window, admins = await due_admins(now, services.settings)
    if window is None or not admins:
        return 0
    chats = await reminder_chats(admins)
    if not chats:
        return 0
    # Built before the transaction: a large agency's workbook takes seconds.
    report, path, name = await _build_file(services.settings, window.fiscal_year, window.round)
    text = report_text(window, report)
    title = t("deadline_report.title", round=window.round, fy=window.fiscal_year)
    with_file = Reply(
        text=f"{text}\n{t('deadline_report.file')}", title=title, file_path=str(path), file_name=name
    )
    text_only = Reply(
        text=f"{text}\n{t('deadline_report.no_file', fy=window.fiscal_year, round=window.round)}", title=title
    )
    async with services.notifier.batch() as out:
        mine = await store.claim(list(chats), window.fiscal_year, window.round, REPORT_KIND, REPORT_OFFSET, now)
        for admin in sorted(mine):
            for chat in chats[admin]:
                out.send_to(chat, with_file if out.can(chat.channel).files != "none" else text_only)
    if mine:
        logger.info("queued the FY %d round %d deadline report to %d admins", window.fiscal_year, window.round, len(mine))
    return len(mine)
