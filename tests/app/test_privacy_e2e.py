"""PDPA in chat: the privacy notice, a copy of my data (a file, or a one-time link), and who looked."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest

from storage.models import AccessLog, DataCopyLink, Staff
from storage.personal_data import erase_person
from tests.builders.chat import link
from tests.builders.notices import sent_notice
from tests.builders.paths import REPO
from tests.builders.roster import TEAM_CSV, load_roster
from tests.builders.submissions import confirm, read_submission

PUBLIC = "https://bot.example"
NOTICE_ONE, NOTICE_TWO = "ความเป็นส่วนตัว (1/2)", "ความเป็นส่วนตัว (2/2)"
# E006 (the colleague) as her copy must never show him: code, first name, last name.
COLLEAGUE = re.compile(r"(?<![A-Za-z0-9])E006(?![A-Za-z0-9])|ธนา|เพื่อนร่วมงาน")


@pytest.fixture
def settings(settings):
    """The shared settings with an https address, as LINE needs for links, and periods of our own."""
    settings.public_base_url = PUBLIC
    settings.cert_image_retention_days = 200
    settings.event_retention_days = 21
    return settings


def _notice_shown(texts: list[str]) -> None:
    joined = "\n".join(texts)
    assert NOTICE_ONE in joined and NOTICE_TWO in joined, joined[-600:]
    assert "รูปใบประกาศ 200 วันหลังพิจารณา" in joined  # the periods come from the settings
    assert "21 วัน" in joined
    assert "ผู้บังคับบัญชาตามสายงาน" in joined and 'พิมพ์ "ข้อมูลของฉัน"' in joined
    assert "ติดต่อกลุ่มงานบุคคล" in joined


@pytest.mark.parametrize("channel", ["line", "telegram"])
async def test_privacy_notice_on_first_contact_and_on_request(client, users_on, channel):
    await load_roster(TEAM_CSV)
    stranger = users_on(channel)()
    await stranger.follows()  # LINE: follow event; Telegram: a bare /start
    _notice_shown(stranger.texts())
    assert "ยินดีต้อนรับ" in "\n".join(stranger.texts())

    member = await users_on(channel).linked("E005")
    before = len(member.texts())
    assert NOTICE_ONE not in "\n".join(member.texts()), "a code typed into a chat is not a first contact"
    await member.says("ความเป็นส่วนตัว")
    _notice_shown(member.texts()[before:])
    before = len(member.texts())
    await member.says("/privacy" if channel == "telegram" else "privacy")
    _notice_shown(member.texts()[before:])


async def test_telegram_deep_link_is_a_first_contact(client, telegram_user):
    from tests.builders.roster import code_for

    await load_roster(TEAM_CSV)
    user = telegram_user()
    await user.says(f"/start {await code_for('E005')}")
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(user.texts())
    _notice_shown(user.texts())


async def test_unlinked_chat_asking_for_its_data_hears_what_little_is_held(client, line_user):
    user = line_user()
    await user.says("ข้อมูลของฉัน")
    texts = user.texts()
    assert "ยังไม่ได้เชื่อมกับรายชื่อบุคลากร" in texts[0] and "รหัสบัญชีแชตนี้" in texts[0]
    assert "ลบภายใน 21 วัน" in texts[0]
    _notice_shown(texts[1:])
    assert not await DataCopyLink.exists()


async def _two_decided_members(services, users_on, channel: str):
    """E005 (on `channel`) and her colleague E006 each with a certificate E004 approved, and a notice each."""
    await load_roster(TEAM_CSV)
    boss = await users_on("telegram").linked("E004")
    member = await users_on(channel).linked("E005")
    colleague = await users_on("telegram").linked("E006")
    mine = await read_submission(services, "E005")
    theirs = await read_submission(services, "E006")
    for owner, sub in ((member, mine), (colleague, theirs)):
        await confirm(owner, sub)
        await boss.presses("✅ อนุมัติ")
    mine_notice = await sent_notice(subject="ประชุมกลุ่มส่งเสริม", doc_no="ศธ 0001/ว 77", delivered=["E005"])
    await sent_notice(subject="เรื่องของเพื่อน", doc_no="ศธ 0001/ว 88", delivered=["E006"])
    await member.sends_action(f"ack|{mine_notice.id}")
    await colleague.sends_action(f"ack|{(await sent_notice(subject='อีกเรื่อง', delivered=['E006'])).id}")
    return boss, member, colleague, mine, theirs


def _only_mine(archive: zipfile.ZipFile, mine, theirs) -> dict:
    data = json.loads(archive.read("data.json"))
    assert data["staff"]["employee_code"] == "E005"
    assert [s["id"] for s in data["submissions"]] == [mine.id]
    assert {a["submission_id"] for a in data["audit"]} == {mine.id}
    assert [(d["submission_id"], d["decision"], d["decided_by"]) for d in data["decisions"]] == [
        (mine.id, "approved", "นายประเสริฐ คุมงาน")
    ]
    [notice] = data["notices"]
    assert (notice["subject"], notice["doc_no"], notice["state"]) == ("ประชุมกลุ่มส่งเสริม", "ศธ 0001/ว 77", "delivered")
    assert notice["acknowledged_at"] is not None
    assert [c["channel"] for c in data["chat_identities"]] == [data["chat_identities"][0]["channel"]]
    assert [n for n in archive.namelist() if n.startswith("certificates/")] == [f"certificates/{mine.id}.png"]
    text = archive.read("data.json").decode()
    assert not COLLEAGUE.search(text), COLLEAGUE.search(text)
    assert str(theirs.file_sha256) not in text
    return data


async def test_my_data_on_telegram_is_a_file_with_my_data_only(client, services, users_on, telegram_api):
    boss, member, colleague, mine, theirs = await _two_decided_members(services, users_on, "telegram")
    await member.says("ข้อมูลของฉัน")
    [sent] = [m for m in telegram_api.messages_to(member.user_id) if m.get("document")]
    assert sent["document"].filename.startswith("my-data-") and sent["document"].filename.endswith(".zip")
    assert "สำเนาข้อมูลของคุณ" in sent["caption"]
    data = _only_mine(zipfile.ZipFile(io.BytesIO(sent["document"].data)), mine, theirs)
    # The approval card showed the boss her certificate image: that is in her copy.
    assert [(v["viewer"], v["what"], v["submission_id"]) for v in data["access_log"]] == [
        ("นายประเสริฐ คุมงาน", "image", mine.id)
    ]
    # The boss's own copy holds his roster entry, not his staff's certificates.
    await boss.says("/mydata")
    [boss_copy] = [m for m in telegram_api.messages_to(boss.user_id) if m.get("document")]
    boss_data = json.loads(zipfile.ZipFile(io.BytesIO(boss_copy["document"].data)).read("data.json"))
    assert boss_data["staff"]["employee_code"] == "E004"
    assert boss_data["submissions"] == [] and boss_data["decisions"] == [] and boss_data["access_log"] == []
    assert "สุดา" not in json.dumps(boss_data, ensure_ascii=False)


async def test_my_data_on_line_is_a_link_that_works_once(client, services, users_on):
    _, member, _, mine, theirs = await _two_decided_members(services, users_on, "line")
    await member.says("ข้อมูลของฉัน")
    found = re.search(re.escape(PUBLIC) + r"(/copy/[A-Za-z0-9_\-]+)", member.last())
    assert found, member.last()
    assert "ใช้ได้ครั้งเดียว" in member.last()
    path = found.group(1)
    for _ in range(2):  # opening the page (or a chat app's link preview) does not use the link up
        page = await client.get(path)
        assert page.status == 200 and "ดาวน์โหลด" in await page.text()
        assert page.headers["Cache-Control"] == "private, no-store"
    download = await client.post(path)
    assert download.status == 200
    assert download.headers["Content-Type"] == "application/zip"
    _only_mine(zipfile.ZipFile(io.BytesIO(await download.read())), mine, theirs)
    again = await client.post(path)
    assert again.status == 410 and "ถูกใช้แล้ว" in await again.text()
    assert (await client.get(path)).status == 410
    assert (await client.post("/copy/" + "x" * 43)).status == 410, "a made-up token opens nothing"


async def test_supervisor_viewing_is_logged_and_shown_a_member_viewing_her_own_is_not(
    client, services, settings, users_on
):
    await load_roster(TEAM_CSV)
    boss = await users_on("telegram").linked("E004")
    member = await users_on("line").linked("E005")
    sub = await read_submission(services, "E005")
    await confirm(member, sub)  # she sees her own card: not logged
    await member.says("รายการของฉัน")
    assert not await AccessLog.filter(viewer__employee_code="E005").exists(), "looking at one's own is not logged"
    await boss.presses("รายละเอียด")  # the prompt's image was shown; now the whole record too
    assert f"รายละเอียดรายการ #{sub.id}" in boss.last()
    boss_id = (await Staff.get(employee_code="E004")).id
    rows = await AccessLog.filter(subject__employee_code="E005").order_by("id").values_list(
        "viewer_id", "what", "submission_id", "channel"
    )
    assert rows == [(boss_id, "image", sub.id, "telegram"), (boss_id, "record", sub.id, "telegram")]

    env = {**os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(settings.data_dir)}
    printed = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "access-log", "E005"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert re.search(rf"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d  image\s+{sub.id}  telegram\s+E004 นายประเสริฐ คุมงาน$", lines[1])
    assert "record" in lines[2] and lines[-1] == "2 entries"

    # Erasing the viewer keeps her entries without his name; erasing her removes them.
    await erase_person(await Staff.get(employee_code="E004"), services.files)
    assert await AccessLog.filter(subject__employee_code="E005", viewer_id=None).count() == 2
    report = await erase_person(await Staff.get(employee_code="E005"), services.files)
    assert report.access_entries == 2 and not await AccessLog.exists()


def test_copy_links_are_kept_out_of_the_web_access_log():
    from bot.access_log import redact

    line = '127.0.0.1 "POST /copy/Zm9vYmFy_-12 HTTP/1.1" 200'
    assert redact(line) == '127.0.0.1 "POST /copy/… HTTP/1.1" 200'


async def test_my_data_on_the_simulator_is_saved_as_a_file(client, sim_user):
    await load_roster(TEAM_CSV)
    member = sim_user("E005")
    await member.says("ข้อมูลของฉัน")
    [saved] = [r for r in member.seen if r.get("file_name")]
    assert saved["file_name"].startswith("my-data-") and "file_path" not in saved  # never the server path
    assert "สำเนาข้อมูลของคุณ" in saved["text"]
    assert any("บันทึกสำเนาข้อมูลของคุณเป็นไฟล์" in text for text in member.texts())
