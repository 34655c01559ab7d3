"""Poison events: an event nobody can finish goes to the dead letters once, and the operator can retry it.

A crash loop leaves an event pending, with its lease run out and its attempts
spent: that is the state these tests start from, written as the crashed
process left it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from config.texts import t
from storage import inbox, leases
from storage.models import InboundEvent
from tests.builders.chat import settle
from tests.builders.paths import REPO
from tests.fakes.line_events import line_user_id, text_event


async def _crashed_event(line_api, user: str, text: str, *, attempts: int) -> InboundEvent:
    """An event as a process that died while handling it `attempts` times leaves it."""
    raw = text_event(user, text, line_api.issue_reply_token(user))
    return await InboundEvent.create(
        event_id=f"line:{raw['webhookEventId']}",
        channel="line",
        user_key=f"line:{user}",
        payload=raw,
        received_at=time.time(),
        attempts=attempts,
        lease_until=time.time() - 1,
        lease_owner="dead-host:1:00000000",
    )


def _cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.resolved_database_url,
        "DATA_DIR": str(settings.data_dir),
        "LINE_CHANNEL_SECRET": "",
        "TELEGRAM_BOT_TOKEN": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


async def test_a_crash_looping_event_is_given_up_once_and_the_sender_told(client, services, line_api, settings):
    user = line_user_id("poison")
    row = await _crashed_event(line_api, user, "เมนู", attempts=inbox.MAX_ATTEMPTS)
    services.processor.wake()
    await settle(client)

    row = await InboundEvent.get(id=row.id)
    assert row.status == "failed"
    assert line_api.texts_to(user) == [t("inbox.dead_letter")]  # told once, and not handled
    metrics = await (await client.get("/metrics")).text()
    assert "bot_inbox_dead_letters 1.0" in metrics
    assert 'bot_events_total{channel="line",outcome="dead_letter"} 1.0' in metrics

    listed = await asyncio.to_thread(_cli, settings, "events", "failed")
    assert listed.returncode == 0, listed.stderr
    assert f"{row.id:>8}  line" in listed.stdout
    assert "เมนู" not in listed.stdout  # the operator sees ids, never what people wrote

    retried = await asyncio.to_thread(_cli, settings, "events", "retry", str(row.id))
    assert retried.returncode == 0, retried.stderr
    deadline = time.monotonic() + 15
    while (await InboundEvent.get(id=row.id)).status != "done" and time.monotonic() < deadline:
        services.processor.wake()
        await asyncio.sleep(0.1)
    await settle(client)
    assert (await InboundEvent.get(id=row.id)).status == "done"
    assert line_api.texts_to(user)[-1] == t("common.unlinked")  # handled normally this time


async def test_an_event_still_within_its_attempts_is_handled(client, services, line_api):
    user = line_user_id("survivor")
    row = await _crashed_event(line_api, user, "เมนู", attempts=inbox.MAX_ATTEMPTS - 1)
    services.processor.wake()
    await settle(client)
    assert (await InboundEvent.get(id=row.id)).status == "done"
    assert line_api.texts_to(user) == [t("common.unlinked")]


async def test_batch_mates_of_a_poison_event_are_not_charged_for_its_crashes(client, services, line_api):
    await services.processor.stop()  # this test plays the crashing process itself
    poison = await _crashed_event(line_api, line_user_id("a"), "x", attempts=0)
    innocent = await _crashed_event(line_api, line_user_id("b"), "y", attempts=0)
    for _ in range(inbox.MAX_ATTEMPTS):
        claimed = await inbox.claim_batch()
        assert [r.id for r in claimed.rows] == [poison.id, innocent.id]
        assert await inbox.begin(claimed.rows[0])  # handling of the first begins, then the process dies
        await InboundEvent.all().update(lease_until=time.time() - 1)
    claimed = await inbox.claim_batch()
    assert [r.id for r in claimed.dead] == [poison.id]
    assert [r.id for r in claimed.rows] == [innocent.id]
    assert (await InboundEvent.get(id=innocent.id)).attempts == 0


async def test_the_heartbeat_keeps_a_live_holders_lease_and_a_dead_ones_lapses(client, services, line_api):
    await services.processor.stop()
    row = await _crashed_event(line_api, line_user_id("c"), "x", attempts=0)
    claimed = await inbox.claim_batch()
    assert [r.id for r in claimed.rows] == [row.id]
    await InboundEvent.filter(id=row.id).update(lease_until=time.time() + 1)
    assert await leases.renew() >= 1
    renewed = await InboundEvent.get(id=row.id)
    assert renewed.lease_owner == leases.OWNER
    assert renewed.lease_until > time.time() + leases.LEASE_SECONDS - 5
    # Another holder's lease is not renewed by us.
    await InboundEvent.filter(id=row.id).update(lease_owner="other:2:ffffffff", lease_until=time.time() + 1)
    await leases.renew()
    assert (await InboundEvent.get(id=row.id)).lease_until < time.time() + 2
