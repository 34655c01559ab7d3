"""The one place a submission changes state: allowed moves, race-safe updates, the audit trail.

Every change of a submission's status, and every change of who must approve it
(escalation, prompts under delegation), goes through here, so the audit trail
cannot be forgotten and a move the workflow does not know is refused. Each move
also says who must hear of it (`Moved.tell`); the caller words the messages.
Call these inside the caller's transaction: the audit row then commits or rolls
back with the change it describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from storage import audit
from storage.models import Staff, Submission


class SubmissionStatus(StrEnum):
    """Where a submission is; a StrEnum, so the database keeps the plain strings."""

    RECEIVED = "received"  # stored, waiting for the reader
    READ = "read"  # the reader filled the card; the owner checks it
    UNREADABLE = "unreadable"  # the reader gave up (final)
    CONFIRMED = "confirmed"  # the owner confirmed; waits for an approver
    APPROVED = "approved"  # final
    REJECTED = "rejected"  # final
    CANCELLED = "cancelled"  # dropped by the owner before confirming (final)
    WITHDRAWN = "withdrawn"  # taken back by the owner before a decision (final)


S = SubmissionStatus

# action -> the (from, to) moves it may make; None as `from` is the creation of the submission.
ALLOWED: dict[str, frozenset[tuple[SubmissionStatus | None, SubmissionStatus]]] = {
    "received": frozenset({(None, S.RECEIVED)}),
    "read": frozenset({(S.RECEIVED, S.READ)}),
    "unreadable": frozenset({(S.RECEIVED, S.UNREADABLE)}),
    "confirmed": frozenset({(S.READ, S.CONFIRMED)}),
    "cancelled": frozenset({(S.READ, S.CANCELLED)}),
    "withdrawn": frozenset({(S.READ, S.WITHDRAWN), (S.CONFIRMED, S.WITHDRAWN)}),
    "approved": frozenset({(S.CONFIRMED, S.APPROVED)}),
    "rejected": frozenset({(S.CONFIRMED, S.REJECTED)}),
    # Not a change of status, but of who approves: recorded all the same.
    "escalated": frozenset({(S.CONFIRMED, S.CONFIRMED)}),
    "delegated": frozenset({(S.CONFIRMED, S.CONFIRMED)}),
}


class Audience(StrEnum):
    """Who must hear of a move, besides the person who made it (they get their handler's answer)."""

    OWNER = "owner"  # the submission's owner, e.g. of a decision or of what the reader found
    APPROVERS = "approvers"  # whoever must decide now: they get a prompt
    OPEN_PROMPTS = "open_prompts"  # prompts already shown: their buttons close where the channel can edit
    PREVIOUS_APPROVER = "previous_approver"  # the approver a submission was taken from


A = Audience
# (action, from) -> who hears of it; moves not listed concern nobody else.
TELL: dict[tuple[str, SubmissionStatus | None], frozenset[Audience]] = {
    ("read", S.RECEIVED): frozenset({A.OWNER}),
    ("unreadable", S.RECEIVED): frozenset({A.OWNER}),
    ("confirmed", S.READ): frozenset({A.APPROVERS}),
    ("withdrawn", S.CONFIRMED): frozenset({A.OPEN_PROMPTS}),
    ("approved", S.CONFIRMED): frozenset({A.OWNER, A.OPEN_PROMPTS}),
    ("rejected", S.CONFIRMED): frozenset({A.OWNER, A.OPEN_PROMPTS}),
    ("escalated", S.CONFIRMED): frozenset({A.APPROVERS, A.PREVIOUS_APPROVER}),
    ("delegated", S.CONFIRMED): frozenset({A.APPROVERS}),
}


@dataclass(frozen=True, slots=True)
class Moved:
    """What a move did: whether this call won it, from where, and who must hear of it.

    False in a boolean test when another writer got there first (then nobody is told).
    """

    won: bool
    action: str
    before: SubmissionStatus | None = None
    after: SubmissionStatus | None = None
    tell: frozenset[Audience] = frozenset()

    def __bool__(self) -> bool:
        return self.won

    def tells(self, audience: Audience) -> bool:
        """Whether `audience` must hear of this move."""
        return self.won and audience in self.tell


def _moved(action: str, before: SubmissionStatus | str | None, after: SubmissionStatus | str) -> Moved:
    start = SubmissionStatus(before) if before is not None else None
    return Moved(True, action, start, SubmissionStatus(after), TELL.get((action, start), frozenset()))


# A submission in one of these states still counts (for duplicate checks and lists).
LIVE_STATES = (S.RECEIVED, S.READ, S.CONFIRMED, S.APPROVED)
OWNER_PENDING_STATES = (S.RECEIVED, S.READ, S.CONFIRMED)
WITHDRAWABLE_STATES = (S.READ, S.CONFIRMED)


class IllegalTransition(ValueError):
    """A move the workflow does not allow: a bug in the caller, never a user's mistake."""


def check_move(action: str, old: str | None, new: str) -> None:
    """Raise `IllegalTransition` unless `action` may move a submission from `old` to `new`."""
    moves = ALLOWED.get(action)
    key = (SubmissionStatus(old) if old is not None else None, SubmissionStatus(new))
    if moves is None or key not in moves:
        raise IllegalTransition(f"{action}: {old} -> {new} is not an allowed move")


async def received(submission: Submission, *, actor: Staff | None, channel: str | None) -> None:
    """Record the arrival of a new submission (created in status `received`)."""
    check_move("received", None, submission.status)
    await audit.record(submission.id, "received", to_state=submission.status, actor=actor, channel=channel)


async def transition(
    submission: Submission,
    action: str,
    to: SubmissionStatus,
    *,
    expected: tuple[SubmissionStatus, ...] | None = None,
    actor: Staff | None = None,
    channel: str | None = None,
    detail: dict[str, Any] | None = None,
    **fields: Any,
) -> Moved:
    """Move `submission` to `to` if it is still in one of `expected` (default: its current status).

    Returns a false `Moved`, and writes nothing, when another writer got there
    first (a race lost); the caller tells its user and stops. On success
    `submission` is updated in memory, the audit record names the status it came
    from, and the result says who must hear of the move.
    """
    expected = expected or (SubmissionStatus(submission.status),)
    # The status the move starts from, as the caller saw it (what it told its user about).
    before = submission.status if submission.status in expected else expected[0]
    for old in expected:
        check_move(action, old, to)
    won = await Submission.filter(id=submission.id, status__in=list(expected)).update(status=to, **fields)
    if not won:
        return Moved(False, action)
    submission.status = to
    for key, value in fields.items():
        setattr(submission, key, value)
    await audit.record(
        submission.id, action, from_state=before, to_state=to, actor=actor, channel=channel, **(detail or {})
    )
    return _moved(action, before, to)


async def escalate(
    submission: Submission, current: Staff, new_approver: Staff | None, *, at: Any, **fields: Any
) -> Moved:
    """Hand a waiting submission from `current` to `new_approver` (None: the admins); False if it moved meanwhile."""
    check_move("escalated", S.CONFIRMED, S.CONFIRMED)
    won = await Submission.filter(id=submission.id, status=S.CONFIRMED, approver_id=current.id).update(
        approver_id=new_approver.id if new_approver else None, assigned_at=at, **fields
    )
    if not won:
        return Moved(False, "escalated")
    submission.approver_id = new_approver.id if new_approver else None
    await audit.record(
        submission.id, "escalated", from_state=S.CONFIRMED, to_state=S.CONFIRMED,
        from_approver=current.employee_code,
        to_approver=new_approver.employee_code if new_approver else "admins",
    )
    return _moved("escalated", S.CONFIRMED, S.CONFIRMED)


async def delegated(submission: Submission, delegate: Staff, *, actor: Staff | None, channel: str | None) -> Moved:
    """Record that a waiting submission is now also put to an acting approver."""
    check_move("delegated", submission.status, S.CONFIRMED)
    await audit.record(
        submission.id, "delegated", from_state=S.CONFIRMED, to_state=S.CONFIRMED,
        actor=actor, channel=channel, delegate=delegate.employee_code,
    )
    return _moved("delegated", S.CONFIRMED, S.CONFIRMED)


async def next_approver(staff: Staff, owner_id: int) -> Staff | None:
    """Who approves after `staff`: their active supervisor, never the submission's owner; None means the admins.

    Acting approvers under delegation are added at prompt time (`approvals.approvers_for`),
    so the assignment itself always names the supervisor of record.
    """
    if not staff.supervisor_id:
        return None
    boss = await Staff.get_or_none(id=staff.supervisor_id, active=True)
    return boss if boss and boss.id != owner_id else None
