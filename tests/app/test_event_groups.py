"""A wave of button presses is handled in groups: one transaction for many senders' turns.

After a notice everyone presses รับทราบ within minutes, so the processor handles the
only event of each of many senders together, each turn in a savepoint of its own, and
delivers the replies it wrote from memory. These tests hold the processor while the
presses arrive, so that one claim finds them all, then let it go.
"""

from __future__ import annotations

from config.texts import t
from storage.models import ConversationState, InboundEvent, OutboxMessage
from bot.routing import Router
from bot.turn import Turn
from tests.builders.call_log import record_calls
from tests.builders.chat import LineUser, link, settle
from tests.builders.roster import load_roster
from tests.fakes.line_events import postback_event

HELP = "ส่งรูปหรือ PDF ใบประกาศนียบัตร"  # the help text's first line


async def _linked(line_user, codes: tuple[str, ...]) -> list[LineUser]:
    await load_roster()
    return [await link(line_user(), code) for code in codes]


async def _press_while_held(client, services, presses: list[tuple[LineUser, str]]) -> dict[str, InboundEvent]:
    """Post every press with the processor stopped, then start it and wait until all is done.

    Returns the presses' events by sender.
    """
    before = await InboundEvent.all().order_by("-id").first()
    await services.processor.stop()
    for user, data in presses:
        response = await user.post([postback_event(user.user_id, data, user.token())])
        assert response.status == 200
    services.processor.start()
    await settle(client)
    return {e.user_key: e for e in await InboundEvent.filter(id__gt=before.id if before else 0)}


async def test_many_presses_are_each_answered_once_on_the_reply_token_and_marked_sent(
    client, services, line_user, line_api
):
    users = await _linked(line_user, ("E001", "E002", "E003"))
    events = await _press_while_held(client, services, [(user, "menu.help") for user in users])
    for user in users:
        assert sum(HELP in text for text in user.texts()) == 1
        assert (events[f"line:{user.user_id}"].status, events[f"line:{user.user_id}"].attempts) == ("done", 1)
    assert {d.via for d in line_api.deliveries if d.user_id in {u.user_id for u in users}} >= {"reply"}
    # Delivered from memory, their "sent" marks written together: nothing is left for the sweep to send again.
    assert await OutboxMessage.filter(status="pending").count() == 0
    assert await OutboxMessage.filter(lease_owner__isnull=False).count() == 0


async def test_a_turn_that_fails_rolls_back_alone_and_its_group_is_not_retried(client, services, line_user):
    boom = Router("test-boom")

    @boom.action("test.boom")
    async def explode(turn: Turn) -> None:
        # A write, then a failure: the write must go with the failed turn, and only with it.
        await ConversationState.create(channel=turn.incoming.channel, user=turn.incoming.user, state="boom")
        raise RuntimeError("handler bug")

    services.processor.routers.insert(0, boom)
    failing, *others = await _linked(line_user, ("E001", "E002", "E003"))
    events = await _press_while_held(
        client, services, [(failing, "test.boom"), *((user, "menu.help") for user in others)]
    )
    for user in others:
        assert sum(HELP in text for text in user.texts()) == 1
    for user in others:
        assert events[f"line:{user.user_id}"].status == "done"
        assert events[f"line:{user.user_id}"].attempts == 1  # committed with the group, not retried
    assert events[f"line:{failing.user_id}"].status == "failed"  # tried alone until given up
    assert failing.last() == t("inbox.dead_letter")
    assert not await ConversationState.filter(state="boom").exists()


async def test_a_group_writes_its_answers_in_one_insert_and_later_rows_follow_on(
    client, services, line_user, monkeypatch
):
    from storage import outbox

    users = await _linked(line_user, ("E001", "E002", "E003"))
    calls = record_calls(monkeypatch, outbox, ("add", "add_built"))
    events = await _press_while_held(client, services, [(user, "menu.help") for user in users])
    assert calls == ["add_built"]
    rows = await OutboxMessage.filter(source_event__in=[e.event_id for e in events.values()])
    assert len({row.id for row in rows}) == len(rows) == 3
    # The ids the group took are past: the next answers, grouped or alone, get new ones.
    await _press_while_held(client, services, [(users[0], "menu.help"), (users[0], "menu.help")])
    assert sum(HELP in text for text in users[0].texts()) == 3
    assert calls.count("add") == 2
