"""`ตั้งค่าการแจ้งเตือน` end to end: people pick a channel and pause a round, admins switch kinds off agency-wide.

What a choice changes is seen in the next sweep, driven by a fake clock (24 Mar 2027
09:00 is the 7-day reminder of FY 2570 round 1). Pausing acts on the round of the real
today, so those tests sweep seven days before that round's deadline.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.events import Action
from fiscal.calendar import round_of, today_bangkok
from scheduler.reminders import ReminderSweeper, Schedule, due_reminders
from storage import reminders as store
from storage.models import ChatIdentity, ReminderChoice, ReminderPause
from tests.builders.roster import PROGRESS_TEAM_CSV, load_roster
from tests.builders.clock import BANGKOK, at, sweep

TITLE = "⏰ ใกล้ถึงกำหนดส่งรอบที่"
SETTINGS = "ตั้งค่าการแจ้งเตือน"
LINE, TELEGRAM, BOTH = "LINE (ไลน์)", "Telegram (เทเลแกรม)", "ทั้งสองช่องทาง"



def week_before_this_rounds_deadline() -> dt.datetime:
    """09:00 seven days before the deadline of the round the real today falls in (no admin deadline set)."""
    end = round_of(today_bangkok()).end
    return dt.datetime.combine(end - dt.timedelta(days=7), dt.time(9), BANGKOK)


def reminders(user) -> list[str]:
    """The deadline reminders a user was shown."""
    return [text for text in user.texts() if TITLE in text]


def has_button(user, label: str) -> bool:
    try:
        user.button_data(label)
    except AssertionError:
        return False
    return True



@pytest.fixture
async def team(client):
    """E004–E007 under E004; E003 is the HR admin. Nobody has a certificate: all are below target."""
    await load_roster(PROGRESS_TEAM_CSV)


async def test_a_person_on_both_channels_picks_telegram_then_both(services, team, users_on):
    on_line = await users_on("line").linked("E006")
    on_telegram = await users_on("telegram").linked("E006")
    await on_telegram.says(SETTINGS)
    assert f"ส่งการแจ้งเตือนทาง: {LINE} และ {TELEGRAM}" in on_telegram.last()
    assert "แจ้งเตือนตามปกติ" in on_telegram.last()
    await on_telegram.presses(TELEGRAM)
    assert "บันทึกแล้วค่ะ" in on_telegram.last() and f"ส่งการแจ้งเตือนทาง: {TELEGRAM}\n" in on_telegram.last()
    now = at("2027-03-24 09:00")
    [item] = await due_reminders(now, Schedule.from_settings(services.settings))
    assert item.channels == ("telegram",)  # what `reminders preview` prints and counts
    assert await sweep(services, now) == 1
    assert len(reminders(on_telegram)) == 1 and reminders(on_line) == []
    # Both again, from the LINE chat: the 3-day reminder reaches both chats.
    await on_line.says(SETTINGS)
    await on_line.presses(BOTH)
    assert f"ส่งการแจ้งเตือนทาง: {LINE} และ {TELEGRAM}" in on_line.last()
    assert await ReminderChoice.all().count() == 0
    assert await sweep(services, at("2027-03-28 09:00")) == 1
    assert len(reminders(on_telegram)) == 2 and len(reminders(on_line)) == 1


async def test_a_chosen_channel_unlinked_since_falls_back_to_every_linked_chat(services, team, users_on):
    on_line = await users_on("line").linked("E006")
    on_telegram = await users_on("telegram").linked("E006")
    await on_line.says(SETTINGS)
    await on_line.presses(TELEGRAM)
    await ChatIdentity.filter(channel="telegram").delete()
    assert await sweep(services, at("2027-03-24 09:00")) == 1
    assert len(reminders(on_line)) == 1 and reminders(on_telegram) == []


async def test_someone_on_one_channel_gets_no_channel_buttons_and_a_forged_choice_changes_nothing(
    services, team, users_on
):
    suda = await users_on("line").linked("E005")
    await suda.says(SETTINGS)
    assert f"ส่งการแจ้งเตือนทาง: {LINE}\n" in suda.last()
    assert not has_button(suda, TELEGRAM) and not has_button(suda, BOTH) and not has_button(suda, LINE)
    assert has_button(suda, "หยุดเตือนรอบนี้")
    assert not has_button(suda, "ตั้งค่าของหน่วยงาน")  # admins only
    await suda.sends_action(Action("rs.ch", ("telegram",)).encode())
    assert "ยังไม่ได้เชื่อมกับ Telegram (เทเลแกรม) จึงเลือกช่องทางนี้ไม่ได้ค่ะ" in suda.last()
    await suda.sends_action(Action("rs.ch", ("fax",)).encode())
    assert "ปุ่มนี้หมดอายุแล้วค่ะ" in suda.last()
    assert await ReminderChoice.all().count() == 0
    assert await sweep(services, at("2027-03-24 09:00")) == 1
    assert len(reminders(suda)) == 1


async def test_pause_and_resume_this_round_from_the_settings(services, team, users_on):
    period = round_of(today_bangkok())
    thana = await users_on("telegram").linked("E006")
    await thana.says(SETTINGS)
    await thana.presses("หยุดเตือนรอบนี้")
    assert f"หยุดแจ้งเตือนรอบที่ {period.round} แล้วค่ะ" in thana.last()
    assert f"รอบที่ {period.round} ปีงบประมาณ {period.fiscal_year}: หยุดแจ้งเตือนแล้ว" in thana.last()
    assert await sweep(services, week_before_this_rounds_deadline()) == 0
    assert reminders(thana) == []
    await thana.presses("เตือนต่อ")
    assert f"จะแจ้งเตือนรอบที่ {period.round} ต่อตามปกติค่ะ" in thana.last()
    assert "แจ้งเตือนตามปกติ" in thana.last()
    assert await sweep(services, week_before_this_rounds_deadline()) == 1
    assert len(reminders(thana)) == 1


async def test_a_button_of_another_round_pauses_nothing(services, team, users_on):
    period = round_of(today_bangkok())
    thana = await users_on("telegram").linked("E006")
    await thana.sends_action(Action("rs.pause", (str(period.fiscal_year - 1), str(period.round))).encode())
    assert "ปุ่มนี้หมดอายุแล้วค่ะ" in thana.last()
    await thana.sends_action(Action("rs.pause").encode())
    assert "ปุ่มนี้หมดอายุแล้วค่ะ" in thana.last()
    assert await ReminderPause.all().count() == 0


async def test_admin_turns_staff_reminders_off_then_on(services, team, users_on):
    admin = await users_on("telegram").linked("E003")
    thana = await users_on("line").linked("E006")
    await admin.says(SETTINGS)
    await admin.presses("ตั้งค่าของหน่วยงาน")
    assert "✅ เตือนบุคลากรก่อนกำหนดส่ง: เปิด" in admin.last()
    await admin.presses("ปิดเตือนบุคลากร")
    assert "ปิดเตือนบุคลากรก่อนกำหนดส่งทั้งหน่วยงานแล้วค่ะ" in admin.last()
    assert "⛔ เตือนบุคลากรก่อนกำหนดส่ง: ปิด" in admin.last()
    assert "✅ สรุปให้ผู้บังคับบัญชา: เปิด" in admin.last()
    assert await sweep(services, at("2027-03-24 09:00")) == 0
    assert reminders(thana) == [] and reminders(admin) == []
    await thana.says(SETTINGS)
    assert "หน่วยงานปิดไว้: เตือนบุคลากรก่อนกำหนดส่ง" in thana.last()
    # The typed form opens the same switches.
    await admin.says("ตั้งค่าการแจ้งเตือน หน่วยงาน")
    await admin.presses("เปิดเตือนบุคลากร")
    assert "เปิดเตือนบุคลากรก่อนกำหนดส่งทั้งหน่วยงานแล้วค่ะ" in admin.last()
    assert await sweep(services, at("2027-03-24 09:00")) == 2
    assert len(reminders(thana)) == 1 and len(reminders(admin)) == 1


async def test_the_scheduled_sweep_sends_soon_after_staff_reminders_are_switched_on_again(services, team, users_on):
    admin = await users_on("telegram").linked("E003")
    sweeper = ReminderSweeper(services)
    await admin.says("ตั้งค่าการแจ้งเตือน หน่วยงาน")
    await admin.presses("ปิดเตือนบุคลากร")
    assert await sweeper.run(at("2027-03-24 09:00")) == 0
    await admin.presses("เปิดเตือนบุคลากร")
    assert await sweeper.run(at("2027-03-24 09:05")) == 1  # not an hour later
    await services.notifier.drain()
    assert len(reminders(admin)) == 1


async def test_a_non_admin_cannot_switch_a_kind(services, team, users_on):
    thana = await users_on("telegram").linked("E006")
    await thana.sends_action(Action("rs.kind", ("staff", "off")).encode())
    assert "ขออภัยค่ะ คุณไม่มีสิทธิ์ใช้คำสั่งนี้" in thana.last()
    await thana.sends_action(Action("rs.agency").encode())
    assert "ขออภัยค่ะ คุณไม่มีสิทธิ์ใช้คำสั่งนี้" in thana.last()
    await thana.says("ตั้งค่าการแจ้งเตือน หน่วยงาน")
    assert "ขออภัยค่ะ คุณไม่มีสิทธิ์ใช้คำสั่งนี้" in thana.last()
    assert await store.kinds_off() == set()
    assert await sweep(services, at("2027-03-24 09:00")) == 1
