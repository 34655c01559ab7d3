"""The one way to send: what one turn or job sends to a person goes out bundled, in order.

A LINE push counts against the agency's monthly allowance once per request and
recipient, so a person who gets several messages from one turn must get one
request of up to five messages, not one request each.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from bot.app import SERVICES
from bot.events import Reply
from storage.models import OutboxMessage, Staff
from tests.builders.call_log import record_calls
from tests.builders.chat import link, settle
from tests.builders.roster import TEAM_CSV, load_roster
from tests.builders.submissions import confirm, read_submission


@pytest.fixture
async def people(client, line_user):
    await load_roster(TEAM_CSV)
    return client.server.app[SERVICES]


def pushes_to(line_api, user_id: str) -> list[list[dict]]:
    """The message lists of each push request to one user."""
    return [c.body["messages"] for c in line_api.calls_to("/v2/bot/message/push") if c.body.get("to") == user_id]


async def test_a_delegate_gets_the_notice_and_every_waiting_prompt_in_one_push(client, people, line_user, line_api):
    owner = await link(line_user(), "E005")
    boss = await link(line_user(), "E004")
    acting = await link(line_user(), "E006")
    waiting = [await read_submission(people, "E005") for _ in range(3)]
    for sub in waiting:
        await confirm(owner, sub)
    line_api.clear()
    today = dt.date.today()
    await boss.says(f"รักษาราชการแทน E006 {today} {today + dt.timedelta(days=3)}")
    await settle(client)
    pushes = pushes_to(line_api, acting.user_id)
    assert len(pushes) == 1, "one request for everything the delegate got from this turn"
    texts = "\n".join(acting.texts())
    assert "ได้รับมอบหมายให้พิจารณาใบประกาศแทน" in texts
    for sub in waiting:
        assert f"ขออนุมัติใบประกาศ #{sub.id}" in texts
    # The prompts came in the order the submissions waited.
    assert [texts.index(f"#{s.id}") for s in waiting] == sorted(texts.index(f"#{s.id}") for s in waiting)


async def test_more_than_five_messages_go_in_requests_of_five_in_order(client, people, line_user, line_api):
    person = await link(line_user(), "E005")
    line_api.clear()
    line_api.expire_reply_tokens()
    services = people
    staff = await Staff.get(employee_code="E005")
    async with services.notifier.batch() as out:
        for n in range(7):
            out.send_to(staff, Reply(f"ข้อความที่ {n}"))
    await settle(client)
    pushes = pushes_to(line_api, person.user_id)
    assert [len(p) for p in pushes] == [5, 2]
    assert [t for t in person.texts() if t.startswith("ข้อความที่")] == [f"ข้อความที่ {n}" for n in range(7)]
    assert await OutboxMessage.filter(chat=person.user_id, status="sent").count() >= 1


async def test_one_identity_query_for_many_recipients(client, people, line_user, telegram_user):
    from tortoise import connections

    for code in ("E001", "E003", "E004", "E005", "E006"):
        await link(line_user(), code)
    staff = await Staff.all()
    sending = people.notifier.sending()
    for member in staff:
        sending.send_to(member, Reply("ประกาศ"))
    connection = connections.get("default")
    seen: list[str] = []
    original = connection.execute_query

    async def counting(query, values=None):
        seen.append(query)
        return await original(query, values)

    connection.execute_query = counting
    try:
        await sending.write()
    finally:
        connection.execute_query = original
    lookups = [q for q in seen if "chat_identity" in q.lower() and q.lstrip().upper().startswith("SELECT")]
    assert len(lookups) == 1


async def test_a_whole_agency_is_looked_up_in_parts_and_everyone_is_reached(client, people, line_user, monkeypatch):
    """PostgreSQL refuses a query with more than 32,767 parameters: recipients are looked up in parts."""
    from storage import people as people_queries

    users = {code: await link(line_user(), code) for code in ("E001", "E003", "E004", "E005", "E006")}
    monkeypatch.setattr(people_queries, "IDS_PER_QUERY", 2)
    async with people.notifier.batch() as out:
        for member in await Staff.all():
            out.send_to(member, Reply("ประกาศถึงทุกคน"))
    await settle(client)
    for user in users.values():
        assert "ประกาศถึงทุกคน" in user.texts()


async def test_a_large_job_writes_its_rows_in_bulk_and_everyone_gets_theirs_once(
    client, people, line_user, telegram_user, monkeypatch
):
    """A reminder sweep writes one row per person: in bulk inserts, not 100,000 round trips."""
    from bot import sending as sending_module
    from storage import outbox

    users = {code: await link(line_user(), code) for code in ("E001", "E003", "E004")}
    users["E005"] = await link(telegram_user(), "E005")
    monkeypatch.setattr(sending_module, "BULK_FROM", 3)
    calls = record_calls(monkeypatch, outbox, ("add", "add_many"))
    async with people.notifier.batch() as out:
        for code in users:
            out.send_to(await Staff.get(employee_code=code), Reply(f"เตือน {code}"))
    assert calls == ["add_many"]
    await settle(client)
    for code, user in users.items():
        assert [t for t in user.texts() if t.startswith("เตือน")] == [f"เตือน {code}"]
    assert await OutboxMessage.filter(status="sent", source_event__startswith="batch:").count() == 4


async def test_one_retry_sweep_delivers_more_than_a_page_left_by_a_crash(client, people, line_api):
    """A crash between a large sweep's commit and its deliveries leaves many rows due: the next sweep sends them all."""
    from tortoise.transactions import in_transaction

    from bot.sending import Chat
    from tests.fakes.line_events import line_user_id

    chats = [Chat("line", line_user_id(f"left-{i}")) for i in range(130)]
    sending = people.notifier.sending()
    for chat in chats:
        sending.send_to(chat, Reply("ข้อความค้างส่ง"))
    async with in_transaction():
        await sending.write()  # committed, never handed to delivery: as if the process died here
    assert await people.delivery.sweep() == 130
    assert all(line_api.texts_to(chat.chat) == ["ข้อความค้างส่ง"] for chat in chats)


async def test_a_reply_refused_for_the_platforms_rate_waits_as_told_and_is_never_given_up(
    client, people, telegram_api
):
    """Flood control is the platform's pacing, not a failure: it is no attempt, however often it comes."""
    from tortoise.transactions import in_transaction

    from bot.sending import Chat
    from storage.outbox import MAX_ATTEMPTS
    from tests.fakes.faults import RateWindow

    telegram_api.enforce_rates()
    telegram_api.chat_rate = RateWindow(0)  # every message to a chat is refused, "retry after 1"
    sending = people.notifier.sending()
    sending.send_to(Chat("telegram", "900123"), Reply("ผลการพิจารณา"))
    async with in_transaction():
        await sending.write()
    for _ in range(MAX_ATTEMPTS + 2):
        await OutboxMessage.filter(chat="900123").update(next_attempt_at=0)
        assert await people.delivery.sweep() == 1
    row = await OutboxMessage.get(chat="900123")
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "Telegram 429")
    assert row.next_attempt_at > time.time() + 0.5  # as long as Telegram asked
    assert await people.delivery.sweep() == 0  # and not before
    assert telegram_api.refused_for_rate["sendMessage"] >= MAX_ATTEMPTS + 2
    telegram_api.chat_rate = RateWindow(1)
    # No sweep (it runs every 15 s): this process sends it again once Telegram's second is up.
    for _ in range(50):
        if telegram_api.texts_to("900123"):
            break
        await asyncio.sleep(0.1)
    assert telegram_api.texts_to("900123") == ["ผลการพิจารณา"]
    assert (await OutboxMessage.get(chat="900123")).status == "sent"
