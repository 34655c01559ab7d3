"""Routing rules: global commands and the cancel word beat every pending-input state; roles gate routes.

The pending-input states are collected from the registered routes, so a feature that adds
one is covered here as soon as `STATE_ENTRIES` says how a user gets into it (the test
fails until it does).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from bot.routing import pending_input_states
from handlers import ROUTERS
from handlers.fallback import CANCEL_WORDS
from storage import conversations
from storage.models import RoundDeadline, Staff, Submission
from tests.fakes.line_events import postback_event
from tests.builders.roster import ROSTER_CSV, code_for, load_roster

MENU_SHOWN = "ต้องการทำอะไรคะ"  # menu.text
CANCELLED = "ยกเลิกแล้วค่ะ"  # common.cancelled
UNKNOWN = "ไม่เข้าใจคำสั่งนี้"  # common.unknown
NOT_ALLOWED = "คุณไม่มีสิทธิ์ใช้คำสั่งนี้"  # common.not_allowed


async def linked(line_user: Callable[[], Any], employee_code: str) -> Any:
    user = line_user()
    await user.says(await code_for(employee_code))
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(user.texts())
    return user


async def read_certificate(services: Any, employee_code: str) -> Submission:
    """A certificate the reader has read, waiting for its owner to check it."""
    picture = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(picture, "PNG")
    stored = await services.files.put(picture.getvalue() + employee_code.encode())
    staff = await Staff.get(employee_code=employee_code)
    return await Submission.create(
        staff=staff, status="read", channel="line", chat="-", file_sha256=stored.sha256, file_name="c.png",
        file_mime="image/png", file_size=stored.size, name_read=staff.display_name,
        course_title="การเขียนหนังสือราชการ", kind="course", hours=Decimal(6), completed_on=dt.date.today(),
        fiscal_year=2570, round=1, warnings=[], confidence=0.95,
    )  # fmt: skip


async def press_data(user: Any, data: str) -> None:
    """Press a button whose action data the bot put on a card shown earlier."""
    await user.send(postback_event(user.user_id, data, user.token()))


# --- ways into each pending-input state, through the chat ------------------------------------


async def enter_reject_reason(services: Any, line_user: Any) -> Any:
    """A supervisor taps reject, then "type a reason"."""
    owner, boss = await linked(line_user, "E002"), await linked(line_user, "E001")
    submission = await read_certificate(services, "E002")
    await press_data(owner, f"cert.confirm|{submission.id}")
    assert "ขออนุมัติใบประกาศ #" in boss.last()
    await boss.presses("❌ ไม่อนุมัติ")
    await boss.presses("พิมพ์เหตุผลเอง")
    return boss


async def enter_field_edit(services: Any, line_user: Any) -> Any:
    """The owner opens their card, taps edit, then the hours field."""
    owner = await linked(line_user, "E002")
    submission = await read_certificate(services, "E002")
    await press_data(owner, f"cert.show|{submission.id}")
    await owner.presses("✏️ แก้ไข")
    await owner.presses("จำนวนชั่วโมง")
    assert "พิมพ์จำนวนชั่วโมง" in owner.last()
    return owner


async def enter_notice_draft(services: Any, line_user: Any) -> Any:
    """An admin starts a circular notice: the draft waits for its subject."""
    admin = await linked(line_user, "E003")
    await admin.says("ส่งหนังสือเวียน")
    assert "เรื่อง" in admin.last()
    return admin


STATE_ENTRIES: dict[str, Callable[[Any, Any], Awaitable[Any]]] = {
    "approval.reason": enter_reject_reason,
    "cert.edit": enter_field_edit,
    "notice.draft": enter_notice_draft,
}
STATES = sorted(pending_input_states(ROUTERS))


def test_every_state_has_a_way_in_and_the_cancel_words_are_global():
    assert STATES, "no route is bound to a state: the collection itself broke"
    assert set(STATES) <= set(STATE_ENTRIES), f"add a way into {sorted(set(STATES) - set(STATE_ENTRIES))}"
    cancel = [r for router in ROUTERS for r in router.routes if r.kind == "command" and "ยกเลิก" in r.words]
    assert len(cancel) == 1 and cancel[0].global_ and set(cancel[0].words) == set(CANCEL_WORDS)


async def state_of(user: Any) -> str | None:
    saved = await conversations.load(user.channel, user.user_id)
    return saved.state if saved else None


async def in_state(state: str, services: Any, line_user: Any) -> Any:
    await load_roster()
    user = await STATE_ENTRIES[state](services, line_user)
    assert await state_of(user) == state
    return user


async def left_state(user: Any) -> None:
    """Nothing is pending any more: what was the state's input is now just unknown text."""
    assert await state_of(user) is None
    await user.says("ข้อความทดสอบทั่วไป")
    assert UNKNOWN in user.last()


@pytest.mark.parametrize("command", ["เมนู", "/menu"])
@pytest.mark.parametrize("state", STATES)
async def test_a_global_command_shows_the_menu_and_ends_the_pending_input(client, services, line_user, state, command):
    user = await in_state(state, services, line_user)
    before = await Submission.all().values_list("status", "hours", "decision_reason")
    await user.says(command)
    assert MENU_SHOWN in user.last()
    assert await Submission.all().values_list("status", "hours", "decision_reason") == before
    await left_state(user)


@pytest.mark.parametrize("word", [*CANCEL_WORDS, "/cancel"])
@pytest.mark.parametrize("state", STATES)
async def test_the_cancel_word_ends_the_pending_input(client, services, line_user, state, word):
    user = await in_state(state, services, line_user)
    before = await Submission.all().values_list("status", "hours", "decision_reason")
    await user.says(word)
    assert user.last() == CANCELLED
    assert await Submission.all().values_list("status", "hours", "decision_reason") == before
    await left_state(user)


@pytest.mark.parametrize("state", STATES)
async def test_progress_works_in_the_middle_of_a_pending_input(client, services, line_user, state):
    user = await in_state(state, services, line_user)
    await user.says("ความก้าวหน้า")
    assert "ปีงบประมาณ" in user.last()
    await left_state(user)


# --- roles ---------------------------------------------------------------------------------------


async def test_staff_typing_a_supervisor_command_is_told_it_is_not_theirs(client, line_user, caplog):
    await load_roster()
    staff = await linked(line_user, "E002")
    person = await Staff.get(employee_code="E002")
    with caplog.at_level(logging.INFO, logger="bot.processor"):
        await staff.says("ทีมของฉัน")
    assert staff.last().endswith(NOT_ALLOWED)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refused == [f"route progress.team refused to staff {person.id}: it needs one of admin,supervisor"]
    assert person.first_name not in refused[0] and person.last_name not in refused[0]


async def test_staff_setting_a_deadline_changes_nothing(client, line_user):
    await load_roster()
    staff = await linked(line_user, "E002")
    await staff.says("กำหนดส่ง 2570 รอบ 1 25 มี.ค. 2570")
    assert NOT_ALLOWED in staff.last()
    assert await RoundDeadline.all().count() == 0
    admin = await linked(line_user, "E003")
    await admin.says("กำหนดส่ง 2570 รอบ 1 25 มี.ค. 2570")
    assert await RoundDeadline.all().count() == 1


async def test_staff_sending_a_roster_file_is_refused_and_nothing_is_imported(client, line_user):
    await load_roster()
    staff = await linked(line_user, "E002")
    promoted = ROSTER_CSV.replace("E001,staff,มีประสบการณ์", "E001,admin,มีประสบการณ์")
    assert promoted != ROSTER_CSV
    await staff.sends_file(promoted.encode(), "roster.csv")
    assert NOT_ALLOWED in staff.last()
    assert not (await Staff.get(employee_code="E002")).is_admin
    assert await Submission.all().count() == 0


async def test_staff_may_not_delegate_nor_read_the_agency_report(client, line_user):
    await load_roster()
    staff = await linked(line_user, "E002")
    for text in ("รักษาราชการแทน E003 1/1/2570 31/1/2570", "สรุปหน่วยงาน", "/summary", "รายงาน 2570"):
        await staff.says(text)
        assert NOT_ALLOWED in staff.last(), text
