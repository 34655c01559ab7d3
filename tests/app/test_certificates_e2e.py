"""Certificate intake end to end: photo/PDF in through the webhooks, card out, confirm, correct, withdraw."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.app import SERVICES
from storage.models import OcrJob, Submission
from tests.builders.certificates import CARD, SAMPLE, jpeg, learner_on, pdf, send_and_read, settle_ocr

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="shared sample certificate not found")


async def test_photo_becomes_a_correct_card_and_confirming_stores_it(client, chat_user):
    user = await learner_on(chat_user)
    await send_and_read(client, user, jpeg(SAMPLE), "cert.jpg", image=True, mime="image/jpeg")
    card = user.last()
    assert CARD in card
    assert "หลักสูตร: ผู้นำทีมที่มีประสิทธิภาพ" in card
    assert "จำนวนชั่วโมง: 45 ชั่วโมง" in card
    assert "วันที่สำเร็จ: 13 ธันวาคม พ.ศ. 2566" in card
    assert "นับในปีงบประมาณ 2567 รอบที่ 1" in card
    assert "ไม่พบชื่อหลักสูตรนี้ในรายการของ ก.พ." in card
    assert "ไม่ตรงกับชื่อในทะเบียน" not in card
    await user.presses("✅ ยืนยัน")
    assert "ส่ง \"ผู้นำทีมที่มีประสิทธิภาพ\" ให้ผู้บังคับบัญชาพิจารณาแล้ว" in user.texts()[-2]
    assert "ยังไม่ได้เชื่อมบัญชีกับบอท" in user.last()  # the supervisor has not linked yet
    stored = await Submission.get(staff__employee_code="E010")
    assert stored.status == "confirmed"
    assert str(stored.completed_on) == "2023-12-13" and stored.hours == 45
    assert (client.server.app[SERVICES].files.path_for(stored.file_sha256)).exists()


async def test_pdf_document_on_telegram(client, users_on):
    user = await learner_on(users_on("telegram"))
    await send_and_read(client, user, pdf(SAMPLE), "certificate.pdf", image=False, mime="application/pdf")
    assert "ผู้นำทีมที่มีประสิทธิภาพ" in user.last()


async def test_not_an_image_is_refused_and_nothing_is_stored(client, users_on):
    user = await learner_on(users_on("line"))
    await user.sends_file(b"PK\x03\x04 this is a docx", "report.docx")
    assert "รองรับเฉพาะรูปภาพ" in user.last()
    assert await Submission.all().count() == 0


async def test_a_blank_picture_is_not_a_certificate(client, users_on):
    user = await learner_on(users_on("telegram"))
    blank = io.BytesIO()
    Image.new("RGB", (900, 1270), "white").save(blank, "JPEG")
    await send_and_read(client, user, blank.getvalue(), "x.jpg", image=True, mime="image/jpeg")
    assert "ดูไม่เหมือนใบประกาศนียบัตร" in user.last()
    stored = await Submission.get()
    assert stored.status == "unreadable"
    assert not client.server.app[SERVICES].files.path_for(stored.file_sha256).exists()


async def test_correcting_hours_validates_and_updates_the_card(client, users_on):
    user = await learner_on(users_on("line"))
    await send_and_read(client, user, jpeg(SAMPLE), "c.jpg", image=True)
    await user.presses("✏️ แก้ไข")
    await user.presses("จำนวนชั่วโมง")
    assert "พิมพ์จำนวนชั่วโมง" in user.last()
    await user.says("สิบสอง")
    assert "ต้องเป็นตัวเลข" in user.last()
    await user.says("๑๒ ชั่วโมง")
    assert "จำนวนชั่วโมง: 12 ชั่วโมง" in user.last()
    await user.presses("✏️ แก้ไข")
    await user.presses("จำนวนชั่วโมง")
    await user.says("90 นาที")
    assert "จำนวนชั่วโมง: 1.5 ชั่วโมง" in user.last()
    await user.presses("✏️ แก้ไข")
    await user.presses("วันที่สำเร็จ")
    await user.says("31 กุมภาพันธ์ 2569")
    assert "ไม่เข้าใจวันที่นี้" in user.last()
    await user.says("5 ม.ค. 69")
    assert "วันที่สำเร็จ: 5 มกราคม พ.ศ. 2569" in user.last()
    assert "นับในปีงบประมาณ 2569 รอบที่ 1" in user.last()


async def test_the_same_certificate_twice_is_flagged(client, users_on):
    user = await learner_on(users_on("telegram"))
    data = jpeg(SAMPLE)
    await send_and_read(client, user, data, "a.jpg", image=True, mime="image/jpeg")
    await send_and_read(client, user, data, "a.jpg", image=True, mime="image/jpeg")
    assert "ไฟล์นี้เคยส่งแล้ว" in user.last()


async def test_received_certificate_survives_a_crash_and_is_read_once(client, services, users_on):
    user = await learner_on(users_on("line"))
    await services.ocr.stop()  # the reader dies right after "received"
    await user.sends_file(jpeg(SAMPLE), "c.jpg", image=True)
    assert "ได้รับใบประกาศนียบัตรแล้ว" in user.last()
    assert await OcrJob.filter(status="pending").count() == 1
    services.ocr.start()  # the next start-up
    await settle_ocr(client)
    cards = [t for t in user.texts() if CARD in t]
    assert len(cards) == 1
    assert (await OcrJob.get()).status == "done"


async def test_list_and_withdraw(client, users_on):
    user = await learner_on(users_on("line"))
    await send_and_read(client, user, jpeg(SAMPLE), "c.jpg", image=True)
    await user.presses("✅ ยืนยัน")
    await user.says("รายการของฉัน")
    assert "รอผู้บังคับบัญชาอนุมัติ" in user.last()
    sid = (await Submission.get()).id
    await user.presses(f"ถอนรายการ #{sid}")
    assert f"ถอนรายการ #{sid} แล้ว" in user.last()
    await user.says("รายการของฉัน")
    assert "ไม่มีรายการที่รอดำเนินการ" in user.last()


async def test_someone_else_cannot_confirm_my_certificate(client, users_on):
    owner = await learner_on(users_on("line"))
    await send_and_read(client, owner, jpeg(SAMPLE), "c.jpg", image=True)
    data = owner.button_data("✅ ยืนยัน")
    other = await users_on("line").linked("E002")
    await other.sends_action(data)
    assert "ไม่พบรายการนี้" in other.last()
    assert (await Submission.get()).status == "read"


async def test_a_recompressed_copy_of_a_sent_photo_is_flagged(client, users_on):
    user = await learner_on(users_on("line"))
    await send_and_read(client, user, jpeg(SAMPLE, 1200), "a.jpg", image=True)
    await send_and_read(client, user, jpeg(SAMPLE, 1000), "b.jpg", image=True)  # other bytes, same picture
    assert "รูปนี้เหมือนใบประกาศที่เคยส่งแล้ว" in user.last()
