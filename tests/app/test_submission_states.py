"""The state-transition module: only allowed moves, one winner per race, an audit row only for the winner."""

from __future__ import annotations

import pytest

from storage import audit, submissions
from storage.models import Staff, Submission
from storage.submission_states import (
    ALLOWED,
    TELL,
    Audience,
    IllegalTransition,
    SubmissionStatus,
    next_approver,
    received,
    transition,
)

S = SubmissionStatus


async def _submission(code: str = "T001") -> tuple[Staff, Submission]:
    owner = await Staff.create(employee_code=code, first_name="ทดสอบ", last_name="ระบบ")
    sub = await submissions.create(owner, channel="sim", chat="c1", sha256="0" * 64, name="a.png", mime="image/png", size=1)
    return owner, sub


def test_every_status_used_by_the_table_and_final_states_have_no_way_out():
    used = {s for moves in ALLOWED.values() for pair in moves for s in pair if s is not None}
    assert used == set(SubmissionStatus)
    final = {S.UNREADABLE, S.APPROVED, S.REJECTED, S.CANCELLED, S.WITHDRAWN}
    assert not [pair for moves in ALLOWED.values() for pair in moves if pair[0] in final]


async def test_a_disallowed_move_raises_and_changes_nothing(services):
    owner, sub = await _submission()
    with pytest.raises(IllegalTransition):
        await transition(sub, "approved", S.APPROVED, actor=owner)  # received -> approved skips the owner's check
    with pytest.raises(IllegalTransition):
        await transition(sub, "confirmed", S.CANCELLED, expected=(S.READ,))  # action and target disagree
    assert (await Submission.get(id=sub.id)).status == S.RECEIVED
    assert await audit.history(sub.id) == []


async def test_a_lost_race_returns_false_and_writes_no_audit_row(services):
    owner, sub = await _submission()
    await received(sub, actor=owner, channel="sim")
    await Submission.filter(id=sub.id).update(status=S.READ)
    first = await Submission.get(id=sub.id)
    second = await Submission.get(id=sub.id)

    assert await transition(first, "cancelled", S.CANCELLED, actor=owner, channel="sim")
    assert not await transition(second, "confirmed", S.CONFIRMED, actor=owner, channel="sim")

    assert (await Submission.get(id=sub.id)).status == S.CANCELLED
    assert second.status == S.READ
    rows = [(r.action, r.from_state, r.to_state) for r in await audit.history(sub.id)]
    assert rows == [("received", None, "received"), ("cancelled", "read", "cancelled")]


def test_who_hears_of_a_move_is_declared_only_for_allowed_moves():
    for action, start in TELL:
        assert any(pair[0] == start for pair in ALLOWED[action]), (action, start)


async def test_a_move_says_who_must_hear_of_it_and_a_lost_one_tells_nobody(services):
    owner, sub = await _submission()
    await Submission.filter(id=sub.id).update(status=S.CONFIRMED)
    first, second = await Submission.get(id=sub.id), await Submission.get(id=sub.id)

    approved = await transition(first, "approved", S.APPROVED, actor=owner)
    assert approved.tells(Audience.OWNER) and approved.tells(Audience.OPEN_PROMPTS)
    assert not approved.tells(Audience.APPROVERS)
    lost = await transition(second, "rejected", S.REJECTED, actor=owner)
    assert not lost and not lost.tells(Audience.OWNER)

    _, other = await _submission("T002")
    await Submission.filter(id=other.id).update(status=S.READ)
    other = await Submission.get(id=other.id)
    withdrawn = await transition(other, "withdrawn", S.WITHDRAWN, expected=(S.READ, S.CONFIRMED), actor=owner)
    assert withdrawn and not withdrawn.tells(Audience.OPEN_PROMPTS)  # nothing was put to an approver yet


async def test_next_approver_is_the_active_supervisor_but_never_the_owner(services):
    owner, sub = await _submission()
    boss = await Staff.create(employee_code="B001", first_name="หัวหน้า", last_name="ทดสอบ")
    owner.supervisor_id = boss.id
    assert (await next_approver(owner, owner.id)).id == boss.id
    assert await next_approver(owner, boss.id) is None  # the boss's own submission climbs past them
    boss.active = False
    await boss.save()
    assert await next_approver(owner, owner.id) is None  # an inactive supervisor: the admins take it
