"""Shared data for the progress and report tests: a roster, approved certificates, linked users."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from fiscal.calendar import assessment_round, fiscal_year_of, today_bangkok
from storage.models import Course, RequiredCourse, Staff, Submission
from tests.builders.roster import code_for, load_roster

ROSTER = """employee_code,title,first_name,last_name,position,unit,supervisor_code,role,target_group
E001,นาง,มาลี,ใจงาม,ผู้อำนวยการ,สำนักงานทดสอบ,,supervisor+admin,บริหาร
E003,นางสาว,วิไล,ตั้งใจ,นักทรัพยากรบุคคล,สำนักงานทดสอบ > กลุ่มอำนวยการ,E001,admin,แรกบรรจุ
E004,นาย,ประเสริฐ,คุมงาน,ผู้อำนวยการกลุ่ม,สำนักงานทดสอบ > กลุ่มส่งเสริม,E001,supervisor,อำนวยการ
E005,นาง,สุดา,ขยันเรียน,นักวิชาการศึกษา,สำนักงานทดสอบ > กลุ่มส่งเสริม,E004,staff,มีประสบการณ์
E006,นาย,ธนา,เพื่อนร่วมงาน,นักวิชาการศึกษา,สำนักงานทดสอบ > กลุ่มส่งเสริม,E004,staff,มีประสบการณ์
E007,นาย,เก่ง,เรียนครบ,นักวิชาการศึกษา,สำนักงานทดสอบ > กลุ่มส่งเสริม,E004,staff,แรกบรรจุ
"""


def this_year() -> int:
    """The fiscal year the bot considers current."""
    return fiscal_year_of(today_bangkok())


def this_round_start() -> dt.date:
    """First day of the current round (a safe completion date for "this round")."""
    today = today_bangkok()
    fy = fiscal_year_of(today)
    first = assessment_round(fy, 1)
    return first.start if today <= first.end else assessment_round(fy, 2).start


_seq = iter(range(1, 10**9))


async def approved(
    employee_code: str,
    *,
    course_code: str | None = None,
    title: str = "หลักสูตรนอกแคตตาล็อก",
    hours: int | str = 6,
    on: dt.date | None = None,
    status: str = "approved",
) -> Submission:
    """A certificate already decided (or waiting), straight in the database."""
    staff = await Staff.get(employee_code=employee_code)
    course = await Course.get(code=course_code) if course_code else None
    boss = await Staff.get(employee_code="E004")
    n = next(_seq)
    return await Submission.create(
        staff=staff, status=status, channel="sim", chat=f"staff-{employee_code}",
        file_sha256=hashlib.sha256(f"{employee_code}-{n}".encode()).hexdigest(), file_name="c.png",
        file_mime="image/png", file_size=1, course=course, course_title=course.name if course else title,
        kind="course", hours=Decimal(str(hours)), completed_on=on or this_round_start(),
        decided_by=boss if status == "approved" else None,
        decided_at=dt.datetime.now(dt.UTC) if status == "approved" else None,
    )


async def require(employee_code: str, course_code: str) -> None:
    """An agreed course for this fiscal year."""
    staff = await Staff.get(employee_code=employee_code)
    course = await Course.get(code=course_code)
    await RequiredCourse.create(staff=staff, course=course, fiscal_year=this_year())


async def seed_team() -> None:
    """E005 half-way (2 courses, one pending, an agreed course missing), E006 nothing, E007 met."""
    await load_roster(ROSTER)
    await approved("E005", course_code="DS01", hours=6)
    await approved("E005", title="การเขียนหนังสือราชการ", hours=12)
    await approved("E005", title="รอพิจารณา", hours=3, status="confirmed")
    await require("E005", "DS01")
    await require("E005", "DS03")
    for _ in range(3):
        await approved("E007", course_code="DS04", hours=3)


async def chat_user(kind: str, employee_code: str, line_user, telegram_user, sim_user):
    """A user of the given channel, linked to a staff member."""
    if kind == "sim":
        return sim_user(employee_code)
    user = line_user() if kind == "line" else telegram_user()
    await user.says(await code_for(employee_code))
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(user.texts())
    return user
