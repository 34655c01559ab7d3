"""A team half-way through the year, for the progress and report tests."""

from __future__ import annotations

from storage.models import Course, RequiredCourse, Staff
from tests.builders.roster import PROGRESS_TEAM_CSV, load_roster
from tests.builders.submissions import approved, this_year


async def require(employee_code: str, course_code: str) -> None:
    """An agreed course for this fiscal year."""
    staff = await Staff.get(employee_code=employee_code)
    course = await Course.get(code=course_code)
    await RequiredCourse.create(staff=staff, course=course, fiscal_year=this_year())


async def seed_team() -> None:
    """E005 half-way (2 courses, one pending, an agreed course missing), E006 nothing, E007 met."""
    await load_roster(PROGRESS_TEAM_CSV)
    await approved("E005", course_code="DS01", hours=6)
    await approved("E005", title="การเขียนหนังสือราชการ", hours=12)
    await approved("E005", title="รอพิจารณา", hours=3, status="confirmed")
    await require("E005", "DS01")
    await require("E005", "DS03")
    for _ in range(3):
        await approved("E007", course_code="DS04", hours=3)
