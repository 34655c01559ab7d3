"""Supervisor approval end to end: prompts on every linked channel, one-tap decisions, authority checks,
races, delegation, escalation and the audit trail."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys

import pytest

from bot.app import SERVICES
from scheduler.jobs import escalate_overdue
from storage.models import AuditRecord, Submission
from tests.builders.certificates import SAMPLE, jpeg, settle_ocr
from tests.builders.chat import link, settle
from tests.builders.paths import REPO
from tests.builders.roster import TEAM_CSV, load_roster
from tests.builders.submissions import confirm, read_submission
from tests.fakes.line_events import postback_event
from tests.fakes.telegram_updates import callback_update


@pytest.fixture
async def people(client, line_user, telegram_user):
    await load_roster(TEAM_CSV)
    return client.server.app[SERVICES]


async def test_photo_confirm_prompt_approve_notify_across_channels(client, people, line_user, telegram_user):
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


async def test_the_prompt_reaches_the_supervisor_and_the_approval_the_owner(client, people, chat_user):
    staff = await chat_user.linked("E005")
    boss = await chat_user.linked("E004")
    sub = await read_submission(people, "E005")
    await confirm(staff, sub)
    prompt = boss.last()
    assert f"ขออนุมัติใบประกาศ #{sub.id}" in prompt and "ผู้ส่ง: นางสุดา ขยันเรียน" in prompt
    assert "การเขียนหนังสือราชการ" in prompt and "6 ชั่วโมง" in prompt
    await boss.presses("✅ อนุมัติ")
    assert f"อนุมัติใบประกาศ #{sub.id} ของ นางสุดา ขยันเรียน แล้วค่ะ" in boss.texts()
    assert "ได้รับอนุมัติแล้วโดย นายประเสริฐ คุมงาน" in staff.last()
    assert (await Submission.get(id=sub.id)).status == "approved"
    # What becomes of the prompt is where the channels differ.
    decided = f"รายการ #{sub.id}: อนุมัติแล้วโดย นายประเสริฐ คุมงาน"
    if chat_user.channel == "telegram":
        # Edited in place: it now says who decided, and its buttons are gone.
        assert prompt not in boss.texts() and any(decided in t for t in boss.texts())
        with pytest.raises(AssertionError, match="no button"):
            boss.button_data("✅ อนุมัติ")
    elif chat_user.channel == "sim":
        # The page shows the edit as a new message under the prompt.
        assert prompt in boss.texts() and decided in boss.last()
    else:
        # LINE cannot edit a sent message: the prompt keeps its buttons, and a second tap is answered.
        assert prompt in boss.texts() and not any(decided in t for t in boss.texts())
        await boss.presses("✅ อนุมัติ")
        assert f"รายการ #{sub.id} ถูกอนุมัติไปแล้วโดย นายประเสริฐ คุมงาน เมื่อ" in boss.last()
    assert await AuditRecord.filter(submission_id=sub.id, action="approved").count() == 1


async def test_reject_with_reason_reaches_the_owner(client, people, chat_user):
    staff = await chat_user.linked("E005")
    boss = await chat_user.linked("E004")
    sub = await read_submission(people, "E005")
    await confirm(staff, sub)
    await boss.presses("❌ ไม่อนุมัติ")
    assert "เลือกเหตุผล" in boss.last()
    await boss.presses("พิมพ์เหตุผลเอง")
    await boss.says("ชั่วโมงไม่ตรงกับที่ตกลงกันไว้")
    assert f"ไม่อนุมัติใบประกาศ #{sub.id}" in "\n".join(boss.texts())  # on /sim the prompt's edit comes after
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
    await asyncio.gather(
        first.post([postback_event(first.user_id, line_data, first.token())]),
        second.post(callback_update(second.next_update_id(), second.user_id, tg_data, 1)),
    )
    await settle(client)
    answers = [first.last(), second.last()]
    assert sum("อนุมัติใบประกาศ #" in a for a in answers) == 1
    assert sum("ถูกอนุมัติไปแล้วโดย" in a for a in answers) == 1
    assert await AuditRecord.filter(submission_id=sub.id, action="approved").count() == 1


async def test_presses_without_authority_change_nothing(client, people, chat_user):
    owner = await chat_user.linked("E005")
    boss = await chat_user.linked("E004")
    colleague = await chat_user.linked("E006")
    sub = await read_submission(people, "E005")
    await confirm(owner, sub)
    data = boss.button_data("✅ อนุมัติ")
    # A colleague replays the supervisor's button.
    await colleague.sends_action(data)
    assert "ไม่มีสิทธิ์พิจารณา" in colleague.last()
    # The owner replays it.
    await owner.sends_action(data)
    assert "ไม่สามารถอนุมัติใบประกาศของตนเองได้" in owner.last()
    # A tampered token.
    forged = data[:-3] + ("AAA" if not data.endswith("AAA") else "BBB")
    await boss.sends_action(forged)
    assert "ปุ่มนี้ไม่ถูกต้อง" in boss.last()
    assert (await Submission.get(id=sub.id)).status == "confirmed"
    assert not await AuditRecord.filter(submission_id=sub.id, action="approved").exists()


async def test_an_admin_cannot_approve_their_own_submission(client, people, chat_user):
    owner = await chat_user.linked("E003")  # an admin
    sub = await read_submission(people, "E003")
    await confirm(owner, sub)
    await owner.sends_action("ap.a|" + "x" * 16)
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
    # Two weeks hold 3 working days whatever the holidays (a week from before Songkran holds 2).
    assert await escalate_overdue(people, now=assigned + dt.timedelta(days=14)) == 1
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
