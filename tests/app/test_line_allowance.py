"""LINE's monthly message allowance: a reminder sweep stays within it, and a monthly-limit 429 is not retried.

FY 2570 round 1 ends on 31 Mar 2027; 24 Mar 2027 09:00 Bangkok is the 7-day reminder.
The LINE fake serves the quota endpoints and answers pushes beyond the allowance with
LINE's monthly-limit 429, counting one message per push and recipient.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
import pytest

from storage.models import OutboxMessage, ReminderSent
from tests.builders.credentials import LINE_TOKEN
from tests.builders.processes import run_cli
from tests.builders.roster import PROGRESS_TEAM_CSV, load_roster
from tests.builders.submissions import approved
from tests.fakes.line_api import MONTHLY_LIMIT_MESSAGE, messaging_checker
from tests.builders.clock import at, sweep

IN_ROUND = dt.date(2026, 10, 15)
TITLE = "⏰ ใกล้ถึงกำหนดส่งรอบที่ 1"
NOTICE = "โควตาข้อความ LINE เดือนนี้ไม่พอค่ะ"
PUSH = "/v2/bot/message/push"



def reminders(user) -> list[str]:
    """The reminders a user was shown."""
    return [text for text in user.texts() if TITLE in text]



@pytest.fixture
async def team(client, users_on):
    """Below target: E004 (LINE only, nothing done), E005 (LINE only, part done), E006 (LINE and Telegram).

    E007 met the target (LINE); E003, an admin who met it too, reads Telegram.
    """
    await load_roster(PROGRESS_TEAM_CSV)
    await approved("E005", course_code="DS01", hours=6, on=IN_ROUND)
    await approved("E005", title="การเขียนหนังสือราชการ", hours=12, on=IN_ROUND)
    for code in ("E007", "E003"):
        for _ in range(3):
            await approved(code, course_code="DS04", hours=3, on=IN_ROUND)
    line, telegram = users_on("line"), users_on("telegram")
    return {
        "E004": await line.linked("E004"),
        "E005": await line.linked("E005"),
        "E006_line": await line.linked("E006"),
        "E006_telegram": await telegram.linked("E006"),
        "E007": await line.linked("E007"),
        "E003": await telegram.linked("E003"),
    }


async def test_short_allowance_moves_dual_linked_to_telegram_sends_the_most_urgent_and_tells_admins(
    services, team, line_api
):
    # One LINE message left this month; the sweep as due would use three (E004, E005, E006).
    line_api.set_allowance(line_api.messages_used + 1)
    assert await sweep(services, at("2027-03-24 09:00")) == 2
    # E006 reads it on Telegram only; E004, who has done nothing yet, gets the one LINE message.
    assert len(reminders(team["E006_telegram"])) == 1 and reminders(team["E006_line"]) == []
    [prasert] = reminders(team["E004"])
    assert "คุณประเสริฐ เหลืออีก" in prasert
    # E005, who has done part of her target, waits: not sent and not claimed.
    assert reminders(team["E005"]) == []
    assert not await ReminderSent.filter(staff__employee_code="E005").exists()
    # The admin is told, once, how many could not go out on LINE and why.
    [notice] = [text for text in team["E003"].texts() if NOTICE in text]
    assert "ยังส่งทาง LINE ไม่ได้ 1 คน (ต้องใช้ 3 ข้อความ เหลือ 1 ข้อความ)" in notice
    assert "ส่งทาง Telegram แทน 1 คน" in notice
    assert all(call.status == 200 for call in line_api.calls_to(PUSH))  # nothing ran into the limit

    # The agency raises its plan; the next sweep in the same window sends the rest, once.
    line_api.set_allowance(line_api.allowance + 100)
    assert await sweep(services, at("2027-03-24 10:00")) == 1
    assert len(reminders(team["E005"])) == 1
    assert await sweep(services, at("2027-03-24 11:00")) == 0
    assert len(reminders(team["E004"])) == 1 and len(reminders(team["E006_telegram"])) == 1
    assert reminders(team["E006_line"]) == [] and reminders(team["E007"]) == []
    assert len([text for text in team["E003"].texts() if NOTICE in text]) == 1


async def test_someone_who_chose_line_reads_it_on_telegram_when_line_runs_short(services, team, line_api):
    from storage import reminders as reminder_settings
    from storage.models import Staff

    await reminder_settings.choose(await Staff.get(employee_code="E006"), "line")
    line_api.set_allowance(line_api.messages_used + 100)
    assert await sweep(services, at("2027-03-24 09:00")) == 3
    assert len(reminders(team["E006_line"])) == 1 and reminders(team["E006_telegram"]) == []  # the choice holds
    line_api.set_allowance(line_api.messages_used)  # nothing left by the 3-day reminder
    assert await sweep(services, at("2027-03-28 09:00")) == 1
    assert len(reminders(team["E006_telegram"])) == 1 and len(reminders(team["E006_line"])) == 1


async def test_still_short_on_a_later_sweep_tells_admins_only_once(services, team, line_api):
    line_api.set_allowance(line_api.messages_used)  # nothing left at all
    pushes = len(line_api.calls_to(PUSH))
    assert await sweep(services, at("2027-03-24 09:00")) == 1  # E006, on Telegram
    assert await sweep(services, at("2027-03-24 10:00")) == 0
    assert reminders(team["E004"]) == [] and reminders(team["E005"]) == []
    [notice] = [text for text in team["E003"].texts() if NOTICE in text]
    assert "ยังส่งทาง LINE ไม่ได้ 2 คน" in notice
    assert len(line_api.calls_to(PUSH)) == pushes  # nothing was pushed into the limit


async def test_monthly_limit_429_fails_the_row_once_without_retries(services, team, line_api):
    # The quota cannot be read, so the sweep sends as due, and LINE refuses the pushes.
    line_api.quota_failure = 500
    line_api.set_allowance(line_api.messages_used)
    pushes = len(line_api.calls_to(PUSH))
    assert await sweep(services, at("2027-03-24 09:00")) == 3
    refused = line_api.calls_to(PUSH)[pushes:]
    assert len(refused) == 3 and {call.status for call in refused} == {429}
    rows = await OutboxMessage.filter(channel="line", last_error="LINE monthly limit").values_list("status", flat=True)
    assert rows == ["failed"] * 3
    # Later delivery sweeps (the retry job) find nothing due: no retry loop against the limit.
    await OutboxMessage.filter(channel="line").update(next_attempt_at=0)
    assert await services.delivery.sweep() == 0
    await services.notifier.drain()
    assert len(line_api.calls_to(PUSH)) == pushes + 3
    assert len(reminders(team["E006_telegram"])) == 1  # Telegram was not held up by it


async def test_a_rate_limit_429_is_still_retried(services, team, line_api):
    line_api.rate_limited_pushes = 3  # the first delivery of each LINE reminder
    pushes = len(line_api.calls_to(PUSH))
    assert await sweep(services, at("2027-03-24 09:00")) == 3
    assert [call.status for call in line_api.calls_to(PUSH)[pushes:]] == [429] * 3
    assert await OutboxMessage.filter(channel="line", status="pending", attempts=1).count() == 3
    await OutboxMessage.filter(channel="line").update(next_attempt_at=0)  # the back-off has passed
    assert await services.delivery.sweep() == 3
    assert len(reminders(team["E004"])) == 1 and len(reminders(team["E005"])) == 1


async def test_quota_endpoint_failing_does_not_stop_the_sweep(services, team, line_api):
    line_api.quota_failure = 503
    assert await sweep(services, at("2027-03-24 09:00")) == 3
    assert len(reminders(team["E004"])) == 1 and len(reminders(team["E005"])) == 1
    assert len(reminders(team["E006_line"])) == 1 and len(reminders(team["E006_telegram"])) == 1
    assert [call.status for call in line_api.calls_to("/v2/bot/message/quota")] == [503]


async def test_fake_quota_endpoints_answer_in_the_spec_shape(line_api):
    headers = {"Authorization": f"Bearer {LINE_TOKEN}"}

    async def get(path: str) -> tuple[int, dict]:
        async with http.get(f"{line_api.url}{path}", headers=headers) as response:
            return response.status, await response.json()

    async with aiohttp.ClientSession() as http:
        assert await get("/v2/bot/message/quota") == (200, {"type": "none"})
        line_api.set_allowance(2, used=1)
        status, quota = await get("/v2/bot/message/quota")
        assert (status, quota) == (200, {"type": "limited", "value": 2})
        assert messaging_checker().check("MessageQuotaResponse", quota) == []
        status, used = await get("/v2/bot/message/quota/consumption")
        assert (status, used) == (200, {"totalUsage": 1})
        assert messaging_checker().check("QuotaConsumptionResponse", used) == []
        push = {"to": "U" + "a" * 32, "messages": [{"type": "text", "text": "ทดสอบ"}]}
        async with http.post(f"{line_api.url}{PUSH}", json=push, headers=headers) as first:
            assert first.status == 200
        async with http.post(f"{line_api.url}{PUSH}", json=push, headers=headers) as second:
            assert second.status == 429
            body = await second.json()
        assert body == {"message": MONTHLY_LIMIT_MESSAGE}
        assert messaging_checker().check("ErrorResponse", body) == []
        assert line_api.messages_used == 2 and len(line_api.messages_to(push["to"])) == 1


async def test_preview_prints_the_allowance_left(services, team, line_api, settings):
    line_api.set_allowance(line_api.messages_used + 1)
    preview = await asyncio.to_thread(
        run_cli, settings, "reminders", "preview", "--date", "2027-03-24",
        LINE_CHANNEL_SECRET=settings.line_channel_secret, LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN,
        LINE_API_BASE_URL=line_api.url, LINE_DATA_API_BASE_URL=line_api.url,
    )
    assert preview.returncode == 0, preview.stderr
    assert "3 reminder(s); LINE messages it would use: 3" in preview.stdout
    assert "LINE message allowance left this month: 1" in preview.stdout
    assert "not enough: 1 would get it on Telegram instead, 1 would wait for a later sweep" in preview.stdout
    assert await ReminderSent.all().count() == 0 and reminders(team["E004"]) == []
    assert [call.status for call in line_api.calls_to("/v2/bot/message/quota")] == [200]
