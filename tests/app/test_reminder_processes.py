"""Reminders go out once from real service processes: a kill mid-delivery, a restart, two processes on one database.

The services run as `python -m bot` with the reminder sweep on and the real clock:
the round's deadline is set to tomorrow and the only offset is one day, at 00:00 with
no quiet hours, so the sweep each process runs at start-up finds every learner due.
The LINE fake answers each push slowly, so the first service is SIGKILLed while
most reminders are still queued, then started again. On PostgreSQL a second
process sweeps the same database at the same time. Every learner must get exactly
one reminder.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from fiscal.calendar import round_of, today_bangkok
from storage import people
from storage.db import close_db, open_db
from storage.models import ReminderSent, Staff
from storage.targets import set_round_deadline
from tests.builders.processes import Service, service_env
from tests.builders.roster import ROSTER_CSV, load_roster
from tests.fakes.line_events import line_user_id

LEARNERS = 40
TITLE = "⏰ ใกล้ถึงกำหนดส่งรอบที่"
KILL_AFTER_PUSHES = 5
WAIT_SECONDS = 90


async def _learners_due_tomorrow(database_url: str, users: list[str]) -> None:
    """Learners on LINE with nothing approved yet, and this round's deadline tomorrow."""
    rows = "".join(
        f"E2{i:02d},นาง,สมศรี,ใฝ่รู้{i},นักวิชาการ,สำนักงานทดสอบ,E001,staff,\n" for i in range(len(users))
    )
    ctx = await open_db(database_url)
    try:
        await load_roster(ROSTER_CSV + rows)
        for i, user in enumerate(users):
            await people.link("line", user, await Staff.get(employee_code=f"E2{i:02d}"))
        today = today_bangkok()
        period = round_of(today)
        await set_round_deadline(period.fiscal_year, period.round or 1, today + dt.timedelta(days=1))
    finally:
        await close_db(ctx)


async def _claims(database_url: str) -> int:
    ctx = await open_db(database_url)
    try:
        return await ReminderSent.filter(kind="staff").count()
    finally:
        await close_db(ctx)


def _reminders(line_api, users: list[str]) -> dict[str, int]:
    return {u: sum(TITLE in text for text in line_api.texts_to(u)) for u in users}


async def test_a_kill_mid_delivery_and_a_second_process_still_send_each_reminder_once(
    database_url, line_api, tmp_path
):
    postgres = database_url.startswith("postgres")
    users = [line_user_id(f"remind-{i}") for i in range(LEARNERS)]
    await _learners_due_tomorrow(database_url, users)
    line_api.push_delay = 0.3
    env = service_env(
        database_url, line_api.url, tmp_path / "data",
        REMINDERS_ENABLED="true", REMINDER_OFFSETS_DAYS="1", REMINDER_TIME="00:00", QUIET_HOURS="",
    )
    primary = Service("primary", env, tmp_path)
    partner = Service("partner", {**env, "MIGRATE_ON_START": "false"}, tmp_path) if postgres else None
    try:
        await asyncio.gather(primary.start(), *([partner.start()] if partner else []))
        started = time.monotonic()
        while sum(_reminders(line_api, users).values()) < KILL_AFTER_PUSHES:
            assert time.monotonic() - started < WAIT_SECONDS, "no reminder arrived\n" + primary.log_tail()
            await asyncio.sleep(0.05)
        primary.kill()  # most reminders are still queued, some are in flight
        line_api.push_delay = 0.0
        await primary.start()
        restarted = time.monotonic()
        while any(n == 0 for n in _reminders(line_api, users).values()):
            assert time.monotonic() - restarted < WAIT_SECONDS, (
                f"{list(_reminders(line_api, users).values())}\n{primary.log_tail()}"
            )
            await asyncio.sleep(0.5)
        print(f"every reminder delivered {time.monotonic() - restarted:.1f} s after the restart")
        await asyncio.sleep(3)  # a repeat, if any, would come now (the restart swept again at start-up)
        assert _reminders(line_api, users) == {u: 1 for u in users}
        assert await _claims(database_url) == LEARNERS
    finally:
        primary.stop()
        if partner:
            partner.stop()
