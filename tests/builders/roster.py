"""Small fictional rosters used by the tests, and helpers to load one and issue link codes."""

from __future__ import annotations

from storage import link_codes, roster
from storage.models import Staff

HEADER = "employee_code,title,first_name,last_name,position,unit,supervisor_code,role,target_group\n"

# A director who is also an admin, a staff member under her, and the HR admin.
ROSTER_CSV = HEADER + """\
E001,นาง,มาลี,ใจงาม,ผู้อำนวยการ,สำนักงานทดสอบ,,supervisor+admin,บริหาร
E002,นาย,สมชาย,ทดสอบดี,นักวิชาการศึกษาชำนาญการ,สำนักงานทดสอบ > กลุ่มส่งเสริม,E001,staff,มีประสบการณ์
E003,นางสาว,วิไล,ตั้งใจ,นักทรัพยากรบุคคล,สำนักงานทดสอบ > กลุ่มอำนวยการ,E001,admin,แรกบรรจุ
"""

# The approval chain: the director (E001), the HR admin (E003), a group head (E004) and two of his staff.
TEAM_CSV = HEADER + """\
E001,นาง,มาลี,ใจงาม,ผู้อำนวยการ,สำนักงานทดสอบ,,supervisor+admin,บริหาร
E003,นางสาว,วิไล,ตั้งใจ,นักทรัพยากรบุคคล,สำนักงานทดสอบ > กลุ่มอำนวยการ,E001,admin,แรกบรรจุ
E004,นาย,ประเสริฐ,คุมงาน,ผู้อำนวยการกลุ่ม,สำนักงานทดสอบ > กลุ่มส่งเสริม,E001,supervisor,อำนวยการ
E005,นาง,สุดา,ขยันเรียน,นักวิชาการศึกษา,สำนักงานทดสอบ > กลุ่มส่งเสริม,E004,staff,มีประสบการณ์
E006,นาย,ธนา,เพื่อนร่วมงาน,นักวิชาการศึกษา,สำนักงานทดสอบ > กลุ่มส่งเสริม,E004,staff,มีประสบการณ์
"""

# The team plus E007, a third staff member of E004's (the progress builders have him meet the target).
PROGRESS_TEAM_CSV = TEAM_CSV + "E007,นาย,เก่ง,เรียนครบ,นักวิชาการศึกษา,สำนักงานทดสอบ > กลุ่มส่งเสริม,E004,staff,แรกบรรจุ\n"

# The learner named on the shared sample certificate, under E001; add to ROSTER_CSV.
LEARNER_ROW = "E010,นาย,สมชาย,รักเรียน,นักวิชาการศึกษา,สำนักงานทดสอบ > กลุ่มส่งเสริม,E001,staff,มีประสบการณ์\n"


async def load_roster(text: str = ROSTER_CSV) -> None:
    """Import a test roster; fails the test on any row error."""
    rows, errors = roster.parse(roster.read_table(text.encode(), "roster.csv"))
    result = await roster.import_roster(rows, errors)
    assert result.ok, result.errors


async def code_for(employee_code: str) -> str:
    """A fresh link code for one staff member."""
    staff = await Staff.get(employee_code=employee_code)
    [(_, code)] = await link_codes.issue([staff])
    return code
