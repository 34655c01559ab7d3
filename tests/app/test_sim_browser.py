"""The /sim page in a real headless Chromium: pick a person, type, press a button, upload a file."""

from __future__ import annotations

import shutil

import pytest

from tests.builders.certificates import SAMPLE
from tests.builders.roster import LEARNER_ROW, ROSTER_CSV, load_roster

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def page():
    """A Chromium page driven by Playwright (Debian's chromium; browsers cannot be downloaded)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(locale="th-TH")
        yield await context.new_page()
        await browser.close()


async def test_sim_page_chat_button_and_upload(client, page):
    await load_roster()
    await page.goto(str(client.make_url("/sim")))
    await page.wait_for_selector("#person option[value='E003']", state="attached")
    await page.select_option("#person", "E003")
    await page.click("#start")
    await page.wait_for_selector("text=คุยในนาม นางสาววิไล ตั้งใจ")
    # Opening the chat greets with the menu card.
    await page.wait_for_selector(".msg.bot >> text=ต้องการทำอะไรคะ")

    await page.fill("#text", "วิธีใช้")
    await page.press("#text", "Enter")
    await page.wait_for_selector(".msg.bot >> text=ส่งรูปหรือ PDF ใบประกาศนียบัตร")

    await page.click(".msg.bot button.btn-action:has-text('ฉันคือใคร')")
    who = await page.wait_for_selector(".msg.bot >> text=รหัสบุคลากร: E003")
    assert "กลุ่มอำนวยการ" in await who.inner_text()

    roster = "employee_code,first_name,last_name,role\nW9,ทดลอง,อัปโหลด,staff\nW10,,ไม่มีชื่อ,staff\n"
    await page.set_input_files("#file", files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": roster.encode()}])
    error = await page.wait_for_selector(".msg.bot >> text=ไฟล์รายชื่อมีข้อผิดพลาด 1 รายการ")
    assert "บรรทัด 3" in await error.inner_text()


async def test_sim_visitor_is_asked_to_link(client, page):
    await page.goto(str(client.make_url("/sim")))
    await page.click("#start")
    await page.wait_for_selector(".msg.bot >> text=ยินดีต้อนรับ")
    await page.fill("#text", "สวัสดี")
    await page.click("#send")
    await page.wait_for_selector(".msg.bot >> text=ยังไม่ได้เชื่อมกับรายชื่อบุคลากร")


async def test_sim_certificate_upload_confirm_and_supervisor_approval(client, page):
    if not SAMPLE.exists():
        pytest.skip("shared sample certificate not found")
    await load_roster(ROSTER_CSV + LEARNER_ROW)
    await page.goto(str(client.make_url("/sim")))
    await page.wait_for_selector("#person option[value='E010']", state="attached")
    await page.select_option("#person", "E010")
    await page.click("#start")
    await page.wait_for_selector(".msg.bot >> text=ต้องการทำอะไรคะ")
    await page.set_input_files("#file", str(SAMPLE))
    await page.wait_for_selector(".msg.bot >> text=กำลังอ่านข้อมูล")
    card = await page.wait_for_selector(".msg.bot:has-text('ตรวจสอบข้อมูลใบประกาศนียบัตร')", timeout=60_000)
    text = await card.inner_text()
    assert "หลักสูตร: ผู้นำทีมที่มีประสิทธิภาพ" in text and "45 ชั่วโมง" in text
    await (await card.query_selector("button.btn-action:has-text('ยืนยัน')")).click()
    await page.wait_for_selector(".msg.bot >> text=ให้ผู้บังคับบัญชาพิจารณาแล้ว")

    # The supervisor opens the simulator and decides with one tap.
    await page.select_option("#person", "E001")
    await page.click("#start")
    await page.wait_for_selector(".msg.bot >> text=ต้องการทำอะไรคะ")
    await page.fill("#text", "รออนุมัติ")
    await page.press("#text", "Enter")
    prompt = await page.wait_for_selector(".msg.bot:has-text('ขออนุมัติใบประกาศ')")
    assert "ผู้ส่ง: นายสมชาย รักเรียน" in await prompt.inner_text()
    assert await page.query_selector(".msg.bot img[alt='ใบประกาศนียบัตร']") is not None
    await (await prompt.query_selector("button.btn-action:has-text('อนุมัติ')")).click()
    await page.wait_for_selector(".msg.bot >> text=อนุมัติใบประกาศ #")


async def test_a_newcomer_sees_a_reminder_arrive_on_sim_after_reminders_run(client, page, services, settings):
    """README: open /sim as a staff member, run `reminders run` with a date before a deadline, watch it arrive."""
    import asyncio

    from tests.builders.processes import run_cli

    await load_roster()
    await page.goto(str(client.make_url("/sim")))
    await page.wait_for_selector("#person option[value='E003']", state="attached")
    await page.select_option("#person", "E003")
    await page.click("#start")
    await page.wait_for_selector(".msg.bot >> text=ต้องการทำอะไรคะ")
    run = await asyncio.to_thread(run_cli, settings, "reminders", "run", "--now", "2027-03-24T09:00:00+07:00")
    assert run.returncode == 0, run.stderr
    assert "reminder(s) queued" in run.stdout and not run.stdout.startswith("0 ")
    await services.delivery.sweep()  # the running service's delivery job, every 15 s when scheduled
    reminder = await page.wait_for_selector(".msg.bot >> text=ใกล้ถึงกำหนดส่งรอบที่ 1")
    card = await reminder.evaluate("node => node.closest('.msg').innerText")
    assert "ภายใน 31 มี.ค. 2570 (อีก 7 วัน)" in card
    # The reminder's button works from the page.
    await page.click(".msg.bot button.btn-action:has-text('ความก้าวหน้า')")
    await page.wait_for_selector(".msg.bot >> text=ความก้าวหน้า ปีงบประมาณ 2570")


async def test_a_notice_arrives_on_sim_with_its_attachment_and_is_acknowledged(client, page, services):
    """A circular notice to a unit reaches a /sim session: the card, the PDF's link, and รับทราบ recorded."""
    import time

    from scheduler.notices import queue_due
    from storage import notices
    from storage.models import Staff, Unit
    from tests.builders.notices import broadcast_settled

    await load_roster()
    await page.goto(str(client.make_url("/sim")))
    await page.wait_for_selector("#person option[value='E002']", state="attached")
    await page.select_option("#person", "E002")
    await page.click("#start")
    await page.wait_for_selector(".msg.bot >> text=ต้องการทำอะไรคะ")
    stored = await services.files.put(b"%PDF-1.4\n% notice\n%%EOF\n")
    unit = await Unit.get(name="กลุ่มส่งเสริม")
    notice = await notices.create(
        subject="ขอเชิญประชุมกลุ่มส่งเสริม", body="วันศุกร์นี้ เวลา 13.30 น.", doc_no="ศธ 0001/ว 9",
        audience={"kind": "units", "units": [unit.id]}, send_at=time.time(), urgent=True,
        created_by=(await Staff.get(employee_code="E003")).id,
        attachments=[{"sha256": stored.sha256, "name": "วาระการประชุม.pdf", "mime": "application/pdf", "size": 24}],
    )
    assert await queue_due(services) == 1
    await broadcast_settled(services)
    card = await page.wait_for_selector(".msg.bot >> text=เรื่อง ขอเชิญประชุมกลุ่มส่งเสริม")
    assert "ที่ ศธ 0001/ว 9" in await card.evaluate("node => node.closest('.msg').innerText")
    link = await page.wait_for_selector(".msg.bot a:has-text('วาระการประชุม.pdf')")
    assert "/files/" in (await link.get_attribute("href") or "")
    await page.click(".msg.bot button.btn-action:has-text('รับทราบ')")
    await page.wait_for_selector(".msg.bot >> text=บันทึกการรับทราบแล้ว")
    assert (await notices.counts([notice.id]))[notice.id].acknowledged == 1
