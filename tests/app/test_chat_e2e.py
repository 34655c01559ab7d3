"""End to end on every channel: linking, help, menu buttons, and what unlinked users see."""

from __future__ import annotations

from storage.models import ChatIdentity
from tests.builders.roster import code_for, load_roster


async def test_unlinked_user_is_told_how_to_link(client, chat_user):
    await load_roster()
    user = chat_user()
    await user.says("สวัสดีครับ")
    assert "ยังไม่ได้เชื่อมกับรายชื่อบุคลากร" in user.last()
    assert "รหัสเชื่อมบัญชี" in user.last()
    await user.says("ความก้าวหน้า")  # a real command, still refused until linked
    assert "ยังไม่ได้เชื่อม" in user.last()


async def test_new_chat_gets_a_welcome(client, chat_user):
    user = chat_user()
    await user.follows()
    assert "ยินดีต้อนรับ" in "\n".join(user.texts())
    assert "ความเป็นส่วนตัว (2/2)" in user.last()


async def test_link_with_code_then_help_and_menu_button(client, chat_user):
    await load_roster()
    user = await chat_user.linked("E002")
    assert "นายสมชาย ทดสอบดี" in "\n".join(user.texts())
    await user.says("วิธีใช้")
    assert "ส่งรูปหรือ PDF ใบประกาศนียบัตร" in user.last()
    await user.says("เมนู")
    assert "ต้องการทำอะไรคะ" in user.last()
    await user.presses("ฉันคือใคร")
    assert "รหัสบุคลากร: E002" in user.last()
    assert "ผู้บังคับบัญชา: นางมาลี ใจงาม" in user.last()
    assert await ChatIdentity.filter(channel=chat_user.channel, staff__employee_code="E002").count() == 1


async def test_a_code_works_once(client, chat_user):
    await load_roster()
    code = await code_for("E002")
    first, second = chat_user(), chat_user()
    await first.says(code)
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(first.texts())
    await second.says(code)
    assert "ไม่ถูกต้อง" in second.last()
    await second.says("ฉันคือใคร")
    assert "ยังไม่ได้เชื่อม" in second.last()


async def test_reissued_code_revokes_the_old_one(client, chat_user):
    await load_roster()
    old = await code_for("E002")
    new = await code_for("E002")
    user = chat_user()
    await user.says(old)
    assert "ไม่ถูกต้อง" in user.last()
    await user.says(f"link {new.lower()}")
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(user.texts())


async def test_telegram_deep_link_links(client, telegram_user):
    await load_roster()
    user = telegram_user()
    code = await code_for("E003")
    await user.says(f"/start {code}")
    assert "สวัสดีคุณนางสาววิไล ตั้งใจ" in "\n".join(user.texts())


async def test_one_person_links_line_and_telegram(client, line_user, telegram_user):
    await load_roster()
    on_line, on_telegram = line_user(), telegram_user()
    await on_line.says(await code_for("E002"))
    await on_telegram.says(await code_for("E002"))
    for user in (on_line, on_telegram):
        await user.says("ฉันคือใคร")
        assert "รหัสบุคลากร: E002" in user.last()
    assert await ChatIdentity.filter(staff__employee_code="E002").count() == 2


async def test_guessing_codes_is_limited(client, line_user):
    await load_roster()
    user = line_user()
    for _ in range(5):
        await user.says("ABCDEFGH")
    good = await code_for("E002")
    await user.says(good)
    assert "ไม่ถูกต้อง" in user.last()
    assert not await ChatIdentity.filter(platform_user_id=user.user_id).exists()


async def test_a_telegram_button_press_stops_its_spinner(client, telegram_user, telegram_api):
    await load_roster()
    user = telegram_user()
    await user.says(await code_for("E002"))
    await user.says("เมนู")
    await user.presses("ฉันคือใคร")
    assert "รหัสบุคลากร: E002" in user.last()
    answered = telegram_api.calls_to("answerCallbackQuery")
    assert len(answered) == 1 and answered[0].body["callback_query_id"]
