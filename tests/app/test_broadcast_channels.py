"""What a broadcast needs of the channel adapters, driven against the platform fakes.

LINE: one multicast request for up to 500 people, whose retry key stays the same across
retries (a retry after a dropped answer is not delivered twice); a notice's document as a
signed link that passes the spec. Telegram: a document uploaded once for any number of
chats; flood control and blocked users reported as such. An unfollow marks the chat
blocked, a follow clears it; the simulator shows a document as a link.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import SERVICES
from bot.channels.base import DeliveryError
from bot.channels.line import LineChannel
from bot.channels.telegram import TelegramChannel
from bot.events import Action, Button, Reply
from bot.file_links import FileLinks
from bot.sending import Chat
from config.settings import Settings
from storage.files import FileStore
from storage.models import ChatIdentity
from tests.builders.chat import link, settle
from tests.builders.roster import TEAM_CSV, load_roster
from tests.fakes.faults import RateWindow
from tests.fakes.line_api import MULTICAST_RATE
from tests.fakes.line_events import line_user_id, unfollow_event

PDF = b"%PDF-1.4\n" + b"circular notice " * 50 + b"\n%%EOF\n"
PUBLIC = "https://bot.example.go.th"
DAY = 24 * 3600


def frozen(at: float = 1_000.0):
    """A clock that does not move: rate windows then depend on counts, not on how fast the machine is."""
    return lambda: at


@pytest.fixture
async def files(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


@pytest.fixture
async def line(settings: Settings) -> AsyncIterator[LineChannel]:
    """The LINE adapter with a public https address, so documents become signed links."""
    channel = LineChannel(settings.model_copy(update={"public_base_url": PUBLIC}), FileLinks("k" * 64))
    yield channel
    await channel.close()


@pytest.fixture
async def telegram(settings: Settings, files: FileStore) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(settings, files)
    yield channel
    await channel.close()


def notice(document: str | None = None, name: str | None = None) -> Reply:
    return Reply(
        text="ขอให้ทุกหน่วยงานส่งแผนพัฒนารายบุคคลภายในวันที่ 15",
        title="หนังสือเวียน: แผนพัฒนารายบุคคล",
        buttons=(Button("รับทราบ", Action("ack", ("7",))),),
        document=document,
        file_name=name,
    )


# --- LINE ----------------------------------------------------------------------------------


async def test_a_multicast_reaches_everyone_in_one_request(line, line_api):
    users = [line_user_id(f"m{i}") for i in range(500)]
    await line.multicast(users, [notice()], key="notice-7-part-1")
    calls = line_api.calls_to("/v2/bot/message/multicast")
    assert len(calls) == 1
    assert all(line_api.times_received(u, "multicast") == 1 for u in users)
    assert "รับทราบ" in line_api.texts_to(users[-1])[-1]
    with pytest.raises(ValueError):
        await line.multicast(users + [line_user_id("one too many")], [notice()], key="too-big")


async def test_a_multicast_retried_after_a_dropped_answer_is_not_delivered_twice(line, line_api):
    users = [line_user_id(f"r{i}") for i in range(3)]
    # LINE accepts the request, then the connection drops: the sender cannot know it went out.
    line_api.inject_faults(drop_after=1.0)
    with pytest.raises(DeliveryError) as failed:
        await line.multicast(users, [notice()], key="notice-8-part-1")
    assert not failed.value.permanent
    line_api.inject_faults()  # the retry goes through
    await line.multicast(users, [notice()], key="notice-8-part-1")  # 409: counted as sent
    keys = {c.headers["X-Line-Retry-Key"] for c in line_api.calls_to("/v2/bot/message/multicast")}
    assert len(keys) == 1, "every attempt of one request carries the same retry key"
    assert [line_api.times_received(u) for u in users] == [1, 1, 1]
    assert [c.status for c in line_api.calls_to("/v2/bot/message/multicast")] == [200, 409]


async def test_line_over_its_multicast_rate_is_told_to_retry_and_the_monthly_limit_is_final(line, line_api):
    line_api.enforce_rates()
    line_api.rate_windows["/v2/bot/message/multicast"] = RateWindow(MULTICAST_RATE, clock=frozen())
    user = [line_user_id("rate")]
    for i in range(MULTICAST_RATE):
        await line.multicast(user, [Reply("ทดสอบ")], key=f"rate-{i}")
    with pytest.raises(DeliveryError) as refused:
        await line.multicast(user, [Reply("ทดสอบ")], key="rate-over")
    assert not refused.value.permanent and not refused.value.unreachable
    assert line_api.refused_for_rate["/v2/bot/message/multicast"] == 1

    line_api.enforce_rates(False)
    line_api.set_allowance(10, used=10)
    with pytest.raises(DeliveryError) as spent:
        await line.multicast(user, [Reply("ทดสอบ")], key="month-over")
    assert spent.value.permanent


async def test_a_pdf_on_line_is_a_signed_30_day_link_that_passes_the_spec(line, line_api, files):
    stored = await files.put(PDF)
    user = line_user_id("pdf")
    before = time.time()
    await line.multicast([user], [notice(stored.sha256, "ว123-แผนพัฒนา.pdf")], key="doc-1")
    line_api.assert_clean()
    [message] = line_api.messages_to(user)
    assert message["type"] == "flex"
    [opener] = [b["action"] for b in message["contents"]["footer"]["contents"] if b["action"]["type"] == "uri"]
    assert opener["label"] == "เปิดเอกสารแนบ"
    assert opener["uri"].startswith(f"{PUBLIC}/files/{stored.sha256}/")
    expires = int(opener["uri"].split("/")[-2])
    assert expires >= before + 29 * DAY, "a notice is read days later: the 72-hour default is too short"
    assert "รับทราบ" in line_api.texts_to(user)[-1]


async def test_an_image_document_on_line_is_shown_as_a_picture(line, line_api, files):
    stored = await files.put(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    user = line_user_id("png")
    await line.multicast([user], [notice(stored.sha256, "ประกาศ.PNG")], key="doc-2")
    line_api.assert_clean()
    picture, card = line_api.messages_to(user)
    assert picture["type"] == "image" and stored.sha256 in picture["originalContentUrl"]
    assert "เปิดเอกสารแนบ" not in line_api.texts_to(user)[-1]


async def test_without_a_public_https_address_line_says_where_the_attachment_is(settings, line_api, files):
    channel = LineChannel(settings, FileLinks("k" * 64))  # the test settings have no public address
    try:
        stored = await files.put(PDF)
        user = line_user_id("nolink")
        await channel.multicast([user], [notice(stored.sha256, "ว123.pdf")], key="doc-3")
    finally:
        await channel.close()
    text = line_api.texts_to(user)[-1]
    assert "เปิดได้ทาง Telegram หรือขอจากผู้ส่งค่ะ" in text and "ว123.pdf" in text
    assert "/files/" not in str(line_api.messages_to(user))


# --- Telegram ------------------------------------------------------------------------------


async def test_a_document_to_40_chats_is_uploaded_once(telegram, telegram_api, files):
    stored = await files.put(PDF)
    chats = [str(700_000 + i) for i in range(40)]
    reply = notice(stored.sha256, "ว123-แผนพัฒนา.pdf")
    await asyncio.gather(*(telegram.deliver(chat, [reply], None, None, f"k{chat}") for chat in chats))
    assert telegram_api.uploads == 1
    assert telegram_api.file_id_sends == 39
    for chat in chats:
        [sent] = telegram_api.messages_to(chat)
        assert "แผนพัฒนารายบุคคล" in sent["caption"]
        assert telegram_api.last_keyboard(chat)[0][0]["text"] == "รับทราบ"
    first = telegram_api.messages_to(chats[0])
    assert telegram_api.received[chats[0]] == 1 and first


async def test_a_refused_file_id_is_uploaded_again_once(telegram, telegram_api, files):
    stored = await files.put(PDF)
    reply = notice(stored.sha256, "ว124.pdf")
    await telegram.deliver("800001", [reply], None, None, "a")
    telegram_api.forget_files()  # Telegram no longer knows the file_id the adapter kept
    await telegram.deliver("800002", [reply], None, None, "b")
    assert telegram_api.uploads == 2
    assert "แผนพัฒนารายบุคคล" in telegram_api.texts_to("800002")[-1]


async def test_telegram_flood_control_surfaces_retry_after(telegram, telegram_api):
    telegram_api.enforce_rates()
    telegram_api.chat_rate = RateWindow(1, clock=frozen())
    await telegram.deliver("900001", [Reply("ข้อความแรก")], None, None, "a")
    with pytest.raises(DeliveryError) as refused:
        await telegram.deliver("900001", [Reply("ข้อความที่สอง")], None, None, "b")
    assert refused.value.retry_after == 1.0
    assert not refused.value.permanent
    assert telegram_api.refused_for_rate["sendMessage"] == 1
    assert telegram_api.texts_to("900001") == ["ข้อความแรก"]


async def test_telegram_403_surfaces_unreachable(telegram, telegram_api):
    telegram_api.block("900002")
    with pytest.raises(DeliveryError) as blocked:
        await telegram.deliver("900002", [Reply("ประกาศ")], None, None, "a")
    assert blocked.value.unreachable and blocked.value.permanent


async def test_telegram_server_errors_and_dropped_connections_are_transient(telegram, telegram_api):
    for fault in ("server_error", "drop"):
        telegram_api.inject_faults(**{fault: 1.0})
        with pytest.raises(DeliveryError) as failed:
            await telegram.deliver("900003", [Reply("ประกาศ")], None, None, fault)
        assert not failed.value.permanent and not failed.value.unreachable
    assert telegram_api.texts_to("900003") == []


# --- blocked chats, through the webhooks ---------------------------------------------------


async def test_unfollow_marks_the_chat_blocked_answering_nothing_and_follow_clears_it(client, line_user, line_api):
    await load_roster(TEAM_CSV)
    person = await link(line_user(), "E005")
    line_api.clear()
    await person.send(unfollow_event(person.user_id))
    identity = await ChatIdentity.get(channel="line", platform_user_id=person.user_id)
    assert identity.blocked_at is not None
    assert line_api.messages_to(person.user_id) == [], "an unfollowed chat is not answered"
    await person.follows()
    identity = await ChatIdentity.get(channel="line", platform_user_id=person.user_id)
    assert identity.blocked_at is None
    assert line_api.texts_to(person.user_id), "the follow is answered as before"


async def test_any_message_from_a_blocked_chat_clears_the_mark(client, line_user, line_api):
    await load_roster(TEAM_CSV)
    person = await link(line_user(), "E005")
    await person.send(unfollow_event(person.user_id))
    assert (await ChatIdentity.get(channel="line", platform_user_id=person.user_id)).blocked_at is not None
    await person.says("เมนู")
    identity = await ChatIdentity.get(channel="line", platform_user_id=person.user_id)
    assert identity.blocked_at is None


async def test_an_unfollow_from_a_stranger_is_not_answered(client, line_user, line_api):
    stranger = line_user()
    await stranger.send(unfollow_event(stranger.user_id))
    assert line_api.messages_to(stranger.user_id) == []


# --- the simulator -------------------------------------------------------------------------


async def test_the_simulator_shows_a_document_as_a_signed_link(client, sim_user):
    await load_roster(TEAM_CSV)
    person = sim_user("E005")
    await person.open()
    services = client.server.app[SERVICES]
    stored = await services.files.put(PDF)
    async with services.notifier.batch() as out:
        out.send_to(Chat("sim", person.user_id), notice(stored.sha256, "ว125.pdf"))
    await settle(client)
    [shown] = [r for r in person.seen if r.get("document")]
    assert shown["file_name"] == "ว125.pdf"
    assert shown["document_url"].startswith(f"/files/{stored.sha256}/")
    assert str(services.files.root) not in str(shown)
    response = await client.get(shown["document_url"])
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert await response.read() == PDF
