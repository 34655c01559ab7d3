"""Link codes expire, cannot be guessed at volume across chats, and a new link is told to the
person's other chats, which can undo it."""

from __future__ import annotations

import datetime as dt
import logging

from config.texts import t
from fiscal.thai_dates import short_datetime
from storage.models import ChatIdentity, LinkAttempt, LinkCode
from tests.builders.roster import code_for, load_roster
from tests.fakes.line_events import postback_event

REMOVE = "ยกเลิกการเชื่อมนี้"


async def age_codes(days: float) -> None:
    await LinkCode.all().update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))


async def test_an_expired_code_is_refused(client, line_user, services):
    await load_roster()
    code = await code_for("E002")
    await age_codes(services.settings.link_code_ttl_days + 1)
    user = line_user()
    await user.says(code)
    assert user.last() == t("link.bad_code")
    assert not await ChatIdentity.filter(platform_user_id=user.user_id).exists()


async def test_a_code_works_until_it_expires(client, line_user, services):
    await load_roster()
    code = await code_for("E002")
    await age_codes(services.settings.link_code_ttl_days - 1)
    user = line_user()
    await user.says(code)
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(user.texts())


async def test_guessing_is_limited_across_chats(client, services, line_user, telegram_user, caplog):
    await load_roster()
    services.settings.link_guesses_per_hour = 3
    caplog.set_level(logging.INFO)
    guessers = [line_user(), telegram_user(), line_user()]
    for guesser in guessers:  # each chat stays far under its own limit of five
        await guesser.says("ABCDEFGH")
        assert guesser.last() == t("link.bad_code")
    assert await LinkAttempt.all().count() == 3
    good = await code_for("E002")
    newcomer = telegram_user()  # a fresh chat does not reset the count
    await newcomer.says(good)
    assert newcomer.last() == t("link.bad_code")
    assert not await ChatIdentity.filter(platform_user_id=str(newcomer.user_id)).exists()
    reached = [r.getMessage() for r in caplog.records if "guess limit reached" in r.getMessage()]
    assert len(reached) == 1
    log = "\n".join(r.getMessage() for r in caplog.records)
    assert "ABCDEFGH" not in log and good not in log
    assert all(str(g.user_id) not in log for g in [*guessers, newcomer])
    await LinkAttempt.all().delete()  # an hour later
    await newcomer.says(good)
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(newcomer.texts())


async def test_a_new_link_is_told_to_the_other_chats_and_can_be_undone(client, line_user, telegram_user):
    await load_roster()
    owner = telegram_user()
    await owner.says(await code_for("E002"))
    intruder = line_user()
    await intruder.says(await code_for("E002"))
    identity = await ChatIdentity.get(channel="line", platform_user_id=intruder.user_id)
    notice = owner.last()
    assert notice.startswith("บัญชีของคุณถูกเชื่อมกับ LINE")
    assert short_datetime(identity.linked_at) in notice  # Bangkok time, BE year
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(intruder.texts())
    assert not any("ถูกเชื่อมกับ" in text for text in intruder.texts())  # the new chat is not told

    await owner.presses(REMOVE)
    assert not await ChatIdentity.filter(channel="line", platform_user_id=intruder.user_id).exists()
    assert owner.last() == t("link.removed", channel=t("link.channel_line"), at=short_datetime(identity.linked_at))
    assert intruder.last() == t("link.removed_you")
    await intruder.says("ฉันคือใคร")
    assert "ยังไม่ได้เชื่อม" in intruder.last()
    await owner.says("ฉันคือใคร")
    assert "รหัสบุคลากร: E002" in owner.last()
    await owner.presses(REMOVE)  # pressed again: nothing left to remove
    assert owner.last() == t("link.remove_gone")


async def test_only_the_persons_other_chats_can_undo_a_link(client, line_user, telegram_user, telegram_api):
    await load_roster()
    owner = telegram_user()
    await owner.says(await code_for("E002"))
    intruder = line_user()
    await intruder.says(await code_for("E002"))
    data, _ = owner.button(REMOVE)

    # The new chat itself cannot use the button, even with its data.
    await intruder.send(postback_event(intruder.user_id, data, intruder.token()))
    assert intruder.last() == t("link.remove_not_here")
    # Nor can someone else.
    other = line_user()
    await other.says(await code_for("E003"))
    await other.send(postback_event(other.user_id, data, other.token()))
    assert other.last() == t("link.remove_gone")
    stranger = line_user()
    await stranger.send(postback_event(stranger.user_id, data, stranger.token()))
    assert "ยังไม่ได้เชื่อม" in stranger.last()

    assert await ChatIdentity.filter(channel="line", platform_user_id=intruder.user_id).exists()
