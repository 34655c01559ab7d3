"""A small fictional roster used by the tests, and helpers to load it and issue link codes."""

from __future__ import annotations

from storage import link_codes, roster
from storage.models import Staff

ROSTER_CSV = """employee_code,title,first_name,last_name,position,unit,supervisor_code,role,target_group
E001,นาง,มาลี,ใจงาม,ผู้อำนวยการ,สำนักงานทดสอบ,,supervisor+admin,บริหาร
E002,นาย,สมชาย,ทดสอบดี,นักวิชาการศึกษาชำนาญการ,สำนักงานทดสอบ > กลุ่มส่งเสริม,E001,staff,มีประสบการณ์
E003,นางสาว,วิไล,ตั้งใจ,นักทรัพยากรบุคคล,สำนักงานทดสอบ > กลุ่มอำนวยการ,E001,admin,แรกบรรจุ
"""


async def load_roster(text: str = ROSTER_CSV) -> None:
    """Import the test roster; fails the test on any row error."""
    rows, errors = roster.parse(roster.read_table(text.encode(), "roster.csv"))
    result = await roster.import_roster(rows, errors)
    assert result.ok, result.errors


async def code_for(employee_code: str) -> str:
    """A fresh link code for one staff member."""
    staff = await Staff.get(employee_code=employee_code)
    [(_, code)] = await link_codes.issue([staff])
    return code
