"""Days off: the calendar (weekends, Thai public holidays, agency days), admins keeping the agency's days
by chat, and the approval escalation that counts working days with them.

Songkran 2027 is Tuesday 13 – Thursday 15 April; Makha Bucha 2027 falls on Sunday 21 February,
so Monday 22 February is its substitution day.
"""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from fiscal.calendar import today_bangkok
from fiscal.days_off import DaysOff
from fiscal.thai_dates import official_date
from scheduler.jobs import escalate_overdue
from scheduler.setup import build_scheduler
from storage import days_off
from storage.models import DayOff, Submission
from tests.builders.roster import TEAM_CSV, load_roster
from tests.builders.submissions import confirm, read_submission
from tests.builders.clock import at

NOT_ALLOWED = "ขออภัยค่ะ คุณไม่มีสิทธิ์ใช้คำสั่งนี้"
USAGE = "วันหยุด เพิ่ม 16 เม.ย. 2570 วันหยุดจังหวัด"



def be_iso(day: dt.date) -> str:
    """As an admin types a date with a BE year: "2570-04-16"."""
    return f"{day.year + 543}-{day.month:02d}-{day.day:02d}"


def next_working_day(after_days: int) -> dt.date:
    """A coming weekday that is no Thai public holiday (found without the code under test)."""
    public = holidays.Thailand()
    day = today_bangkok() + dt.timedelta(days=after_days)
    while day.weekday() >= 5 or day in public:
        day += dt.timedelta(days=1)
    return day


def next_weekday_holiday() -> tuple[dt.date, str]:
    """The next Thai public holiday on a weekday, with its Thai name."""
    public = holidays.Thailand(language="th", years=range(today_bangkok().year, today_bangkok().year + 2))
    return min((d, n) for d, n in public.items() if d >= today_bangkok() and d.weekday() < 5)


# --- the calendar -----------------------------------------------------------------------------------


def test_weekends_public_holidays_substitution_days_and_agency_days():
    calendar = DaysOff({dt.date(2027, 3, 5): "วันหยุดจังหวัด"})
    assert calendar.is_day_off(dt.date(2027, 4, 14)) and calendar.holiday_name(dt.date(2027, 4, 14)) == "วันสงกรานต์"
    assert calendar.is_day_off(dt.date(2027, 2, 22)) and "ชดเชยวันมาฆบูชา" in calendar.holiday_name(dt.date(2027, 2, 22))
    assert calendar.is_day_off(dt.date(2027, 3, 5)) and calendar.holiday_name(dt.date(2027, 3, 5)) == "วันหยุดจังหวัด"
    assert calendar.is_day_off(dt.date(2027, 3, 6)) and calendar.holiday_name(dt.date(2027, 3, 6)) is None  # Saturday
    assert not calendar.is_day_off(dt.date(2027, 3, 4)) and calendar.holiday_name(dt.date(2027, 3, 4)) is None
    assert not DaysOff().is_day_off(dt.date(2027, 3, 5))  # only the agency made it one


def test_government_only_days_off_count_for_civil_servants():
    # The Royal Ploughing Ceremony is a day off in government offices, not for private employers.
    assert DaysOff().is_day_off(dt.date(2026, 5, 13)) and DaysOff().holiday_name(dt.date(2026, 5, 13)) == "วันพืชมงคล"


def test_working_days_skip_weekends_holidays_and_agency_days():
    calendar = DaysOff({dt.date(2027, 3, 5)})
    # Friday 9 April to Friday 16 April: Monday 12 and Friday 16; Songkran and the weekend are off.
    assert calendar.working_days_between(at("2027-04-09 10:00"), at("2027-04-16 10:00")) == 2
    assert calendar.working_days_between(at("2027-04-09 10:00"), at("2027-04-19 08:00")) == 3
    # Friday 19 February to Tuesday 23 February: the substitution Monday is off.
    assert calendar.working_days_between(at("2027-02-19 16:00"), at("2027-02-23 09:00")) == 1
    # Wednesday 3 March to Monday 8 March: Thursday 4 and Monday 8; the agency's Friday is off.
    assert calendar.working_days_between(at("2027-03-03 10:00"), at("2027-03-08 10:00")) == 2
    # Bangkok days, not UTC ones: 23:30 UTC on Thursday is already Friday in Bangkok.
    thursday_night = dt.datetime(2027, 3, 11, 23, 30, tzinfo=dt.UTC)
    assert calendar.working_days_between(thursday_night, at("2027-03-12 18:00")) == 0


def test_next_public_holidays_are_weekdays_only():
    listed = DaysOff().next_public_holidays(dt.date(2027, 2, 1), 2)
    # Makha Bucha on the Sunday is left out; its substitution Monday is listed.
    assert [day for day, _ in listed] == [dt.date(2027, 2, 22), dt.date(2027, 4, 6)]


# --- admins keep the agency's days off by chat ------------------------------------------------------------


@pytest.fixture
async def team(services, users_on):
    await load_roster(TEAM_CSV)
    return services


async def test_admin_adds_lists_and_removes_an_agency_day_off(team, users_on):
    admin = await users_on("line").linked("E003")
    day = next_working_day(20)
    await admin.says(f"วันหยุด เพิ่ม {official_date(day)} วันหยุดจังหวัด")
    assert f"เพิ่มวันหยุดของหน่วยงาน {official_date(day)} วันหยุดจังหวัด แล้วค่ะ" in admin.last()
    assert (await DayOff.get(day=day)).name == "วันหยุดจังหวัด"
    assert (await days_off.calendar()).is_day_off(day)

    await admin.says("วันหยุด")
    listing = next(text for text in admin.texts() if "วันหยุดของหน่วยงานที่กำลังจะมาถึง:" in text)
    assert f"• {official_date(day)} วันหยุดจังหวัด" in listing
    holiday, name = next_weekday_holiday()
    assert f"วันหยุดราชการถัดไป:\n• {official_date(holiday)} {name}" in listing
    assert USAGE in admin.last()

    # Added again under another name (a BE year in ISO form): renamed, still one row.
    await admin.says(f"วันหยุด เพิ่ม {be_iso(day)} วันหยุดพิเศษ")
    assert f"{official_date(day)} เป็นวันหยุดของหน่วยงานอยู่แล้ว เปลี่ยนชื่อเป็น วันหยุดพิเศษ แล้วค่ะ" in admin.last()
    assert await DayOff.filter(day=day).count() == 1

    await admin.says(f"วันหยุด ลบ {be_iso(day)}")
    assert f"ลบวันหยุดของหน่วยงาน {official_date(day)} วันหยุดพิเศษ แล้วค่ะ" in admin.last()
    assert not await DayOff.exists()
    await admin.says("วันหยุด")
    assert "วันหยุดของหน่วยงานที่กำลังจะมาถึง:\n• ยังไม่มีค่ะ" in admin.texts()[-2]


async def test_bad_input_gets_the_usage_and_changes_nothing(team, users_on):
    admin = await users_on("telegram").linked("E001")
    day = next_working_day(20)
    await admin.says("วันหยุด เพิ่ม 31 ก.พ. 2570 วันหยุดจังหวัด")
    assert "อ่านวันที่ \"31 ก.พ. 2570\" ไม่ได้ค่ะ" in admin.texts()[-2] and USAGE in admin.last()
    await admin.says(f"วันหยุด เพิ่ม {official_date(day)}")
    assert "กรุณาใส่ชื่อวันหยุดต่อท้ายวันที่ค่ะ" in admin.texts()[-2]
    await admin.says("วันหยุด เพิ่ม 2507-04-16 วันหยุดจังหวัด")  # 1964: a typo in the year
    assert "วันที่ต้องอยู่ระหว่าง" in admin.last()
    await admin.says("วันหยุด ย้าย 16 เม.ย. 2570")
    assert USAGE in admin.last()
    holiday, name = next_weekday_holiday()
    await admin.says(f"วันหยุด เพิ่ม {official_date(holiday)} วันหยุดจังหวัด")
    assert f"{official_date(holiday)} เป็นวันหยุดอยู่แล้วค่ะ ({name}) ไม่ต้องเพิ่ม" in admin.last()
    await admin.says(f"วันหยุด ลบ {official_date(holiday)}")
    assert f"{official_date(holiday)} เป็นวันหยุดราชการ ({name}) ลบไม่ได้ค่ะ" in admin.last()
    await admin.says(f"วันหยุด ลบ {official_date(day)}")
    assert f"{official_date(day)} ไม่ใช่วันหยุดของหน่วยงานค่ะ" in admin.last()
    saturday = day + dt.timedelta(days=5 - day.weekday())
    await admin.says(f"วันหยุด เพิ่ม {official_date(saturday)} วันหยุดจังหวัด")
    assert "เป็นวันหยุดอยู่แล้วค่ะ (" in admin.last() and not await DayOff.exists()
    assert not await DayOff.exists()


async def test_staff_cannot_change_days_off(team, chat_user):
    staff = await chat_user.linked("E005")
    day = next_working_day(20)
    await staff.says(f"วันหยุด เพิ่ม {official_date(day)} วันหยุดจังหวัด")
    assert NOT_ALLOWED in staff.last()
    await staff.says("วันหยุด")
    assert NOT_ALLOWED in staff.last()
    assert not await DayOff.exists()


# --- escalation counts working days ------------------------------------------------------------------


@pytest.fixture
async def waiting(team, users_on):
    """E005's certificate waiting for E004; returns (submission, E004's chat, E001's chat)."""
    owner = await users_on("line").linked("E005")
    boss, top = await users_on("line").linked("E004"), await users_on("telegram").linked("E001")
    sub = await read_submission(team, "E005")
    await confirm(owner, sub)
    return sub, boss, top


async def assigned_on(sub: Submission, when: dt.datetime) -> None:
    await Submission.filter(id=sub.id).update(assigned_at=when)


async def test_songkran_is_not_counted_as_working_days(team, waiting):
    sub, boss, top = waiting
    await assigned_on(sub, at("2027-04-09 10:00"))  # the Friday before Songkran
    # A week later only Monday 12 and Friday 16 were working days (weekdays alone would make five).
    assert await escalate_overdue(team, now=at("2027-04-16 10:00")) == 0
    assert await escalate_overdue(team, now=at("2027-04-19 10:00")) == 1
    await team.notifier.drain()
    assert "รอพิจารณาเกิน 3 วันทำการ จึงส่งต่อให้ นางมาลี ใจงาม" in boss.last()
    assert any("ส่งต่อมาถึงคุณ" in text and f"#{sub.id}" in text for text in top.texts())


async def test_an_agency_day_off_is_not_counted(team, waiting):
    sub, boss, _ = waiting
    await days_off.add(dt.date(2027, 3, 5), "วันหยุดจังหวัด")
    await assigned_on(sub, at("2027-03-03 10:00"))  # a Wednesday
    # Thursday 4 and Monday 8 are working days; the agency's Friday 5 is not.
    assert await escalate_overdue(team, now=at("2027-03-08 10:00")) == 0
    assert await escalate_overdue(team, now=at("2027-03-09 10:00")) == 1
    assert (await Submission.get(id=sub.id)).escalations == 1


async def test_the_scheduled_escalation_rests_on_days_off(team, waiting):
    sub, boss, _ = waiting
    await assigned_on(sub, at("2027-04-01 10:00"))  # long overdue by Songkran
    job = build_scheduler(team, lambda: None).get_job("escalate_overdue")
    assert await job.func(*job.args, now=at("2027-04-14 10:00")) == 0  # Songkran
    await days_off.add(dt.date(2027, 4, 16), "วันหยุดพิเศษ")
    assert await job.func(*job.args, now=at("2027-04-16 10:00")) == 0  # the agency's day off
    assert (await Submission.get(id=sub.id)).escalations == 0
    assert await job.func(*job.args, now=at("2027-04-19 10:00")) == 1
    await team.notifier.drain()
    assert "ส่งต่อให้ นางมาลี ใจงาม" in boss.last()
