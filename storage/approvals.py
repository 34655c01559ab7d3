"""Who may approve what, approval prompts with unguessable tokens, and race-safe decisions."""

from __future__ import annotations

import datetime as dt
import secrets

from tortoise.expressions import Q

from storage.models import ApprovalPrompt, Delegation, PromptMessage, Staff, Submission
from storage.submission_states import Moved, SubmissionStatus, transition

TOKEN_BYTES = 12  # 96 bits, 16 url-safe characters: fits Telegram's 64-byte callback_data


async def active_delegates(supervisor_id: int, today: dt.date) -> list[Staff]:
    """Acting approvers of a supervisor on a date."""
    rows = await Delegation.filter(
        supervisor_id=supervisor_id, revoked=False, starts_on__lte=today, ends_on__gte=today
    ).select_related("delegate")
    return [r.delegate for r in rows if r.delegate.active]


async def admins(exclude_id: int | None = None) -> list[Staff]:
    """Active admins (who take submissions of staff without a supervisor)."""
    query = Staff.filter(is_admin=True, active=True)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    return await query.order_by("id")


async def approvers_for(submission: Submission, today: dt.date) -> list[Staff]:
    """Everyone who gets a prompt: the assigned approver and their active delegates, or the admins.

    The submitter is never among them, even when they are an admin.
    """
    owner = submission.staff_id
    people: list[Staff] = []
    if submission.approver_id:
        approver = await Staff.get_or_none(id=submission.approver_id, active=True)
        if approver:
            people.append(approver)
        people.extend(await active_delegates(submission.approver_id, today))
    if not people:
        people = await admins()
    unique = {p.id: p for p in people if p.id != owner}
    return list(unique.values())


async def may_decide(staff: Staff, submission: Submission, today: dt.date) -> bool:
    """Server-side authority check for every press: assigned approver, active delegate, or admin."""
    if staff.id == submission.staff_id or not staff.active:
        return False
    if staff.is_admin:
        return True
    if submission.approver_id == staff.id:
        return True
    if submission.approver_id:
        return any(d.id == staff.id for d in await active_delegates(submission.approver_id, today))
    return False


async def new_prompt(submission: Submission, approver: Staff) -> ApprovalPrompt:
    """A prompt for one approver, with a fresh random token."""
    return await ApprovalPrompt.create(
        token=secrets.token_urlsafe(TOKEN_BYTES), submission=submission, approver=approver
    )


async def prompt_by_token(token: str) -> ApprovalPrompt | None:
    """The prompt a button token belongs to (tokens are random, so unknown ones are forgeries)."""
    if not token or len(token) > 32:
        return None
    return await ApprovalPrompt.get_or_none(token=token).select_related("submission", "approver")


async def shown_prompts(submission_id: int) -> list[PromptMessage]:
    """Every place the prompts of a submission were shown."""
    return await PromptMessage.filter(prompt__submission_id=submission_id)


async def decide(
    submission: Submission, *, approve: bool, by: Staff, reason: str | None, now: dt.datetime, channel: str | None
) -> Moved:
    """Record a decision; exactly one of concurrent deciders wins (conditional update in the database)."""
    to = SubmissionStatus.APPROVED if approve else SubmissionStatus.REJECTED
    return await transition(
        submission, to.value, to, expected=(SubmissionStatus.CONFIRMED,), actor=by, channel=channel,
        detail={"reason": reason} if reason else None,
        decided_by_id=by.id, decided_at=now, decision_reason=reason,
    )


async def waiting_for(staff: Staff, today: dt.date) -> list[Submission]:
    """Confirmed submissions this person may decide, oldest first."""
    delegating = await Delegation.filter(
        delegate_id=staff.id, revoked=False, starts_on__lte=today, ends_on__gte=today
    ).values_list("supervisor_id", flat=True)
    scope = Q(approver_id=staff.id) | Q(approver_id__in=list(delegating))
    if staff.is_admin:
        scope |= Q(approver_id__isnull=True)
    return (
        await Submission.filter(scope, status=SubmissionStatus.CONFIRMED)
        .exclude(staff_id=staff.id)
        .select_related("staff")
        .order_by("confirmed_at", "id")
    )
