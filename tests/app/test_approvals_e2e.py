"""Supervisor approval end to end: prompts on every linked channel, one-tap decisions, authority checks,
races, delegation, escalation and the audit trail."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from bot.app import SERVICES
from scheduler.jobs import escalate_overdue
from storage.models import AuditRecord, Staff, Submission
from tests.builders.chat import settle
from tests.fakes.line_events import postback_event
from tests.builders.roster import code_for, load_roster

REPO = Path(__file__).resolve().parents[2]
ROSTER = """employee_code,title,first_name,last_name,position,unit,supervisor_code,role,target_group
E001,นาง,มาลี,ใจงาม,ผู้อำนวยการ,สำนักงานทดสอบ,,supervisor+admin,บริหาร
E003,นางสาว,วิไล,ตั้งใจ,นักทรัพยากรบุคคล,สำนักงานทดสอบ > กลุ่มอำนวยการ,E001,admin,แรกบรรจุ
E004,นาย,ประเสริฐ,คุมงาน,ผู้อำนวยการกลุ่ม,สำนักงานทดสอบ > กลุ่มส่งเสริม,E001,supervisor,อำนวยการ
E005,นาง,สุดา,ขยันเรียน,นักวิชาการศึกษา,สำนักงานทดสอบ > กลุ่มส่งเสริม,E004,staff,มีประสบการณ์
E006,นาย,ธนา,เพื่อนร่วมงาน,นักวิชาการศึกษา,สำนักงานทดสอบ > กลุ่มส่งเสริม,E004,staff,มีประสบการณ์
"""


async def link(user, employee_code: str):
    await user.says(await code_for(employee_code))
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(user.texts())
    return user


async def read_submission(services, employee_code: str, *, warnings=None) -> Submission:
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


async def confirm(owner, submission: Submission) -> None:
    """The owner presses the card's confirm button (sent here as the action the card carries)."""
    data = f"cert.confirm|{submission.id}"
    if owner.channel == "line":
        await owner.send(postback_event(owner.user_id, data, owner.token()))
    else:
        from tests.fakes.telegram_updates import callback_update

        await owner.send(callback_update(owner.next_update_id(), owner.user_id, data, 1))
    assert f"(รายการ #{submission.id})" in "\n".join(owner.texts())


@pytest.fixture
async def people(client, line_user, telegram_user):
    await load_roster(ROSTER)
    return client.server.app[SERVICES]


async def test_photo_confirm_prompt_approve_notify_across_channels(client, people, line_user, telegram_user):
    from tests.app.test_certificates_e2e import SAMPLE, jpeg, settle_ocr

    staff = await link(telegram_user(), "E005")
    boss = await link(line_user(), "E004")
    await staff.sends_file(jpeg(SAMPLE), "c.jpg", image=True, mime="image/jpeg")
    await settle_ocr(client)
    await staff.presses("✅ ยืนยัน")
    assert "ให้ผู้บังคับบัญชาพิจารณาแล้ว" in "\n".join(staff.texts())
    prompt = boss.last()
    assert "ขออนุมัติใบประกาศ #" in prompt and "ผู้ส่ง: นางสุดา ขยันเรียน" in prompt
    assert "ผู้นำทีมที่มีประสิทธิภาพ" in prompt and "45 ชั่วโมง" in prompt
    assert "ชื่อบนใบประกาศ (นายสมชาย รักเรียน) ไม่ตรงกับชื่อในทะเบียน" in prompt
    await boss.presses("✅ อนุมัติ")
    assert "อนุมัติใบประกาศ #" in boss.last()
    assert "ได้รับอนุมัติแล้วโดย นายประเสริฐ คุมงาน" in staff.last()
    assert (await Submission.get()).status == "approved"


async def test_reject_with_reason_from_telegram_to_line(client, people, line_user, telegram_user):
    staff = await link(line_user(), "E005")
    boss = await link(telegram_user(), "E004")
    sub = await read_submission(people, "E005")
    await confirm(staff, sub)
    await boss.presses("❌ ไม่อนุมัติ")
    assert "เลือกเหตุผล" in boss.last()
    await boss.presses("พิมพ์เหตุผลเอง")
    await boss.says("ชั่วโมงไม่ตรงกับที่ตกลงกันไว้")
    assert "ไม่อนุมัติใบประกาศ" in boss.last()
    assert "เหตุผล: ชั่วโมงไม่ตรงกับที่ตกลงกันไว้" in staff.last()
    assert "ส่งรูปใบประกาศใหม่ได้" in staff.last()
    stored = await Submission.get(id=sub.id)
    assert (stored.status, stored.decision_reason) == ("rejected", "ชั่วโมงไม่ตรงกับที่ตกลงกันไว้")


async def test_decided_on_one_channel_then_pressed_on_the_other(client, people, line_user, telegram_user, telegram_api):
    staff = await link(line_user(), "E005")
    boss_tg, boss_line = await link(telegram_user(), "E004"), await link(line_user(), "E004")
    sub = await read_submission(people, "E005")
    await confirm(staff, sub)
    await boss_tg.presses("✅ อนุมัติ")
    # The Telegram prompt lost its buttons and says who decided.
    edited = [m for m in telegram_api.messages_to(boss_tg.user_id) if "อนุมัติแล้วโดย" in (m.get("text") or "")]
    assert edited and not edited[-1].get("reply_markup")
    await boss_line.presses("✅ อนุมัติ")
    assert f"รายการ #{sub.id} ถูกอนุมัติไปแล้วโดย นายประเสริฐ คุมงาน เมื่อ" in boss_line.last()
    assert await AuditRecord.filter(submission_id=sub.id, action="approved").count() == 1


async def test_two_admins_press_at_once_and_one_wins(client, people, line_user, telegram_user):
    staff = await link(line_user(), "E003")  # E003's supervisor is E001; admins E001 and... E003 herself
    first, second = await link(line_user(), "E001"), await link(telegram_user(), "E001")
    sub = await read_submission(people, "E003")
    await confirm(staff, sub)
    line_data = first.button_data("✅ อนุมัติ")
    tg_markup = [m for m in second.fake.messages_to(second.user_id) if m.get("reply_markup")][-1]["reply_markup"]
    tg_data = [b["callback_data"] for row in tg_markup["inline_keyboard"] for b in row if b["text"] == "✅ อนุมัติ"][0]
    from tests.fakes.telegram_updates import callback_update

    await asyncio.gather(
        first.post([postback_event(first.user_id, line_data, first.token())]),
        second.post(callback_update(second.next_update_id(), second.user_id, tg_data, 1)),
    )
    await settle(client)
    answers = [first.last(), second.last()]
    assert sum("อนุมัติใบประกาศ #" in a for a in answers) == 1
    assert sum("ถูกอนุมัติไปแล้วโดย" in a for a in answers) == 1
    assert await AuditRecord.filter(submission_id=sub.id, action="approved").count() == 1


async def test_presses_without_authority_change_nothing(client, people, line_user):
    owner = await link(line_user(), "E005")
    boss = await link(line_user(), "E004")
    colleague = await link(line_user(), "E006")
    sub = await read_submission(people, "E005")
    await confirm(owner, sub)
    data = boss.button_data("✅ อนุมัติ")
    # A colleague replays the supervisor's button.
    await colleague.send(postback_event(colleague.user_id, data, colleague.token()))
    assert "ไม่มีสิทธิ์พิจารณา" in colleague.last()
    # The owner replays it.
    await owner.send(postback_event(owner.user_id, data, owner.token()))
    assert "ไม่สามารถอนุมัติใบประกาศของตนเองได้" in owner.last()
    # A tampered token.
    forged = data[:-3] + ("AAA" if not data.endswith("AAA") else "BBB")
    await boss.send(postback_event(boss.user_id, forged, boss.token()))
    assert "ปุ่มนี้ไม่ถูกต้อง" in boss.last()
    assert (await Submission.get(id=sub.id)).status == "confirmed"
    assert not await AuditRecord.filter(submission_id=sub.id, action="approved").exists()


async def test_an_admin_cannot_approve_their_own_submission(client, people, line_user):
    owner = await link(line_user(), "E003")  # an admin
    sub = await read_submission(people, "E003")
    await confirm(owner, sub)
    await owner.send(postback_event(owner.user_id, "ap.a|" + "x" * 16, owner.token()))
    assert (await Submission.get(id=sub.id)).status == "confirmed"
    # No prompt was ever addressed to the submitter herself.
    assert not any("ขออนุมัติใบประกาศ" in t for t in owner.texts())


async def test_delegation_in_and_out_of_its_dates(client, people, line_user):
    owner = await link(line_user(), "E005")
    boss = await link(line_user(), "E004")
    acting = await link(line_user(), "E006")
    sub = await read_submission(people, "E005")
    await confirm(owner, sub)
    later = dt.date.today() + dt.timedelta(days=10)
    await boss.says(f"รักษาราชการแทน E006 {later} {later + dt.timedelta(days=3)}")
    assert "มอบหมายให้ นายธนา เพื่อนร่วมงาน พิจารณาแทน" in boss.last()
    await acting.says("รออนุมัติ")
    assert "ไม่มีรายการรออนุมัติ" in acting.last()
    today = dt.date.today()
    await boss.says(f"รักษาราชการแทน E006 {today} {today + dt.timedelta(days=3)}")
    assert any(f"ขออนุมัติใบประกาศ #{sub.id}" in t for t in acting.texts())
    await acting.presses("✅ อนุมัติ")
    assert f"อนุมัติใบประกาศ #{sub.id}" in acting.last()
    assert await AuditRecord.filter(submission_id=sub.id, action="delegated").count() == 1


async def test_escalation_after_the_sla(client, people, line_user):
    owner = await link(line_user(), "E005")
    boss, top = await link(line_user(), "E004"), await link(line_user(), "E001")
    sub = await read_submission(people, "E005")
    await confirm(owner, sub)
    assigned = (await Submission.get(id=sub.id)).assigned_at
    assert await escalate_overdue(people, now=assigned + dt.timedelta(days=1)) == 0
    assert await escalate_overdue(people, now=assigned + dt.timedelta(days=7)) == 1
    await settle(client)
    assert "ส่งต่อให้ นางมาลี ใจงาม" in boss.last()
    assert any("ส่งต่อมาถึงคุณ" in t and f"#{sub.id}" in t for t in top.texts())
    await top.presses("✅ อนุมัติ")
    assert (await Submission.get(id=sub.id)).status == "approved"
    # The original approver's prompt no longer carries authority.
    await boss.presses("✅ อนุมัติ")
    assert "ถูกอนุมัติไปแล้ว" in boss.last() or "ไม่มีสิทธิ์" in boss.last()


async def test_pending_list_and_approve_all_without_warnings(client, people, line_user):
    owner = await link(line_user(), "E005")
    boss = await link(line_user(), "E004")
    clean = await read_submission(people, "E005")
    flagged = await read_submission(people, "E005", warnings=[{"code": "course_not_in_catalog"}])
    await confirm(owner, clean)
    await confirm(owner, flagged)
    await boss.says("รออนุมัติ")
    listing = [t for t in boss.texts() if "รายการรออนุมัติ 2 รายการ" in t][-1]
    assert listing.index(f"#{clean.id}") < listing.index(f"#{flagged.id}")
    await boss.presses("อนุมัติทั้งหมดที่ไม่มีคำเตือน (1)")
    assert "จะอนุมัติ 1 รายการ" in boss.last()
    await boss.presses("ยืนยันอนุมัติ 1 รายการ")
    assert "อนุมัติแล้ว 1 รายการ" in boss.last()
    assert (await Submission.get(id=clean.id)).status == "approved"
    assert (await Submission.get(id=flagged.id)).status == "confirmed"


async def test_team_view(client, people, line_user):
    boss = await link(line_user(), "E004")
    sub = await read_submission(people, "E005")
    await Submission.filter(id=sub.id).update(status="approved")
    await boss.says("ทีมของฉัน")
    assert "นางสุดา ขยันเรียน: ปีนี้ 1 หลักสูตร 6 ชม." in boss.last()
    assert "🔴 นายธนา เพื่อนร่วมงาน: ปีนี้ 0 หลักสูตร" in boss.last()


async def test_audit_command_prints_the_history(client, people, line_user, settings):
    owner = await link(line_user(), "E005")
    boss = await link(line_user(), "E004")
    sub = await read_submission(people, "E005")
    await confirm(owner, sub)
    await boss.presses("✅ อนุมัติ")
    env = {**os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(settings.data_dir)}
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "audit", str(sub.id)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"submission {sub.id}: status approved" in lines[0]
    actions = [line.split()[2] for line in lines[2:]]
    assert actions == ["confirmed", "approved"]
    assert "confirmed -> approved" in lines[-1] and "E004" in lines[-1] and "line" in lines[-1]
