"""Composing a circular notice: an admin in chat (LINE, Telegram, /sim) and on the command line.

The team roster: E003 (HR admin) composes to กลุ่มส่งเสริม, where E005 is on LINE, E006 on
Telegram and E004 linked nowhere. Nothing is stored before the confirm button, and
nothing reaches a recipient from here: the queueing job sends a stored notice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import pytest

from fiscal.calendar import today_bangkok
from fiscal.thai_dates import official_date
from handlers.notice_compose import router as compose_router
from storage.models import Notice, Unit
from tests.builders.notices import BODY, PDF, QUIET, REPLY_BY, SUBJECT, compose_to_attachments, compose_to_unit
from tests.builders.processes import run_cli
from tests.builders.roster import TEAM_CSV, load_roster

CANCEL = "ยกเลิก"
SEND_DAY = today_bangkok() + dt.timedelta(days=10)


@pytest.fixture
def settings(settings):
    """Quiet hours that never hold the run's own "now" (see QuietHours)."""
    return settings.model_copy(update={"quiet_hours": QUIET.setting})


@pytest.fixture
async def team(client):
    """E001 and E003 are admins; E004 (not linked), E005 and E006 are in กลุ่มส่งเสริม."""
    await load_roster(TEAM_CSV)


@pytest.fixture
async def recipients(team, users_on):
    """E005 on LINE, E006 on Telegram."""
    return await users_on("line").linked("E005"), await users_on("telegram").linked("E006")


def said_since(user, seen: int, fragment: str) -> bool:
    """Whether a message after the first `seen` ones has `fragment` (the queueing job's own report may follow)."""
    return any(fragment in text for text in user.texts()[seen:])


@pytest.mark.parametrize("channel", ["line", "telegram", "sim"])
async def test_an_admin_composes_previews_and_confirms_once(channel, recipients, users_on, line_api):
    on_line, on_telegram = recipients
    admin = await users_on(channel).linked("E003")
    await compose_to_unit(admin)
    line_api.set_allowance(1000, used=400)
    await admin.presses("ส่งทันที")
    shown = "\n".join(admin.texts()[-5:])
    # What a recipient will see, then the facts to confirm on.
    assert f"เรื่อง ขอเชิญประชุมประจำเดือน\nที่ ศธ 1244/ว 123\nตอบกลับภายใน {official_date(REPLY_BY)}" in shown
    assert BODY in shown and "เอกสารแนบ: agenda.pdf" in shown and "รับทราบ" in shown
    summary = admin.last()
    assert "ส่งถึง: หน่วยงาน สำนักงานทดสอบ > กลุ่มส่งเสริม" in summary
    assert "ผู้รับ 3 คน" in summary
    assert "ส่งทาง LINE 1 คน, Telegram 1 คน" in summary
    assert "ส่งไม่ถึง 1 คน (ยังไม่เชื่อมบัญชีหรือบล็อกบอต): นายประเสริฐ คุมงาน (E004)" in summary
    assert "ใช้ข้อความ LINE 1 ข้อความ (1 คน × 1) โควตาเดือนนี้เหลือ 600 ข้อความ" in summary
    assert await Notice.all().count() == 0  # nothing stored, nothing sent before the confirm
    assert not any(SUBJECT in text for text in on_line.texts() + on_telegram.texts())

    confirm, seen = admin.button_data("ยืนยันส่ง"), len(admin.texts())
    await admin.presses("ยืนยันส่ง")
    assert said_since(admin, seen, "ส่งถึง 3 คน เริ่มส่ง ทันที")
    seen = len(admin.texts())
    await admin.sends_action(confirm)  # pressed again, or replayed
    assert said_since(admin, seen, "ปุ่มนี้ใช้ไม่ได้แล้ว")

    [notice] = await Notice.all()
    unit = await Unit.get(name="กลุ่มส่งเสริม")
    assert (notice.subject, notice.body, notice.doc_no) == (SUBJECT, BODY, "ศธ 1244/ว 123")
    assert notice.reply_by == REPLY_BY
    assert notice.attachments == [
        {"sha256": hashlib.sha256(PDF).hexdigest(), "name": "agenda.pdf", "mime": "application/pdf", "size": len(PDF)}
    ]
    assert notice.audience == {"kind": "units", "units": [unit.id], "subunits": False}
    assert notice.ack_required and not notice.urgent
    assert notice.status in ("scheduled", "queued", "sent")  # the queueing job was woken at once
    assert abs(notice.send_at - time.time()) < 600
    assert (await notice.created_by).employee_code == "E003"


async def test_cancel_at_a_middle_step_writes_nothing(recipients, users_on):
    admin = await users_on("telegram").linked("E003")
    await admin.says("ส่งหนังสือเวียน")
    await admin.says(SUBJECT)
    await admin.presses("ข้าม")
    await admin.presses("ข้าม")
    assert "ข้อความของหนังสือ" in admin.last()
    await admin.says(CANCEL)  # typed: the global command
    assert admin.last() == "ยกเลิกแล้วค่ะ"
    await admin.says(BODY)  # no longer taken as the body
    assert "ไม่เข้าใจ" in admin.last()

    await compose_to_unit(admin, attach=False)
    await admin.presses(CANCEL)  # the button
    assert admin.last() == "ยกเลิกแล้วค่ะ"
    assert await Notice.all().count() == 0


async def test_a_non_admin_cannot_compose_or_replay_the_admins_buttons(recipients, users_on):
    on_line, _ = recipients
    admin = await users_on("telegram").linked("E003")
    staff = await users_on("telegram").linked("E005")
    await staff.says("ส่งหนังสือเวียน")
    assert "ไม่มีสิทธิ์" in staff.last()

    await compose_to_unit(admin)
    await admin.presses("ส่งทันที")
    for label in ("ยืนยันส่ง", "แก้ไข", CANCEL):
        await staff.sends_action(admin.button_data(label))
        assert "ไม่มีสิทธิ์" in staff.last()
    assert await Notice.all().count() == 0
    seen = len(admin.texts())
    await admin.presses("ยืนยันส่ง")  # the admin's draft is untouched
    assert said_since(admin, seen, "บันทึกหนังสือเวียนเลขที่")
    assert await Notice.all().count() == 1


def test_every_compose_route_is_for_admins():
    assert compose_router.routes and all(route.roles == frozenset({"admin"}) for route in compose_router.routes)


async def test_line_allowance_short_the_admin_chooses_what_happens(recipients, users_on, line_api):
    admin = await users_on("telegram").linked("E003")
    await compose_to_unit(admin)
    line_api.set_allowance(500, used=500)
    await admin.presses("ส่งทันที")
    assert "โควตาเดือนนี้เหลือ 0 ข้อความ" in admin.last() and "โควตา LINE ไม่พอ ขาดอีก 1 ข้อความ" in admin.last()
    with pytest.raises(AssertionError):
        admin.button_data("ยืนยันส่ง")  # not before a choice
    await admin.presses("หยุดและรายงาน")
    assert "เลือกแล้ว: หยุดและรายงาน" in admin.last()
    await admin.presses("ยืนยันส่ง")
    [notice] = await Notice.all()
    assert notice.line_overflow == "stop"


async def test_a_time_in_quiet_hours_says_when_it_really_goes_out_and_urgent_ignores_them(recipients, users_on):
    admin = await users_on("telegram").linked("E003")
    await compose_to_unit(admin)
    await admin.says("เมื่อวาน")
    assert "อ่านวันและเวลาไม่ได้" in admin.last()
    at, release = QUIET.inside(SEND_DAY), QUIET.release(SEND_DAY)
    await admin.says(f"{official_date(SEND_DAY)} {at:%H:%M}")  # inside the quiet hours
    assert f"ส่งวันที่ {official_date(SEND_DAY)} {at:%H:%M} น." in admin.last()
    assert f"ตรงกับช่วงงดส่ง ({QUIET.setting}) จะส่งจริง {official_date(release.date())} {release:%H:%M} น." in admin.last()
    await admin.presses("ตั้งเป็นด่วน")
    assert "ด่วน: ส่งแม้อยู่ในช่วงงดส่ง" in admin.last() and "ตรงกับช่วงงดส่ง" not in admin.last()
    seen = len(admin.texts())
    await admin.presses("ยืนยันส่ง")
    assert said_since(admin, seen, f"เริ่มส่ง {official_date(SEND_DAY)} {at:%H:%M} น.")
    [notice] = await Notice.all()
    assert notice.urgent and notice.send_at == at.timestamp()


async def test_other_file_types_are_refused_and_unknown_codes_listed_back(recipients, users_on):
    admin = await users_on("line").linked("E003")
    await compose_to_attachments(admin)
    await admin.sends_file(b"PK\x03\x04 not a pdf", "minutes.docx")
    assert "แนบได้เฉพาะไฟล์ PDF หรือรูปภาพ JPEG/PNG" in admin.last()
    await admin.presses("ไม่มี/เสร็จแล้ว")
    await admin.presses("รายชื่อรหัสพนักงาน")
    await admin.says("E005, E999 E006")
    assert "ไม่พบรหัสพนักงาน: E999" in admin.last()
    await admin.presses("ไม่ต้อง")
    await admin.presses("ส่งทันที")
    assert "ผู้รับ 2 คน" in admin.last() and "ส่งถึงผู้รับได้ทุกคน" in admin.last()
    await admin.presses("ยืนยันส่ง")
    [notice] = await Notice.all()
    assert notice.audience == {"kind": "codes", "codes": ["E005", "E006"]}
    assert notice.attachments == [] and not notice.ack_required
    from storage.models import Submission

    assert await Submission.all().count() == 0  # the refused file did not become a certificate


async def test_command_line_previews_without_writing_and_stores_with_yes(settings, recipients, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text(BODY, encoding="utf-8")
    pdf = tmp_path / "agenda.pdf"
    pdf.write_bytes(PDF)
    args = ("broadcast", "--subject", SUBJECT, "--body-file", str(body), "--attach", str(pdf), "--ack")
    unknown = run_cli(settings, *args, "--units", "ไม่มีหน่วยนี้")
    assert unknown.returncode == 2 and "สำนักงานทดสอบ > กลุ่มส่งเสริม" in unknown.stderr

    shown = run_cli(settings, *args, "--units", "กลุ่มส่งเสริม")
    assert shown.returncode == 0, shown.stderr
    assert "recipients: 3" in shown.stdout and "on line: 1, on telegram: 1" in shown.stdout
    assert "cannot be reached (not linked, or blocked the bot): 1: นายประเสริฐ คุมงาน (E004)" in shown.stdout
    assert "LINE messages it would use: 1" in shown.stdout and "nothing was stored" in shown.stdout
    assert await Notice.all().count() == 0

    stored = run_cli(settings, *args, "--units", "กลุ่มส่งเสริม", "--yes")
    assert stored.returncode == 0, stored.stderr
    [notice] = await Notice.all()
    assert f"notice {notice.id} stored" in stored.stdout
    assert notice.subject == SUBJECT and notice.ack_required and notice.created_by_id is None
    assert notice.attachments[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (settings.data_dir / "files").exists()


async def test_the_hourly_orphan_sweep_keeps_a_notices_attachment(services, team):
    from scheduler.jobs import sweep_orphans
    from storage import notices

    kept, stray = await services.files.put(PDF), await services.files.put(b"%PDF-1.4 nobody's\n")
    await notices.create(
        subject=SUBJECT, body=BODY, audience={"kind": "all"}, created_by=None, send_at=time.time() + 7 * 86400,
        attachments=[{"sha256": kept.sha256, "name": "agenda.pdf", "mime": "application/pdf", "size": kept.size}],
    )
    await sweep_orphans(services, now=time.time() + 2 * 3600)
    assert services.files.path_for(kept.sha256).exists()
    assert not services.files.path_for(stray.sha256).exists()


async def test_the_orphan_sweep_keeps_the_attachments_of_a_draft_left_open(services, recipients, users_on):
    from scheduler.jobs import sweep_orphans

    admin = await users_on("line").linked("E003")
    await compose_to_attachments(admin)
    await admin.sends_file(PDF, "agenda.pdf", mime="application/pdf")
    assert "แนบ agenda.pdf แล้วค่ะ (1/3)" in admin.last()
    stray = await services.files.put(b"%PDF-1.4 nobody's\n")
    await sweep_orphans(services, now=time.time() + 2 * 3600)  # the admin left the draft open over lunch
    assert services.files.path_for(hashlib.sha256(PDF).hexdigest()).exists()
    assert not services.files.path_for(stray.sha256).exists()
