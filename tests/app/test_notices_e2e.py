"""Circular notices end to end: queued by the scheduler's job, sent by the broadcast dispatcher
through the platform fakes, acknowledged with the button on either channel, counted once.

The team: E004 (a group head, on LINE and Telegram), E005 (LINE) and E006 (Telegram) in
กลุ่มส่งเสริม; E003 the HR admin (Telegram); E001 the director (not linked).
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from scheduler.notices import queue_due
from storage import notices
from storage.models import Notice, NoticeRecipient, OutboxMessage, Staff, Unit
from tests.builders.notices import QUIET, broadcast_settled
from tests.builders.roster import TEAM_CSV, load_roster

PDF = b"%PDF-1.4\n% a circular notice\n%%EOF\n"
SUBJECT = "ขอเชิญอบรมหลักสูตรการพัฒนาทักษะดิจิทัล"
# Not 10:00: the suite's quiet hours move with the hour it runs, and could cover 10:00.
OFFICE_HOURS = QUIET.outside(dt.date(2026, 12, 7))


@pytest.fixture
def settings(settings):
    """Quiet hours that never hold the run's own "now" (see QuietHours)."""
    return settings.model_copy(update={"quiet_hours": QUIET.setting})


@pytest.fixture
async def team(client, users_on):
    await load_roster(TEAM_CSV)
    return {
        "E003": await users_on("telegram").linked("E003"),
        "E004_line": await users_on("line").linked("E004"),
        "E004_tg": await users_on("telegram").linked("E004"),
        "E005": await users_on("line").linked("E005"),
        "E006": await users_on("telegram").linked("E006"),
    }


async def a_notice(services, *, audience: dict | None = None, ack: bool = True, **extra) -> Notice:
    """A confirmed notice to กลุ่มส่งเสริม with a PDF, due now, written by the admin E003."""
    unit = await Unit.get(name="กลุ่มส่งเสริม")
    stored = await services.files.put(PDF)
    admin = await Staff.get(employee_code="E003")
    return await notices.create(
        subject=SUBJECT,
        body="ด้วยสำนักงานจะจัดอบรม ขอให้บุคลากรลงทะเบียนภายในกำหนด",
        doc_no="ศธ 0001/ว 123",
        reply_by=dt.date(2026, 12, 20),
        audience=audience or {"kind": "units", "units": [unit.id], "subunits": False},
        attachments=[{"sha256": stored.sha256, "name": "หนังสือเวียน.pdf", "mime": "application/pdf", "size": len(PDF)}],
        ack_required=ack,
        created_by=admin.id,
        send_at=OFFICE_HOURS.timestamp(),
        **extra,
    )


async def test_a_notice_reaches_each_chat_once_and_each_press_counts_once(services, team, line_api, telegram_api):
    notice = await a_notice(services)
    assert await queue_due(services, OFFICE_HOURS) == 1
    await broadcast_settled(services)

    for who in ("E004_line", "E005"):
        shown = team[who].texts()
        assert sum(SUBJECT in text for text in shown) == 1, shown
    for who in ("E004_tg", "E006"):
        shown = team[who].texts()
        assert sum(SUBJECT in text for text in shown) == 1, shown
        assert sum("หนังสือเวียน.pdf" in text for text in shown) == 1
    # The PDF went up to Telegram once; the second chat got it by file id.
    documents = [m for chat in ("E004_tg", "E006") for m in telegram_api.messages_to(team[chat].user_id) if "document" in m]
    assert len(documents) == 2
    # The admin was told where it went.
    assert any("กำลังส่งถึง 3 คน" in text for text in team["E003"].texts())

    await team["E005"].presses("รับทราบ")
    await team["E004_line"].presses("รับทราบ")
    await team["E004_tg"].presses("รับทราบ")
    await team["E004_tg"].presses("รับทราบ")
    await services.processor.drain()
    assert "บันทึกการรับทราบแล้ว" in team["E005"].last()
    assert "รับทราบหนังสือฉบับนี้ไว้แล้ว" in team["E004_tg"].last()

    counts = (await notices.counts([notice.id]))[notice.id]
    assert (counts.total, counts.delivered, counts.acknowledged, counts.unreachable) == (3, 3, 2, 0)
    e004 = await NoticeRecipient.get(notice_id=notice.id, staff__employee_code="E004")
    assert e004.ack_channel == "line"


async def test_someone_who_blocked_the_bot_is_reported_unreachable(services, team, telegram_api):
    telegram_api.block(team["E006"].user_id)
    notice = await a_notice(services)
    await queue_due(services, OFFICE_HOURS)
    await broadcast_settled(services)
    counts = (await notices.counts([notice.id]))[notice.id]
    assert (counts.delivered, counts.unreachable) == (2, 1)
    # Not retried, and the next notice skips the chat without trying it.
    again = await a_notice(services)
    await queue_due(services, OFFICE_HOURS)
    await broadcast_settled(services)
    assert (await notices.counts([again.id]))[again.id].unreachable == 1
    assert not await OutboxMessage.filter(notice_id=again.id, chat=str(team["E006"].user_id)).exists()


async def test_a_press_from_someone_the_notice_was_not_sent_to_records_nothing(services, team):
    notice = await a_notice(services, audience={"kind": "codes", "codes": ["E005"]})
    await queue_due(services, OFFICE_HOURS)
    await broadcast_settled(services)
    await team["E006"].sends_action(f"ack|{notice.id}")
    await services.processor.drain()
    assert "ไม่ได้ส่งถึงคุณ" in team["E006"].last()
    assert (await notices.counts([notice.id]))[notice.id].acknowledged == 0


async def test_quiet_hours_hold_a_notice_unless_it_is_urgent(services, team):
    night = QUIET.inside(dt.date(2026, 12, 7))
    calm = await a_notice(services)
    urgent = await a_notice(services, urgent=True)
    await Notice.filter(id__in=[calm.id, urgent.id]).update(send_at=night.timestamp())
    assert await queue_due(services, night) == 1
    assert (await Notice.get(id=calm.id)).status == "scheduled"
    assert (await Notice.get(id=urgent.id)).status == "queued"
    assert await queue_due(services, QUIET.release(dt.date(2026, 12, 7)) + dt.timedelta(hours=1)) == 1


@pytest.mark.parametrize("channel", ["line", "telegram"])
async def test_an_admin_sends_a_notice_in_chat_and_finds_who_has_not_acknowledged(
    channel, services, team, users_on, telegram_api
):
    """The whole loop from the admin's chat: compose with a PDF to a unit, confirm, recipients on both
    channels get it once and acknowledge, the admin's counts and the export are right."""
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.builders.notices import compose_to_unit

    admin = await users_on(channel).linked("E001")  # the director, also an admin
    await compose_to_unit(admin)
    await admin.presses("ส่งทันที")
    await admin.presses("ยืนยันส่ง")
    [notice] = await Notice.all()
    for _ in range(100):  # the confirm wakes the queueing job; it runs beside the turn
        if (await Notice.get(id=notice.id)).status != "scheduled":
            break
        await asyncio.sleep(0.05)
    await broadcast_settled(services)

    subject = notice.subject
    for who in ("E004_line", "E004_tg", "E005", "E006"):
        assert sum(subject in text for text in team[who].texts()) == 1, who
    for who in ("E004_tg", "E006"):
        assert len([m for m in telegram_api.messages_to(team[who].user_id) if m.get("document")]) == 1, who
    # Uploaded once (with the preview, when the admin is on Telegram), then sent by its file id.
    assert telegram_api.uploads == 1
    await team["E005"].presses("รับทราบ")
    await team["E006"].presses("รับทราบ")
    await services.processor.drain()

    await admin.says("ประกาศ")
    assert "ส่งถึง 3/3 · ไม่ถึง 0 · รับทราบ 2" in admin.last()
    await admin.says(f"ประกาศ {notice.id}")
    detail = admin.last()
    assert "ยังไม่รับทราบ 1 คน:" in detail and "(E004)" in detail
    assert "(E005)" not in detail and "(E006)" not in detail
    if channel == "line":
        return  # LINE carries no files: the detail says how to get the list instead
    await admin.presses("ส่งออก Excel")
    [export] = [
        m["document"] for m in telegram_api.messages_to(admin.user_id)
        if not isinstance(m.get("document", ""), str) and m["document"].filename.endswith(".xlsx")
    ]
    book = load_workbook(BytesIO(export.data))
    rows = [list(r) for r in book["ยังไม่รับทราบ"].iter_rows(values_only=True)]
    assert rows[1:] == [["กลุ่มส่งเสริม", "E004", "นายประเสริฐ คุมงาน", "ส่งถึงแล้ว"]]
