"""One person's events are claimed in order across processes: `inbox.claim_batch` with two owners.

Two worker processes are played here by two lease owners on one database, claiming
in turn and side by side (their statements interleave as two processes' would). A
sender's event may be claimed only together with every older pending event of that
sender, or after they are finished; events without a sender have no order.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest

from storage import inbox
from storage.db import close_db, open_db
from storage.models import InboundEvent

A, B = "worker-a:1:aaaaaaaa", "worker-b:2:bbbbbbbb"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[None]:
    ctx = await open_db(database_url, run_migrations=False)
    yield
    await close_db(ctx)


async def _events(*senders: str) -> list[int]:
    """One stored event per name, in this order; returns their ids."""
    rows = [
        await InboundEvent.create(
            event_id=f"line:{i}-{time.time_ns()}", channel="line", user_key=f"line:{sender}" if sender else "",
            payload={}, received_at=time.time(),
        )
        for i, sender in enumerate(senders)
    ]
    return [row.id for row in rows]


async def _finish(ids: list[int]) -> None:
    assert await inbox.mark_done_many(ids)


def _ids(claimed: inbox.Claimed) -> list[int]:
    return [row.id for row in claimed.rows]


async def test_a_later_event_waits_while_another_process_holds_an_earlier_one(db):
    p1, p2, q1, p3, q2 = await _events("p", "p", "q", "p", "q")
    assert _ids(await inbox.claim_batch(limit=2, owner=A)) == [p1, p2]
    # p3 must not overtake p1 and p2: B takes only q's events.
    assert _ids(await inbox.claim_batch(owner=B)) == [q1, q2]
    assert _ids(await inbox.claim_batch(owner=B)) == []
    await _finish([p1, p2])
    assert _ids(await inbox.claim_batch(owner=B)) == [p3]


async def test_a_waiting_senders_backlog_does_not_keep_others_waiting(db):
    p1, *p_rest = await _events(*["p"] * 10)
    (q1,) = await _events("q")
    assert _ids(await inbox.claim_batch(limit=1, owner=A)) == [p1]
    # The three oldest free events are p's, held back behind p1: B takes q's instead of nothing.
    assert _ids(await inbox.claim_batch(limit=3, owner=B)) == [q1]
    await _finish([p1])
    assert _ids(await inbox.claim_batch(limit=3, owner=B)) == p_rest[:3]


async def test_an_event_waiting_for_its_retry_holds_its_senders_later_events_until_given_up(db):
    p1, p2, q1 = await _events("p", "p", "q")
    claimed = await inbox.claim_batch(limit=1, owner=A)
    assert _ids(claimed) == [p1]
    row = claimed.rows[0]
    row.attempts = 1
    assert not await inbox.record_failure(row, "Boom")  # retried after a back-off, by anyone
    assert _ids(await inbox.claim_batch(owner=B)) == [q1]
    row.attempts = inbox.MAX_ATTEMPTS
    assert await inbox.record_failure(row, "Boom")  # a dead letter now: it holds nothing back
    assert _ids(await inbox.claim_batch(owner=B)) == [p2]


async def test_events_without_a_sender_keep_no_order(db):
    n1, n2 = await _events("", "")
    assert _ids(await inbox.claim_batch(limit=1, owner=A)) == [n1]
    assert _ids(await inbox.claim_batch(owner=B)) == [n2]


async def test_handing_back_frees_only_this_owners_pending_events_and_uncounts_begun_ones(db):
    p1, p2, p3 = await _events("p", "p", "p")
    assert _ids(await inbox.claim_batch(owner=A)) == [p1, p2, p3]
    await InboundEvent.filter(id=p2).update(attempts=1)  # A had begun handling p2
    await _finish([p1])
    assert await inbox.hand_back([p1, p2, p3], begun=[p2], owner=B) == 0  # not B's to give
    assert await inbox.hand_back([p1, p2, p3], begun=[p2], owner=A) == 2
    rows = {row.id: row for row in await InboundEvent.all()}
    assert rows[p1].status == "done"
    assert [(rows[i].lease_owner, rows[i].lease_until, rows[i].attempts) for i in (p2, p3)] == [
        (None, None, 0), (None, None, 0)
    ]
    assert _ids(await inbox.claim_batch(owner=B)) == [p2, p3]


async def test_two_processes_claiming_side_by_side_never_split_a_sender_out_of_order(db):
    """Rounds of simultaneous claims with uneven batch sizes; A keeps its batch a round longer."""
    rng = random.Random(35)
    senders = [f"s{i}" for i in range(12)]
    await _events(*(rng.choice(senders) for _ in range(240)))
    sender_of = dict(await InboundEvent.all().values_list("id", "user_key"))
    handled: list[int] = []
    held_by_a: list[int] = []
    for _ in range(400):
        a, b = await asyncio.gather(
            inbox.claim_batch(limit=rng.randint(1, 9), owner=A), inbox.claim_batch(limit=rng.randint(1, 9), owner=B)
        )
        pending = await InboundEvent.filter(status="pending").values_list("id", "user_key")
        for claimed in (a, b):
            mine = set(_ids(claimed)) | (set(held_by_a) if claimed is a else set())
            for row in claimed.rows:
                older = [i for i, key in pending if key == row.user_key and i < row.id and i not in mine]
                assert not older, f"event {row.id} claimed while {older} of its sender are pending elsewhere"
        assert not set(_ids(a)) & set(_ids(b))
        # B finishes at once; A finishes what it held since the last round and keeps this one's.
        await _finish(_ids(b))
        handled += _ids(b)
        await _finish(held_by_a)
        handled += held_by_a
        held_by_a = _ids(a)
        if not pending:
            break
    await _finish(held_by_a)
    handled += held_by_a
    assert sorted(handled) == sorted(sender_of)  # each once
    per_sender: dict[str, list[int]] = defaultdict(list)
    for event_id in handled:
        per_sender[sender_of[event_id]].append(event_id)
    assert all(ids == sorted(ids) for ids in per_sender.values()), per_sender

