"""Deadline reminders end to end: a fake clock drives the sweep, the platform fakes show what people got.

FY 2570 round 1 ends on 31 Mar 2027; with the default offsets (30, 14, 7, 3, 1 days)
at 09:00 Bangkok time, 24 Mar 2027 09:00 is the 7-day reminder.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from config.settings import Settings
from scheduler.reminders import ReminderSweeper, Schedule, send_reminders
from scheduler.setup import build_scheduler
from storage import submission_states
from storage.models import Course, ReminderSent, RequiredCourse, Staff, Submission
from storage.submission_states import SubmissionStatus
from storage.targets import set_round_deadline
from tests.builders.roster import PROGRESS_TEAM_CSV
from tests.builders.submissions import approved
from tests.builders.paths import REPO
from tests.builders.processes import run_cli
from tests.builders.roster import load_roster
from tests.builders.clock import at, sweep

FY = 2570
IN_ROUND = dt.date(2026, 10, 15)
TITLE = "⏰ ใกล้ถึงกำหนดส่งรอบที่ 1"



def reminders(user) -> list[str]:
    """The reminders a user was shown."""
    return [text for text in user.texts() if TITLE in text]



async def require(employee_code: str, course_code: str) -> None:
    await RequiredCourse.create(
        staff=await Staff.get(employee_code=employee_code), course=await Course.get(code=course_code), fiscal_year=FY
    )


@pytest.fixture
async def people(client, users_on):
    """E005 (LINE) and E006 (Telegram) below target, E007 (LINE) and E003 (Telegram) met it; E004 has no chat."""
    await load_roster(PROGRESS_TEAM_CSV)
    await approved("E005", course_code="DS01", hours=6, on=IN_ROUND)
    await approved("E005", title="การเขียนหนังสือราชการ", hours=12, on=IN_ROUND)
    await approved("E005", title="รอพิจารณา", hours=3, on=IN_ROUND, status="confirmed")
    await require("E005", "DS01")
    await require("E005", "DS03")
    for code in ("E007", "E003"):
        for _ in range(3):
            await approved(code, course_code="DS04", hours=3, on=IN_ROUND)
    users = {}
    for code, channel in (("E005", "line"), ("E006", "telegram"), ("E007", "line"), ("E003", "telegram")):
        users[code] = await users_on(channel).linked(code)
    return users


async def test_right_people_get_one_reminder_each_with_their_figures(services, people):
    assert await sweep(services, at("2027-03-24 09:00")) == 2
    [suda] = reminders(people["E005"])
    assert "คุณสุดา เหลืออีก 1 หลักสูตร หรือ 42 ชม. (7 วัน) และ หลักสูตรที่ตกลงไว้อีก 1 หลักสูตร" in suda
    assert "ภายใน 31 มี.ค. 2570 (อีก 7 วัน) ค่ะ" in suda
    assert "หลักสูตรที่ตกลงกับผู้บังคับบัญชา:\n⬜ DS03 ความมั่นคงปลอดภัยบนอินเทอร์เน็ต" in suda
    assert "(ยังไม่มีใบประกาศที่อนุมัติ)" in suda and "DS01" not in suda  # the agreed course she has is not listed
    assert "รอตรวจ/รออนุมัติ 1 รายการ" in suda
    assert "ส่งใบประกาศ" in suda and "ความก้าวหน้า" in suda  # the buttons (LINE shows their labels)
    [thana] = reminders(people["E006"])
    assert "คุณธนา เหลืออีก 3 หลักสูตร หรือ 60 ชม. (10 วัน) ภายใน 31 มี.ค. 2570 (อีก 7 วัน) ค่ะ" in thana
    assert "รอตรวจ" not in thana and "ตกลงกับผู้บังคับบัญชา" not in thana
    assert reminders(people["E007"]) == [] and reminders(people["E003"]) == []
    # The buttons work: "ความก้าวหน้า" on the reminder opens the progress view.
    await people["E006"].presses("ความก้าวหน้า")
    assert "ความก้าวหน้า ปีงบประมาณ" in people["E006"].last()


async def test_repeated_and_concurrent_sweeps_send_once(services, people):
    now = at("2027-03-24 09:00")
    results = await asyncio.gather(send_reminders(services, now), send_reminders(services, now))
    assert sorted(results) == [0, 2]
    assert await sweep(services, now) == 0
    assert await sweep(services, at("2027-03-24 15:00")) == 0
    await services.notifier.drain()
    assert len(reminders(people["E005"])) == 1 and len(reminders(people["E006"])) == 1
    assert await ReminderSent.filter(offset_days=7).count() == 2


async def test_downtime_across_the_slot_and_quiet_hours_defer(services, people):
    # Before 09:00 on the 7-day morning nothing is due (the 14-day reminder's day is over).
    assert await sweep(services, at("2027-03-24 08:59")) == 0
    # The service was down at 09:00 and came back at 21:00, inside quiet hours: still nothing.
    assert await sweep(services, at("2027-03-24 21:00")) == 0
    assert await sweep(services, at("2027-03-25 06:59")) == 0
    assert reminders(people["E005"]) == []
    # Quiet hours end at 07:00: the missed reminder goes out once, with the days left as of then.
    assert await sweep(services, at("2027-03-25 07:00")) == 2
    assert await sweep(services, at("2027-03-25 07:05")) == 0
    [thana] = reminders(people["E006"])
    assert "ภายใน 31 มี.ค. 2570 (อีก 6 วัน)" in thana


async def test_approval_between_offsets_and_a_pause_stop_further_reminders(services, people, users_on):
    boss = await users_on("telegram").linked("E004")
    assert await sweep(services, at("2027-03-24 09:00")) == 3
    # E005's waiting certificate is approved, and she sends the agreed course: the target is met.
    waiting = await Submission.get(staff__employee_code="E005", status="confirmed")
    assert await submission_states.transition(waiting, "approved", SubmissionStatus.APPROVED)
    await approved("E005", course_code="DS03", hours=6, on=IN_ROUND)
    # E006 taps "no more reminders this round" on the reminder.
    await people["E006"].presses("ไม่ต้องเตือนรอบนี้")
    assert "จะไม่แจ้งเตือนกำหนดส่งรอบที่ 1 อีก" in people["E006"].last()
    # Three days before: only the supervisor, still below target and not paused, is reminded again.
    assert await sweep(services, at("2027-03-28 09:00")) == 1
    assert len(reminders(people["E005"])) == 1 and len(reminders(people["E006"])) == 1
    assert len(reminders(boss)) == 2
    assert "ภายใน 31 มี.ค. 2570 (อีก 3 วัน)" in reminders(boss)[-1]


async def test_admin_deadline_and_nothing_after_it(services, people):
    await set_round_deadline(FY, 1, dt.date(2027, 3, 25))
    assert await sweep(services, at("2027-03-24 09:00")) == 2
    [thana] = reminders(people["E006"])
    assert "ภายใน 25 มี.ค. 2570 (อีก 1 วัน)" in thana
    # Had that sweep been missed, the deadline day itself still sends it; the day after, nothing.
    await ReminderSent.all().delete()
    assert await sweep(services, at("2027-03-25 10:00")) == 2
    assert "ภายใน 25 มี.ค. 2570 (วันนี้วันสุดท้าย)" in reminders(people["E006"])[-1]
    await ReminderSent.all().delete()
    assert await sweep(services, at("2027-03-26 09:00")) == 0
    assert await sweep(services, at("2027-04-01 09:00")) == 0  # round 2's deadline is months away
    assert len(reminders(people["E006"])) == 2


async def test_commands_preview_and_run_queue_through_the_outbox_once(services, people, settings):
    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(settings, "reminders", *args)

    preview = await asyncio.to_thread(command, "preview", "--date", "2027-03-24")
    assert preview.returncode == 0, preview.stderr
    assert "FY 2570 round 1, deadline 2027-03-31: the reminder 7 day(s) before" in preview.stdout
    assert "E005  นางสุดา ขยันเรียน  ->  line" in preview.stdout
    assert "E006  นายธนา เพื่อนร่วมงาน  ->  telegram" in preview.stdout
    assert "E007" not in preview.stdout
    assert "2 reminder(s); LINE messages it would use: 1" in preview.stdout
    assert await ReminderSent.all().count() == 0 and reminders(people["E005"]) == []
    for expected in (2, 0):
        run = await asyncio.to_thread(command, "run", "--now", "2027-03-24T09:00:00+07:00")
        assert run.returncode == 0, run.stderr
        assert f"{expected} reminder(s) queued" in run.stdout
    # The running service's delivery sweep sends what the command queued.
    await services.delivery.sweep()
    await services.notifier.drain()
    assert len(reminders(people["E005"])) == 1 and len(reminders(people["E006"])) == 1


async def test_the_scheduled_sweep_decides_a_finished_window_again_only_after_a_while(
    services, people, users_on
):
    now = at("2027-03-24 09:00")
    sweeper = ReminderSweeper(services)
    assert await sweeper.run(now) == 2
    boss = await users_on("line").linked("E004")  # links after the sweep
    assert await sweeper.run(now + dt.timedelta(minutes=5)) == 0  # same window, swept moments ago
    sweeper.recheck_seconds = 0
    assert await sweeper.run(now + dt.timedelta(minutes=10)) == 1
    await services.notifier.drain()
    assert len(reminders(boss)) == 1


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("reminder_offsets_days", "30,14,x", "REMINDER_OFFSETS_DAYS must be whole numbers of days"),
        ("reminder_time", "25:00", "REMINDER_TIME must be a time of day as HH:MM"),
        ("quiet_hours", "07:00-07:00", "covers the whole day"),
        ("quiet_hours", "20:00", "QUIET_HOURS must be two times"),
    ],
)
def test_bad_reminder_settings_are_refused(setting, value, message):
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **{setting: value})


def test_service_refuses_to_start_on_bad_settings(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path), "REMINDER_TIME": "25:00"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "configuration error: REMINDER_TIME must be a time of day as HH:MM between 00:00 and 23:59" in result.stderr


def test_offsets_close_when_the_next_one_opens():
    schedule = Schedule.from_settings(Settings(_env_file=None))
    deadline = dt.date(2027, 3, 31)
    expected = {
        "2027-03-01 08:59": None, "2027-03-01 09:00": 30, "2027-03-16 23:59": 30, "2027-03-17 08:59": None,
        "2027-03-20 12:00": 14, "2027-03-30 09:00": 1, "2027-03-31 23:59": 1, "2027-04-01 09:00": None,
    }
    assert {when: schedule.due_offset(at(when), deadline) for when in expected} == expected


def test_the_sweep_is_scheduled_and_runs_at_start_up(tmp_path):
    def job(enabled: bool):
        services = SimpleNamespace(settings=Settings(_env_file=None, data_dir=tmp_path, reminders_enabled=enabled))
        return build_scheduler(services, lambda: None).get_job("send_reminders")

    assert job(False) is None
    sweep_job = job(True)
    assert sweep_job is not None and sweep_job.next_run_time is not None


def suggested(text: str) -> list[str]:
    """The suggested courses' lines of a reminder (on LINE, after the alt text that repeats its start)."""
    lines = text.splitlines()
    header = "หลักสูตรแนะนำบน OCSC Learning Portal:"
    if header not in lines:
        return []
    start = len(lines) - lines[::-1].index(header)
    return [line for line in lines[start:] if line.startswith("• ")]


async def test_reminders_suggest_catalog_courses_in_categories_people_lack(services, people):
    assert await sweep(services, at("2027-03-24 09:00")) == 2
    # Thana has nothing yet and needs three courses: one from each category, digital skills first.
    [thana] = reminders(people["E006"])
    lines = suggested(thana)
    assert [line.rsplit("(", 1)[1] for line in lines] == [
        "หมวดทักษะดิจิทัล)", "หมวดการพัฒนากรอบความคิด)", "หมวดทักษะเชิงยุทธศาสตร์และภาวะผู้นำ)",
    ]
    assert lines[0].startswith("• DS")
    # Suda needs one more course and already has digital skills (DS01, and the agreed DS03 is listed
    # above): one suggestion, from a category she has none of, never a course she holds or agreed.
    [suda] = reminders(people["E005"])
    [line] = suggested(suda)
    assert line.startswith("• MS") and line.endswith("(หมวดการพัฒนากรอบความคิด)")


def test_suggestions_skip_what_a_person_holds_and_turn_with_their_id():
    from storage.course_suggestions import CourseSuggester, Suggestion

    catalog = [
        Suggestion(1, "DS01", "a", "ทักษะดิจิทัล"), Suggestion(2, "DS02", "b", "ทักษะดิจิทัล"),
        Suggestion(3, "MS01", "c", "การพัฒนากรอบความคิด"), Suggestion(4, "LS01", "d", "ทักษะด้านภาษา"),
    ]
    suggester = CourseSuggester(catalog, held={10: {1, 3}, 11: {1, 2, 3, 4}})
    # Holds DS01 and MS01: language (no course yet) first, then the one digital course left.
    assert [s.code for s in suggester.for_person(10, 3)] == ["LS01", "DS02"]
    assert suggester.for_person(11, 3) == []  # holds the whole catalog
    # An agreed digital course (DS02) already covers that category: the next category comes first.
    assert [s.code for s in suggester.for_person(12, 2, agreed=[2])] == ["MS01", "LS01"]
    # Two colleagues with nothing yet are pointed at different digital courses.
    assert {suggester.for_person(20, 1)[0].code, suggester.for_person(21, 1)[0].code} == {"DS01", "DS02"}
    assert len(suggester.for_person(20, 9)) == 3  # never more than three
