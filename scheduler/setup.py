"""Builds the APScheduler 3 AsyncIOScheduler with the service's jobs, in Asia/Bangkok time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler import jobs
from scheduler.deadline_report import send_deadline_reports
from scheduler.digests import DigestSweeper
from scheduler.notices import SWEEP_SECONDS as NOTICE_SWEEP_SECONDS
from scheduler.notices import NoticeQueue
from scheduler.reminders import ReminderSweeper
from scheduler.retention import SWEEP_HOUR, SWEEP_MINUTE, sweep_retention

REMINDER_SWEEP_MINUTES = 5
HEARTBEAT_SECONDS = 10


def build_scheduler(
    services: jobs.JobServices,
    wake_processor: Callable[[], None],
    notice_queue: NoticeQueue | None = None,
    beat: Callable[[], None] | None = None,
) -> AsyncIOScheduler:
    """A scheduler with every recurring job registered (not yet started).

    `wake_processor` nudges this process's event processor; `notice_queue` queues circular
    notices whose time has come; `beat` tells /readyz the scheduler still runs its jobs.
    """
    scheduler = AsyncIOScheduler(timezone=services.settings.tz)
    if beat is not None:
        # A coroutine, so APScheduler runs it on the loop (a plain function would go to a thread).
        async def heartbeat() -> None:
            beat()

        scheduler.add_job(
            heartbeat, "interval", seconds=HEARTBEAT_SECONDS, id="heartbeat", coalesce=True, max_instances=1
        )
    # coalesce + max_instances=1: a slow sweep is never run twice at once.
    scheduler.add_job(
        jobs.retry_deliveries, "interval", seconds=15, args=[services],
        id="retry_deliveries", coalesce=True, max_instances=1,
    )
    scheduler.add_job(
        jobs.wake_processor, "interval", seconds=5, args=[wake_processor],
        id="wake_processor", coalesce=True, max_instances=1,
    )
    # Hourly during office hours: escalations go out when people can act on them (the job skips days off).
    scheduler.add_job(
        jobs.escalate_on_working_days, "cron", day_of_week="mon-fri", hour="8-17", minute=5, args=[services],
        id="escalate_overdue", coalesce=True, max_instances=1,
    )
    # Hourly: files nobody references (strangers, roster uploads) and old link guesses.
    scheduler.add_job(
        jobs.sweep_orphans, "interval", hours=1, args=[services],
        id="sweep_orphans", coalesce=True, max_instances=1,
    )
    # Nightly: certificate images, raw events and sent messages past their retention periods.
    scheduler.add_job(
        sweep_retention, "cron", hour=SWEEP_HOUR, minute=SWEEP_MINUTE, args=[services],
        id="sweep_retention", coalesce=True, max_instances=1,
    )
    if notice_queue is not None:
        # Confirmed notices are queued at once (a signal from the turn); this sweep sends the scheduled
        # ones when their time comes, and any a crash left unqueued.
        scheduler.add_job(
            notice_queue.run, "interval", seconds=NOTICE_SWEEP_SECONDS,
            next_run_time=dt.datetime.now(dt.UTC), id="queue_notices", coalesce=True, max_instances=1,
        )
    if services.settings.reminders_enabled:
        # Every few minutes, and once at start-up: what is due comes from the clock and the database,
        # so a sweep missed while the service was down still sends what is still useful.
        scheduler.add_job(
            ReminderSweeper(services).run, "interval", minutes=REMINDER_SWEEP_MINUTES,
            next_run_time=dt.datetime.now(dt.UTC), id="send_reminders", coalesce=True, max_instances=1,
        )
        # Supervisors' digests and the admins' deadline report: jobs of their own, so that a slow
        # staff sweep never holds them up; the same clock-and-database rules make start-up catch up.
        scheduler.add_job(
            DigestSweeper(services).run, "interval", minutes=REMINDER_SWEEP_MINUTES,
            next_run_time=dt.datetime.now(dt.UTC), id="send_digests", coalesce=True, max_instances=1,
        )
        scheduler.add_job(
            send_deadline_reports, "interval", minutes=REMINDER_SWEEP_MINUTES, args=[services],
            next_run_time=dt.datetime.now(dt.UTC), id="send_deadline_reports", coalesce=True, max_instances=1,
        )
    return scheduler
