"""Supervisors' digests and the admins' deadline report end to end: a fake clock drives the sweeps,
the platform fakes show what people got.

FY 2570 round 1 ends on Wed 31 Mar 2027. Digests (default 7 and 3 days before, at 09:00):
Wed 24 Mar, and Sun 28 Mar moved to Mon 29 Mar; the weekly digest on Mondays. The admins'
report goes out on Thu 1 Apr 2027 from 09:00.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from config.settings import Settings
from scheduler.deadline_report import send_deadline_reports
from scheduler.digests import DigestSweeper, send_digests
from scheduler.setup import build_scheduler
from storage import days_off
from storage import reminders as store
from storage.models import ReminderSent, Staff, Submission
from storage.targets import set_round_deadline
from tests.builders.processes import run_cli
from tests.builders.roster import PROGRESS_TEAM_CSV, load_roster
from tests.builders.submissions import approved
from tests.builders.clock import at

IN_ROUND = dt.date(2026, 10, 15)
DIGEST = "📋 สรุปทีมของคุณ รอบที่ 1"
REPORT = "📊 ผลรอบที่ 1 ปีงบประมาณ 2570"



def shown(user, title: str) -> list[str]:
    """The messages with this title a user was shown."""
    return [text for text in user.texts() if title in text]


async def digests(services, now: dt.datetime) -> int:
    """One digest sweep at `now`, then wait until what it queued is delivered."""
    queued = await send_digests(services, now)
    await services.notifier.drain()
    return queued


async def reports(services, now: dt.datetime) -> int:
    """One deadline report sweep at `now`, delivered."""
    queued = await send_deadline_reports(services, now)
    await services.notifier.drain()
    return queued


@pytest.fixture
async def team(client, users_on):
    """E004 leads E005 (behind, one certificate waiting for E004), E006 (nothing yet) and E007 (met).

    E001 leads E003 and E004, who both met the target, and nothing waits for her: she has nothing to hear.
    E001 (Telegram) and E003 (LINE) are the admins.
    """
    await load_roster(PROGRESS_TEAM_CSV)
    await approved("E005", course_code="DS01", hours=6, on=IN_ROUND)
    await approved("E005", title="การเขียนหนังสือราชการ", hours=12, on=IN_ROUND)
    waiting = await approved("E005", title="รอพิจารณา", hours=3, on=IN_ROUND, status="confirmed")
    boss = await Staff.get(employee_code="E004")
    await Submission.filter(id=waiting.id).update(approver_id=boss.id)
    for code in ("E007", "E003", "E004"):
        for _ in range(3):
            await approved(code, course_code="DS04", hours=3, on=IN_ROUND)
    return {
        "E004": await users_on("telegram").linked("E004"),
        "E001": await users_on("telegram").linked("E001"),
        "E003": await users_on("line").linked("E003"),
        "E005": await users_on("line").linked("E005"),
    }


async def test_supervisor_with_people_behind_gets_one_digest_with_the_figures(services, team, monkeypatch):
    monkeypatch.setattr(services.settings, "digest_weekday", "")  # the deadline digests alone
    assert await digests(services, at("2027-03-24 08:59")) == 0
    assert await digests(services, at("2027-03-24 09:00")) == 1
    [digest] = shown(team["E004"], DIGEST)
    assert "คุณประเสริฐ กำหนดส่งรอบที่ 1 คือ 31 มี.ค. 2570 (อีก 7 วัน) ค่ะ" in digest
    assert "ยังไม่ผ่านเป้าหมาย 2 คน:" in digest
    assert "• นายธนา เพื่อนร่วมงาน เหลืออีก 3 หลักสูตร หรือ 60 ชม. (10 วัน)" in digest
    assert "• นางสุดา ขยันเรียน เหลืออีก 1 หลักสูตร หรือ 42 ชม. (7 วัน)" in digest
    assert digest.index("ธนา") < digest.index("สุดา")  # nothing approved yet comes first
    assert "เก่ง" not in digest  # E007 met the target
    assert "ใบประกาศรอคุณพิจารณา 1 รายการ" in digest
    # The supervisor whose team all met the target, with nothing waiting, hears nothing; staff get no digest.
    assert shown(team["E001"], DIGEST) == [] and shown(team["E005"], DIGEST) == []
    # Again the same day, or later before the 3-day digest: nothing twice.
    assert await digests(services, at("2027-03-24 15:00")) == 0
    assert await digests(services, at("2027-03-26 09:00")) == 0
    assert len(shown(team["E004"], DIGEST)) == 1
    # The buttons open the approvals list and the team view.
    await team["E004"].presses("รออนุมัติ")
    assert "รายการรออนุมัติ 1 รายการ" in "\n".join(team["E004"].texts())
    await team["E004"].presses("ทีมของฉัน")
    assert "ทีมของคุณ ปีงบประมาณ 2570 รอบที่ 1 (3 คน)" in "\n".join(team["E004"].texts())


async def test_weekly_digest_on_monday_once_and_merged_with_a_deadline_digest(services, team):
    assert await digests(services, at("2027-03-22 09:00")) == 1  # Monday, 9 days before
    assert "(อีก 9 วัน)" in shown(team["E004"], DIGEST)[0]
    assert await digests(services, at("2027-03-22 15:00")) == 0
    assert await digests(services, at("2027-03-23 09:00")) == 0  # Tuesday: that week's is sent
    assert await digests(services, at("2027-03-24 09:00")) == 1  # the 7-day digest
    # The 3-day digest falls on Sunday 28 Mar and moves to Monday 29 Mar, the weekly digest's day: one message.
    assert await digests(services, at("2027-03-28 09:00")) == 0
    assert await digests(services, at("2027-03-29 09:00")) == 1
    assert await digests(services, at("2027-03-29 10:00")) == 0
    assert len(shown(team["E004"], DIGEST)) == 3
    assert await ReminderSent.filter(kind="digest_week").count() == 2
    # Nothing after the deadline; round 2's weekly digests start on its first Monday.
    assert await digests(services, at("2027-03-31 23:00")) == 0
    assert await digests(services, at("2027-04-01 09:00")) == 0
    assert await digests(services, at("2027-04-05 09:00")) == 1
    assert "กำหนดส่งรอบที่ 2 คือ 30 ก.ย. 2570" in shown(team["E004"], "📋 สรุปทีมของคุณ รอบที่ 2")[0]


async def test_no_weekly_digest_when_the_weekday_is_empty(services, team, monkeypatch):
    monkeypatch.setattr(services.settings, "digest_weekday", "")
    assert await digests(services, at("2027-03-22 09:00")) == 0
    assert await digests(services, at("2027-03-24 09:00")) == 1


async def test_a_digest_due_on_a_public_holiday_goes_out_the_next_working_day(services, team):
    # Deadline Mon 1 Mar 2027: the 7-day digest falls on Mon 22 Feb, Makha Bucha's substitution day.
    await set_round_deadline(2570, 1, dt.date(2027, 3, 1))
    assert await digests(services, at("2027-02-22 09:00")) == 0
    assert await digests(services, at("2027-02-22 16:00")) == 0
    assert await digests(services, at("2027-02-23 07:30")) == 0  # before REMINDER_TIME on the day it moved to
    assert await digests(services, at("2027-02-23 09:00")) == 1
    assert "(อีก 6 วัน)" in shown(team["E004"], DIGEST)[0]
    # The week's Monday digest, moved to the same Tuesday, is settled by that one message.
    assert await digests(services, at("2027-02-24 09:00")) == 0
    assert len(shown(team["E004"], DIGEST)) == 1


async def test_an_agency_day_off_also_moves_the_digest(services, team):
    await days_off.add(dt.date(2027, 3, 24), "วันหยุดจังหวัด")
    assert await digests(services, at("2027-03-24 09:00")) == 0
    assert await digests(services, at("2027-03-25 09:00")) == 1


async def test_the_chosen_channel_only(services, team, users_on):
    on_line = await users_on("line").linked("E004")
    await store.choose(await Staff.get(employee_code="E004"), "line")
    assert await digests(services, at("2027-03-24 09:00")) == 1
    assert len(shown(on_line, DIGEST)) == 1 and shown(team["E004"], DIGEST) == []


async def test_admins_get_the_report_the_morning_after_once_with_the_file_where_it_can_go(
    services, team, telegram_api
):
    assert await reports(services, at("2027-03-31 20:00")) == 0  # deadline day: not yet
    assert await reports(services, at("2027-04-01 08:59")) == 0
    assert await reports(services, at("2027-04-01 09:00")) == 2
    assert await reports(services, at("2027-04-01 12:00")) == 0
    assert await reports(services, at("2027-04-02 09:00")) == 0
    director, hr = team["E001"], team["E003"]
    [on_telegram] = shown(director, REPORT)
    assert "ครบกำหนดส่งเมื่อ 31 มี.ค. 2570 ผ่านเป้าหมาย 3 จาก 6 คน (50.0%) ยังไม่ผ่าน 3 คน" in on_telegram
    assert "ยังไม่ผ่าน: นางมาลี ใจงาม, นางสุดา ขยันเรียน, นายธนา เพื่อนร่วมงาน\n" in on_telegram
    documents = [m["document"] for m in telegram_api.messages_to(director.user_id) if m.get("document")]
    assert [d.filename for d in documents] == ["report-2570-r1.xlsx"]
    assert documents[0].data[:2] == b"PK"  # an XLSX workbook
    [on_line] = shown(hr, REPORT)
    assert "ผ่านเป้าหมาย 3 จาก 6 คน" in on_line
    assert "รับไฟล์รายงานได้ทาง Telegram" in on_line and "--fy 2570 --round 1" in on_line
    assert shown(team["E004"], REPORT) == []  # supervisors and staff do not get it


async def test_a_missed_report_is_caught_up_on_a_working_day_within_a_week(services, team):
    await set_round_deadline(2570, 1, dt.date(2027, 3, 26))  # Friday: the morning after is a Saturday
    assert await reports(services, at("2027-03-27 09:00")) == 0
    assert await reports(services, at("2027-03-29 07:00")) == 2  # Monday, as soon as quiet hours end
    await ReminderSent.all().delete()
    assert await reports(services, at("2027-04-05 09:00")) == 0  # ten days after: stale


async def test_kinds_switched_off_send_nothing(services, team):
    await store.switch_kind("digest", False)
    await store.switch_kind("deadline_report", False)
    assert await digests(services, at("2027-03-22 09:00")) == 0
    assert await digests(services, at("2027-03-24 09:00")) == 0
    assert await reports(services, at("2027-04-01 09:00")) == 0
    await store.switch_kind("digest", True)
    assert await digests(services, at("2027-03-24 09:00")) == 1


async def test_the_scheduled_digest_sweep_sends_soon_after_digests_are_switched_on(services, team, monkeypatch):
    monkeypatch.setattr(services.settings, "digest_weekday", "")
    sweeper = DigestSweeper(services)
    await store.switch_kind("digest", False)
    assert await sweeper.run(at("2027-03-24 09:00")) == 0
    await store.switch_kind("digest", True)
    # The next sweep, five minutes on, not an hour later: a switched-off window was not recorded as swept.
    assert await sweeper.run(at("2027-03-24 09:05")) == 1
    await services.notifier.drain()
    assert len(shown(team["E004"], DIGEST)) == 1


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("digest_offsets_days", "7,x", "DIGEST_OFFSETS_DAYS must be whole numbers of days"),
        ("digest_offsets_days", "0", "DIGEST_OFFSETS_DAYS must be between 1 and 366"),
        ("digest_weekday", "monday-ish", "DIGEST_WEEKDAY must be a weekday"),
    ],
)
def test_bad_digest_settings_are_refused(setting, value, message):
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **{setting: value})


def test_digest_settings_read():
    assert Settings(_env_file=None).digest_offsets == (7, 3)
    assert Settings(_env_file=None).digest_day == 0
    assert Settings(_env_file=None, digest_weekday="Friday").digest_day == 4
    assert Settings(_env_file=None, digest_weekday="").digest_day is None


async def test_the_run_command_queues_digests_and_reports_once(services, team, settings):
    def command(*args: str) -> str:
        done = run_cli(settings, "reminders", *args, DIGEST_WEEKDAY="")
        assert done.returncode == 0, done.stderr
        return done.stdout

    preview = await asyncio.to_thread(command, "preview", "--date", "2027-03-24")
    assert "digest: E004  นายประเสริฐ คุมงาน  ->  telegram" in preview
    assert "ใบประกาศรอคุณพิจารณา 1 รายการ" in preview
    assert await ReminderSent.all().count() == 0
    assert "1 supervisors' digest(s) and 0 admins' deadline report(s) queued" in await asyncio.to_thread(
        command, "run", "--now", "2027-03-24T09:00:00+07:00"
    )
    assert "0 supervisors' digest(s)" in await asyncio.to_thread(command, "run", "--now", "2027-03-24T10:00:00+07:00")
    assert "0 supervisors' digest(s) and 2 admins' deadline report(s) queued" in await asyncio.to_thread(
        command, "run", "--now", "2027-04-01T09:00:00+07:00"
    )
    # The running service's delivery sweep sends what the command queued.
    await services.delivery.sweep()
    await services.notifier.drain()
    assert len(shown(team["E004"], DIGEST)) == 1 and len(shown(team["E003"], REPORT)) == 1


def test_digest_and_report_jobs_are_scheduled_and_run_at_start_up(tmp_path):
    def jobs(enabled: bool) -> list:
        services = SimpleNamespace(settings=Settings(_env_file=None, data_dir=tmp_path, reminders_enabled=enabled))
        scheduler = build_scheduler(services, lambda: None)
        return [scheduler.get_job(name) for name in ("send_digests", "send_deadline_reports")]

    assert jobs(False) == [None, None]
    assert all(job is not None and job.next_run_time is not None for job in jobs(True))
