"""Submissions put straight in the database at a given step, and the owner's confirm tap."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal
from typing import Any

from PIL import Image

from fiscal.calendar import assessment_round, fiscal_year_of, today_bangkok
from storage.models import Course, Staff, Submission
from tests.builders.chat import ChatUser


def this_year() -> int:
    """The fiscal year the bot considers current."""
    return fiscal_year_of(today_bangkok())


def this_round_start() -> dt.date:
    """First day of the current round (a safe completion date for "this round")."""
    today = today_bangkok()
    fy = fiscal_year_of(today)
    first = assessment_round(fy, 1)
    return first.start if today <= first.end else assessment_round(fy, 2).start


async def read_submission(services: Any, employee_code: str, *, warnings: list[dict] | None = None) -> Submission:
    """A certificate already read by the OCR worker, waiting for its owner to confirm."""
    picture = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(picture, "PNG")
    stored = await services.files.put(picture.getvalue() + employee_code.encode())
    staff = await Staff.get(employee_code=employee_code)
    return await Submission.create(
        staff=staff, status="read", channel="sim", chat=f"staff-{employee_code}",
        file_sha256=stored.sha256, file_name="c.png", file_mime="image/png", file_size=stored.size,
        name_read=staff.display_name, course_title="การเขียนหนังสือราชการ", kind="course",
        hours=Decimal(6), completed_on=dt.date.today(), fiscal_year=2570, round=1,
        warnings=warnings or [], confidence=0.95,
    )


async def confirm(owner: ChatUser, submission: Submission) -> None:
    """The owner presses the card's confirm button (sent here as the action the card carries)."""
    await owner.sends_action(f"cert.confirm|{submission.id}")
    assert f"(รายการ #{submission.id})" in "\n".join(owner.texts())


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
    """A certificate already decided (or waiting), decided by E004 when approved."""
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
