"""Progress end to end on LINE, Telegram and /sim: a staff member, a supervisor and an admin each see
the right figures; target changes take effect; agreed courses show done or missing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from fiscal.calendar import assessment_round, today_bangkok
from fiscal.thai_dates import official_date
from storage.models import RequiredCourse, Staff
from tests.builders.paths import REPO
from tests.builders.progress import seed_team
from tests.builders.submissions import approved, this_year


def round_now() -> int:
    return 1 if today_bangkok() <= assessment_round(this_year(), 1).end else 2


@pytest.fixture
async def team(client):
    await seed_team()


async def test_staff_sees_progress(client, team, chat_user):
    user = await chat_user.linked("E005")
    await user.says("ความก้าวหน้า")
    text = user.last()
    fy = this_year()
    assert f"ความก้าวหน้า ปีงบประมาณ {fy}" in text
    assert "▓▓▓▓▓▓▓░░░ 67% ของเป้าหมาย" in text
    assert "เป้าหมาย: อย่างน้อย 3 หลักสูตร หรือ 60 ชั่วโมง (10 วัน) ต่อปีงบประมาณ (ค่าเริ่มต้น)" in text
    assert f"ปีงบประมาณ {fy} (1 ต.ค. {fy - 1} – 30 ก.ย. {fy}): อนุมัติแล้ว 2 หลักสูตร 18 ชม. (3 วัน)" in text
    assert f"รอบที่ {round_now()} (" in text and "อนุมัติแล้ว 2 หลักสูตร 18 ชม." in text
    assert "รอตรวจ/รออนุมัติ: 1 รายการ" in text
    assert "✅ DS01 Data Visualization (ผ่านแล้ว)" in text
    assert "⬜ DS03 ความมั่นคงปลอดภัยบนอินเทอร์เน็ต" in text and "(ยังไม่มีใบประกาศที่อนุมัติ)" in text
    assert "ยังขาด: 1 หลักสูตร หรือ 42 ชม. (7 วัน) และ หลักสูตรที่ตกลงไว้อีก 1 หลักสูตร" in text
    deadline = assessment_round(fy, round_now()).end
    assert f"กำหนดส่งรอบที่ {round_now()}: {official_date(deadline)} (อีก {(deadline - today_bangkok()).days} วัน)" in text


async def test_menu_button_and_met_target(client, team, users_on):
    user = await users_on("telegram").linked("E007")
    await user.says("เมนู")
    await user.presses("ความก้าวหน้า")
    assert "🎉 ผ่านเป้าหมายแล้ว" in user.last()
    assert "▓▓▓▓▓▓▓▓▓▓ 100% ของเป้าหมาย" in user.last()


async def test_supervisor_team_needs_attention_first(client, team, chat_user):
    boss = await chat_user.linked("E004")
    await boss.says("ทีมของฉัน")
    text = boss.last()
    assert f"ทีมของคุณ ปีงบประมาณ {this_year()} รอบที่ {round_now()} (3 คน)" in text
    assert "ผ่านเป้าหมาย 1 · ตามแผน 1 · ล่าช้า 0 · ยังไม่มีผลงาน 1" in text
    nobody = "🔴 นายธนา เพื่อนร่วมงาน: ปีนี้ 0 หลักสูตร 0 ชม. (รอบนี้ 0 หลักสูตร) · ยังไม่มีผลงาน"
    halfway = "🟡 นางสุดา ขยันเรียน: ปีนี้ 2 หลักสูตร 18 ชม. (รอบนี้ 2 หลักสูตร) · ตามแผน · ขาดหลักสูตรที่ตกลง 1 · รอตรวจ 1"
    done = "🟢 นายเก่ง เรียนครบ: ปีนี้ 3 หลักสูตร 9 ชม. (รอบนี้ 3 หลักสูตร) · ผ่านเป้าหมาย"
    assert nobody in text and halfway in text and done in text
    assert text.index(nobody) < text.index(halfway) < text.index(done)


async def test_staff_cannot_see_team(client, team, users_on):
    user = await users_on("sim").linked("E005")
    await user.says("ทีมของฉัน")
    assert "ทีมของคุณ" not in user.last()


async def test_admin_agency_summary(client, team, chat_user):
    admin = await chat_user.linked("E003")
    await admin.says("สรุปหน่วยงาน")
    text = admin.last()
    assert f"สรุปหน่วยงาน ปีงบประมาณ {this_year()}" in text
    assert "บุคลากร 6 คน" in text
    assert "ได้รับการพัฒนาแล้ว 2 คน (33.3%)" in text
    assert "ผ่านเป้าหมาย 1 คน (16.7%)" in text
    assert "ยังไม่มีผลงาน 4 คน (66.7%)" in text
    assert "พัฒนาทักษะดิจิทัล 2 คน (33.3%)" in text
    assert "• สำนักงานทดสอบ > กลุ่มส่งเสริม: 1/4 (25.0%) ยังไม่มีผลงาน 2 คน" in text
    assert "• ทักษะดิจิทัล: 2 คน / 4 หลักสูตร" in text
    assert "• นอกแคตตาล็อก: 1 คน / 1 หลักสูตร" in text


async def test_summary_is_for_admins_only(client, team, users_on):
    user = await users_on("line").linked("E004")
    await user.says("สรุปหน่วยงาน")
    assert "ไม่มีสิทธิ์" in user.last()


async def test_admin_changes_target_by_chat(client, team, chat_user):
    admin = await chat_user.linked("E003")
    staff = await chat_user.linked("E006")
    await approved("E006", hours=12)
    await staff.says("ความก้าวหน้า")
    assert "ยังขาด: 2 หลักสูตร หรือ 48 ชม. (8 วัน)" in staff.last()
    fy = this_year()
    await admin.says(f"เป้าหมาย {fy} 1 หลักสูตร และ 2 วัน วันละ 7 ชม.")
    assert f"บันทึกเป้าหมายแล้วค่ะ ปีงบประมาณ {fy} ทุกกลุ่ม: อย่างน้อย 1 หลักสูตร และ 14 ชั่วโมง (2 วัน) ต่อปีงบประมาณ" in admin.last()
    await staff.says("ความก้าวหน้า")
    assert "ยังขาด: 2 ชม. (0.3 วัน)" in staff.last()
    # A target for the person's own group and round takes precedence.
    await admin.says(f"เป้าหมาย {fy} กลุ่ม มีประสบการณ์ รอบ {round_now()} 1 หลักสูตร")
    await staff.says("ความก้าวหน้า")
    assert f"เป้าหมาย: อย่างน้อย 1 หลักสูตร ในรอบที่ {round_now()}" in staff.last()
    assert "🎉 ผ่านเป้าหมายแล้ว" in staff.last()
    await admin.says("เป้าหมาย")
    listing = "\n".join(admin.texts()[-2:])
    assert "• ทุกกลุ่ม: เป้าหมาย อย่างน้อย 1 หลักสูตร และ 14 ชั่วโมง (2 วัน)" in listing
    assert f"• กลุ่ม มีประสบการณ์ รอบที่ {round_now()}: เป้าหมาย อย่างน้อย 1 หลักสูตร" in listing


async def test_bad_target_text_and_non_admin(client, team, users_on):
    admin = await users_on("sim").linked("E003")
    await admin.says("เป้าหมาย 2570 เยอะ ๆ")
    assert "อ่านเป้าหมายไม่ได้ค่ะ: ต้องระบุจำนวนหลักสูตร หรือชั่วโมง/วัน" in admin.texts()[-2]
    staff = await users_on("sim").linked("E005")
    await staff.says(f"เป้าหมาย {this_year()} 1 หลักสูตร")
    assert "ความก้าวหน้า ปีงบประมาณ" in staff.last()  # staff only see their own progress


async def test_round_deadline_by_chat(client, team, users_on):
    fy, rnd = this_year(), round_now()
    period = assessment_round(fy, rnd)
    day = period.end.replace(day=period.end.day - 5)
    admin = await users_on("telegram").linked("E003")
    await admin.says(f"กำหนดส่ง {fy} รอบ {rnd} {day.isoformat()}")
    assert f"กำหนดส่งรอบที่ {rnd} ปีงบประมาณ {fy}: {official_date(day)} บันทึกแล้วค่ะ" in admin.last()
    staff = await users_on("telegram").linked("E005")
    await staff.says("ความก้าวหน้า")
    assert f"กำหนดส่งรอบที่ {rnd}: {official_date(day)} (อีก {(day - today_bangkok()).days} วัน)" in staff.last()


async def test_supervisor_assigns_required_course(client, team, chat_user):
    boss = await chat_user.linked("E004")
    staff = await chat_user.linked("E006")
    await boss.says("กำหนดหลักสูตร E006 Data Visualization")
    assert "เลือกหลักสูตรที่ นายธนา เพื่อนร่วมงาน ต้องเรียนในปีงบประมาณ" in boss.last()
    assert "1. DS01 Data Visualization" in boss.last() and "2. DS02 Data Visualization 2" in boss.last()
    await boss.presses("1. DS01")
    assert "กำหนดให้ นายธนา เพื่อนร่วมงาน เรียน \"Data Visualization\"" in boss.last()
    assert "นายประเสริฐ คุมงาน กำหนดให้คุณเรียน \"Data Visualization\"" in staff.last()
    await staff.says("ความก้าวหน้า")
    assert "⬜ DS01 Data Visualization (ยังไม่มีใบประกาศที่อนุมัติ)" in staff.last()
    await approved("E006", course_code="DS01")
    await staff.says("ความก้าวหน้า")
    assert "✅ DS01 Data Visualization (ผ่านแล้ว)" in staff.last()
    # The list, and taking a course off it.
    await boss.says("กำหนดหลักสูตร E006")
    assert "• DS01 Data Visualization" in boss.last()
    await boss.presses("นำออก DS01")
    assert "นำ \"Data Visualization\" ออกจากรายการของ นายธนา เพื่อนร่วมงาน แล้วค่ะ" in boss.last()
    assert not await RequiredCourse.filter(staff__employee_code="E006").exists()


async def test_required_course_search_is_fuzzy_and_limited_to_the_team(client, team, users_on):
    boss = await users_on("sim").linked("E004")
    await boss.says("กำหนดหลักสูตร E003 ดิจิทัล")
    assert "ไม่พบ E003 ในทีมของคุณค่ะ" in boss.last()
    await boss.says("กำหนดหลักสูตร E006 ข้าราชการยุคดิจิทัล")
    assert "DS03" in boss.last()
    await boss.says("กำหนดหลักสูตร E006 zzzzqqq")
    assert "ไม่พบหลักสูตรที่ตรงกับ \"zzzzqqq\"" in boss.last()


async def test_targets_cli_takes_effect(client, team, settings, sim_user):
    env = {**os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(settings.data_dir)}
    fy = this_year()
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "targets", "set", "--fy", str(fy), "--courses", "2", "--days", "3", "--require", "both"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "courses>=2 both hours>=18" in result.stdout
    user = sim_user("E005")
    await user.says("ความก้าวหน้า")
    assert "เป้าหมาย: อย่างน้อย 2 หลักสูตร และ 18 ชั่วโมง (3 วัน) ต่อปีงบประมาณ" in user.last()
    assert "ยังขาด: หลักสูตรที่ตกลงไว้อีก 1 หลักสูตร" in user.last()
    listing = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "targets", "list"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert f"FY {fy} group=* round=year: courses>=2 both hours>=18" in listing.stdout
    assert await Staff.filter(employee_code="E005").exists()


async def test_line_progress_is_a_flex_bubble_with_a_bar(client, team, line_api, users_on):
    user = await users_on("line").linked("E005")
    await user.says("ความก้าวหน้า")
    message = line_api.messages_to(user.user_id)[-1]
    assert message["type"] == "flex"
    track = message["contents"]["body"]["contents"][1]
    assert track["type"] == "box" and track["contents"][0]["width"] == "67%"
