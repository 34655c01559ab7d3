"""Tracking circular notices: an admin's counts, who has not acknowledged by unit, the export, a re-send.

Notices and their recipients' states are built with the storage functions the queueing
job and dispatcher use (tests/builders/notices.py); acknowledgements come through the
real webhooks, and the admin reads everything as a chat user (or through the CLI).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io

from openpyxl import load_workbook

from fiscal.calendar import today_bangkok
from fiscal.thai_dates import BANGKOK, official_date
from storage import notices
from storage.models import Notice
from scheduler.notices import queue_due
from tests.builders.notices import broadcast_settled, next_office_hours, sent_notice
from tests.builders.processes import run_cli
from tests.builders.roster import TEAM_CSV, load_roster

# The team: E001 (สำนักงานทดสอบ), E003 admin (กลุ่มอำนวยการ), E004, E005, E006 (กลุ่มส่งเสริม).
NOT_ALLOWED = "คุณไม่มีสิทธิ์ใช้คำสั่งนี้"


async def notice_half_acknowledged(users_on):
    """E001, E004, E005 got it; E006 blocked the bot; E003 waits for LINE's allowance. E004 and E005 acknowledged."""
    notice = await sent_notice(delivered=["E001", "E004", "E005"], unreachable=["E006"], held=["E003"])
    line_e005 = await users_on("line").linked("E005")
    telegram_e005 = await users_on("telegram").linked("E005")
    telegram_e004 = await users_on("telegram").linked("E004")
    await line_e005.sends_action(f"ack|{notice.id}")
    assert "บันทึกการรับทราบแล้วค่ะ" in line_e005.last()
    # Pressed again, and on the other channel: recorded once.
    await line_e005.sends_action(f"ack|{notice.id}")
    await telegram_e005.sends_action(f"ack|{notice.id}")
    assert "รับทราบหนังสือฉบับนี้ไว้แล้วค่ะ" in line_e005.last()
    assert "รับทราบหนังสือฉบับนี้ไว้แล้วค่ะ" in telegram_e005.last()
    await telegram_e004.sends_action(f"ack|{notice.id}")
    return notice


def pending_rows(data: bytes) -> tuple[dict, list[list]]:
    """The export's summary (label -> value) and its list of who has not acknowledged."""
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["สรุป", "ยังไม่รับทราบ"]
    summary = {row[0]: row[1] for row in book["สรุป"].iter_rows(min_row=2, values_only=True)}
    return summary, [list(r) for r in book["ยังไม่รับทราบ"].iter_rows(values_only=True)]


EXPECTED_ROWS = [
    ["หน่วยงาน", "รหัสบุคลากร", "ชื่อ-สกุล", "สถานะ"],
    ["กลุ่มส่งเสริม", "E006", "นายธนา เพื่อนร่วมงาน", "ติดต่อไม่ได้"],
    ["กลุ่มอำนวยการ", "E003", "นางสาววิไล ตั้งใจ", "รอโควตา LINE"],
    ["สำนักงานทดสอบ", "E001", "นางมาลี ใจงาม", "ส่งถึงแล้ว"],
]


def check_export(data: bytes, notice: Notice) -> None:
    summary, rows = pending_rows(data)
    assert rows == EXPECTED_ROWS
    assert summary["เรื่อง"] == "ประชุมประจำเดือน" and summary["ที่"] == "ศธ 0001/ว 12"
    assert summary["ตอบกลับภายใน"] == official_date(notice.reply_by)
    assert summary["วันที่ส่ง"] == official_date(today_bangkok())
    assert (summary["ผู้รับทั้งหมด"], summary["ส่งถึงแล้ว"], summary["ติดต่อไม่ได้"], summary["รอโควตา LINE"]) == (5, 3, 1, 1)
    assert (summary["รับทราบแล้ว"], summary["ยังไม่รับทราบ"]) == (2, 3)


async def test_admin_follows_a_notice_and_exports_who_has_not_acknowledged(
    client, settings, telegram_api, users_on, chat_user
):
    await load_roster(TEAM_CSV)
    notice = await notice_half_acknowledged(users_on)
    admin = await chat_user.linked("E003")

    await admin.says("ประกาศ")
    listed = admin.last()
    assert f"#{notice.id} ประชุมประจำเดือน" in listed
    assert f"ส่งเมื่อ {official_date(today_bangkok())}" in listed
    # Pressed three times on two channels, E005 counts once.
    assert "ส่งถึง 3/5 · ไม่ถึง 1 · รับทราบ 2 · รอโควตา LINE 1" in listed

    await admin.presses(f"ดู #{notice.id} ประชุมประจำเดือน")
    detail = admin.last()
    assert f"ตอบกลับภายใน {official_date(notice.reply_by)}" in detail
    assert "ยังไม่รับทราบ 3 คน:" in detail
    # Exactly those who have not acknowledged, by unit, with whether it reached them.
    assert (
        "▸ กลุ่มส่งเสริม\n• นายธนา เพื่อนร่วมงาน (E006) ⚠️ ติดต่อไม่ได้\n"
        "▸ กลุ่มอำนวยการ\n• นางสาววิไล ตั้งใจ (E003) ⏳ รอโควตา LINE\n"
        "▸ สำนักงานทดสอบ\n• นางมาลี ใจงาม (E001)"
    ) in detail
    assert "E005" not in detail and "E004" not in detail

    if chat_user.channel == "line":
        # LINE bots cannot send files: no export button, and the admin is told where to get the list.
        assert "ส่งออก Excel" not in detail
        assert f"python -m bot notice {notice.id} --out pending.xlsx" in detail
        return
    await admin.presses("ส่งออก Excel")
    name = f"notice-{notice.id}-pending.xlsx"
    if chat_user.channel == "telegram":
        sent = [m for m in telegram_api.messages_to(admin.user_id) if m.get("document")]
        assert sent and sent[-1]["document"].filename == name
        data = sent[-1]["document"].data
    else:
        shown = "\n".join(admin.texts())
        assert f"ชื่อ {name}" in shown and str(settings.data_dir) not in shown
        data = (settings.data_dir / "reports" / name).read_bytes()
    assert f"รายชื่อผู้ยังไม่รับทราบ หนังสือเวียน #{notice.id} (3 คน)" in "\n".join(admin.texts())
    check_export(data, notice)


async def test_staff_cannot_see_export_or_resend_by_any_command_or_button(client, users_on, chat_user):
    await load_roster(TEAM_CSV)
    notice = await sent_notice(delivered=["E005", "E006"])
    staff = await chat_user.linked("E005")
    for typed in ("ประกาศ", f"ประกาศ {notice.id}", "/notices"):
        await staff.says(typed)
        assert NOT_ALLOWED in staff.last(), typed
    for data in ("notice", "notice.export", "notice.resend", "notice.resend_ok"):
        await staff.sends_action(f"{data}|{notice.id}")
        assert NOT_ALLOWED in staff.last(), data
    shown = "\n".join(staff.texts())
    assert "ประชุมประจำเดือน" not in shown and "E006" not in shown
    after = await Notice.get(id=notice.id)
    assert (after.status, after.resends, after.send_at) == ("queued", 0, notice.send_at)


async def test_resend_before_the_deadline_goes_again_to_those_who_have_not_acknowledged(client, services, users_on):
    await load_roster(TEAM_CSV)
    notice = await sent_notice(delivered=["E001", "E005", "E006"])
    e005 = await users_on("line").linked("E005")
    await e005.sends_action(f"ack|{notice.id}")
    e001 = await users_on("telegram").linked("E001")
    admin = await users_on("telegram").linked("E003")
    await admin.says(f"ประกาศ {notice.id}")
    await admin.presses("ส่งซ้ำถึงผู้ที่ยังไม่รับทราบ")
    assert "อีกครั้งถึงผู้ที่ยังไม่รับทราบ 2 คน ใช่ไหมคะ" in admin.last()
    assert (await Notice.get(id=notice.id)).resends == 0  # nothing before the confirmation
    confirm = admin.button_data("ยืนยันส่งซ้ำ")
    await admin.presses("ยืนยันส่งซ้ำ")
    assert f"ระบบจะส่งหนังสือเวียน #{notice.id} ซ้ำถึงผู้ที่ยังไม่รับทราบ 2 คน" in admin.last()
    after = await Notice.get(id=notice.id)
    # Marked for the queueing job, due now; woken at once, the job may already have taken it (not in quiet hours).
    assert after.resends == 1 and after.status in ("resend", "queued")
    assert after.send_at > notice.send_at

    await queue_due(services, next_office_hours())
    await broadcast_settled(services)
    assert (await Notice.get(id=notice.id)).status == "queued"
    assert any("เรื่อง ประชุมประจำเดือน" in text for text in e001.texts())  # has not acknowledged: sent again
    assert not any("เรื่อง ประชุมประจำเดือน" in text for text in e005.texts())  # acknowledged: not again
    # The same confirmation pressed again (a stale button) asks for no second re-send.
    await admin.sends_action(confirm)
    assert "คำสั่งส่งซ้ำนี้ทำไปแล้วค่ะ" in admin.last()
    assert (await Notice.get(id=notice.id)).resends == 1


async def test_resend_after_the_reply_deadline_is_refused(client, users_on):
    await load_roster(TEAM_CSV)
    late = await sent_notice(delivered=["E005", "E006"], reply_in_days=-1)
    admin = await users_on("sim").linked("E003")
    await admin.says(f"ประกาศ {late.id}")
    assert "(เลยกำหนดแล้ว)" in admin.last()
    assert "ส่งซ้ำถึงผู้ที่ยังไม่รับทราบ" not in admin.last()
    for data in ("notice.resend", "notice.resend_ok"):
        await admin.sends_action(f"{data}|{late.id}|0")
        assert f"เลยกำหนดตอบกลับ ({official_date(late.reply_by)}) แล้ว จึงส่งซ้ำไม่ได้ค่ะ" in admin.last()

    # A button shown before the deadline, pressed after it.
    notice = await sent_notice(delivered=["E005"], reply_in_days=0)
    await admin.says(f"ประกาศ {notice.id}")
    await admin.presses("ส่งซ้ำถึงผู้ที่ยังไม่รับทราบ")
    await Notice.filter(id=notice.id).update(reply_by=today_bangkok() - dt.timedelta(days=1))
    await admin.presses("ยืนยันส่งซ้ำ")
    assert "จึงส่งซ้ำไม่ได้ค่ะ" in admin.last()
    for checked in (late, notice):
        after = await Notice.get(id=checked.id)
        assert (after.status, after.resends) == ("queued", 0)


async def test_cli_lists_notices_and_writes_the_pending_list(client, settings, users_on, tmp_path):
    await load_roster(TEAM_CSV)
    notice = await notice_half_acknowledged(users_on)
    listed = await asyncio.to_thread(run_cli, settings, "notices")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.split()[:1] == [str(notice.id)])
    assert row.split()[-5:] == ["5", "3", "1", "1", "2"]  # total, delivered, unreachable, held, acknowledged
    assert "ประชุมประจำเดือน" in row and today_bangkok().isoformat() in row

    out = tmp_path / "pending.xlsx"
    detail = await asyncio.to_thread(run_cli, settings, "notice", str(notice.id), "--out", str(out))
    assert detail.returncode == 0, detail.stderr
    assert "not acknowledged: 3" in detail.stdout
    assert "E006" in detail.stdout and "E005" not in detail.stdout
    check_export(out.read_bytes(), notice)
    missing = await asyncio.to_thread(run_cli, settings, "notice", "999999")
    assert missing.returncode == 1 and "no notice 999999" in missing.stderr


async def test_a_long_list_fits_one_message_and_says_how_many_more(client, users_on):
    rows = "".join(
        f"E{i:03d},นาย,ทดสอบ{i},นามสกุลยาวสำหรับทดสอบ,นักวิชาการ,สำนักงานทดสอบ > กลุ่มงานที่ {i % 4},,staff,มีประสบการณ์\n"
        for i in range(100, 250)
    )
    await load_roster(TEAM_CSV + rows)
    notice = await sent_notice(delivered=[f"E{i:03d}" for i in range(100, 250)])
    admin = await users_on("line").linked("E003")
    await admin.says(f"ประกาศ {notice.id}")
    detail = admin.last()
    assert "ยังไม่รับทราบ 150 คน:" in detail
    listed = detail.rpartition("ยังไม่รับทราบ 150 คน:")[2].count("\n• ")  # in the card (LINE's altText repeats its start)
    assert 10 < listed < 150
    assert f"…และอีก {150 - listed} คน (ดูทั้งหมดในไฟล์ Excel)" in detail
    # Everything fits the card: the hint at its end is not cut off.
    assert detail.rstrip().endswith(f"python -m bot notice {notice.id} --out pending.xlsx\nส่งซ้ำถึงผู้ที่ยังไม่รับทราบ")


async def test_a_notice_without_acknowledgement_lists_whom_it_has_not_reached(client, users_on):
    await load_roster(TEAM_CSV)
    notice = await sent_notice(delivered=["E001", "E005"], unreachable=["E006"], ack_required=False)
    tomorrow = today_bangkok() + dt.timedelta(days=1)
    noon = dt.datetime.combine(tomorrow, dt.time(12), BANGKOK).timestamp()
    await notices.create(subject="ตรวจสุขภาพประจำปี", body="-", audience={"kind": "all"}, created_by=None, send_at=noon)
    admin = await users_on("telegram").linked("E003")
    await admin.says("ประกาศ")
    listed = admin.last()
    assert "ส่งถึง 2/3 · ไม่ถึง 1 · ไม่ต้องกดรับทราบ" in listed
    # A scheduled notice says when it goes out, and has no counts yet.
    assert f"ตรวจสุขภาพประจำปี\nกำหนดส่ง {official_date(tomorrow)}\n\n#{notice.id}" in listed
    await admin.says(f"ประกาศ {notice.id}")
    detail = admin.last()
    assert "ยังไม่ได้รับ 1 คน:\n▸ กลุ่มส่งเสริม\n• นายธนา เพื่อนร่วมงาน (E006) ⚠️ ติดต่อไม่ได้" in detail
    assert "E001" not in detail and "E005" not in detail
    # Nobody is waiting to acknowledge it: there is nothing to re-send.
    await admin.sends_action(f"notice.resend|{notice.id}")
    assert "ไม่ต้องกดรับทราบ จึงส่งซ้ำไม่ได้ค่ะ" in admin.last()
    assert (await Notice.get(id=notice.id)).resends == 0
