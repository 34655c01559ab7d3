"""Supervisor approvals: one-tap prompts, reasons for rejection, the pending list, delegation.

The team view lives in `handlers.progress`.

Every press is checked on the server: the button's random token names one prompt
(one submission, one approver), and the presser must be that approver, an active
delegate, or an admin, and never the submitter. The decision itself is a
conditional update, so of two simultaneous presses exactly one wins.
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.events import Action, Button, Reply
from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from fiscal.calendar import today_bangkok
from fiscal.thai_dates import short_date, short_datetime
from handlers.approval_prompts import close_prompts, send_prompts
from handlers.certificate_card import card_text
from handlers.certificates import parse_date
from storage import approvals, submission_states, submissions
from storage.models import ApprovalPrompt, Delegation, Staff, Submission
from storage.submission_states import Audience, SubmissionStatus
from storage.who_looked import log_view

logger = logging.getLogger(__name__)
router = Router("approvals")

REASON_STATE = "approval.reason"
PRESET_REASONS = ("1", "2", "3")
APPROVER_ROLES = ("supervisor", "admin")


async def _authorised_prompt(turn: Turn, token: str) -> ApprovalPrompt | None:
    """The prompt behind a pressed token, only if the presser may decide it now."""
    prompt = await approvals.prompt_by_token(token)
    person = turn.person
    assert person is not None
    if prompt is None:
        logger.warning("approval press with an unknown token by staff %s on %s", person.id, turn.incoming.channel)
        turn.reply("approval.bad_button")
        return None
    submission = prompt.submission
    if person.id == submission.staff_id:
        logger.warning("staff %s pressed approval of own submission %s", person.id, submission.id)
        turn.reply("approval.own_submission")
        return None
    today = today_bangkok()
    # The token is bound to its approver: a forwarded prompt does not give its reader authority.
    bound = prompt.approver_id == person.id or person.is_admin
    if not bound or not await approvals.may_decide(person, submission, today):
        logger.warning("staff %s may not decide submission %s", person.id, submission.id)
        turn.reply("approval.not_allowed")
        return None
    if submission.status != SubmissionStatus.CONFIRMED:
        await _already(turn, submission)
        return None
    return prompt


async def _already(turn: Turn, submission: Submission) -> None:
    if submission.status in (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED) and submission.decided_by_id and submission.decided_at:
        by = await Staff.get(id=submission.decided_by_id)
        turn.reply(
            "approval.already_decided",
            id=submission.id,
            decision=t(f"approval.decided_{submission.status}"),
            by=by.display_name,
            at=short_datetime(submission.decided_at),
        )
    else:
        turn.reply("approval.not_waiting", id=submission.id)


async def decide(
    turn: Turn, submission: Submission, *, approve: bool, reason: str | None, announce: bool = True
) -> None:
    """Record the decision (one winner), tell everyone concerned, and close the other prompts.

    `announce=False` leaves the approver's own answer to the caller (one summary for many).
    """
    person = turn.person
    assert person is not None
    now = dt.datetime.now(dt.UTC)
    moved = await approvals.decide(
        submission, approve=approve, by=person, reason=reason, now=now, channel=turn.incoming.channel
    )
    if not moved:
        if announce:
            await _already(turn, await Submission.get(id=submission.id))
        return
    owner = await Staff.get(id=submission.staff_id)
    course = submission.course_title or "-"
    if approve:
        if announce:
            turn.reply("approval.approved", id=submission.id, owner=owner.display_name)
        told = Reply(t("approval.owner_approved", id=submission.id, course=course, by=person.display_name))
    else:
        turn.reply("approval.rejected", id=submission.id, owner=owner.display_name, reason=reason)
        told = Reply(t("approval.owner_rejected", id=submission.id, course=course, by=person.display_name, reason=reason))
    if moved.tells(Audience.OWNER):
        turn.send_to(owner.id, told)
    if not moved.tells(Audience.OPEN_PROMPTS):
        return
    closed = t(
        "approval.prompt_closed",
        id=submission.id,
        decision=t(f"approval.decided_{submission.status}"),
        by=person.display_name,
        at=short_datetime(now),
    )
    await close_prompts(turn.out, submission, closed)


@router.action("ap.a")
async def approve(turn: Turn, token: str = "") -> None:
    """One tap: approve."""
    prompt = await _authorised_prompt(turn, token)
    if prompt is not None:
        await decide(turn, prompt.submission, approve=True, reason=None)


@router.action("ap.r")
async def ask_reason(turn: Turn, token: str = "") -> None:
    """Reject: pick a reason or type one."""
    prompt = await _authorised_prompt(turn, token)
    if prompt is None:
        return
    buttons = [Button(t(f"approval.reason_{n}"), Action("ap.rr", (token, n))) for n in PRESET_REASONS]
    buttons.append(Button(t("approval.btn_reason_typed"), Action("ap.rt", (token,))))
    turn.reply("approval.choose_reason", id=prompt.submission.id, buttons=buttons)


@router.action("ap.rr")
async def reject_with_preset(turn: Turn, token: str = "", number: str = "") -> None:
    """Reject with one of the preset reasons."""
    prompt = await _authorised_prompt(turn, token)
    if prompt is not None and number in PRESET_REASONS:
        await decide(turn, prompt.submission, approve=False, reason=t(f"approval.reason_{number}"))


@router.action("ap.rt")
async def ask_typed_reason(turn: Turn, token: str = "") -> None:
    """Reject with a typed reason: ask for it."""
    prompt = await _authorised_prompt(turn, token)
    if prompt is not None:
        turn.state.set(REASON_STATE, token=token)
        turn.reply("approval.ask_reason")


@router.text(state=REASON_STATE)
async def typed_reason(turn: Turn, text: str) -> None:
    """The typed reason arrives."""
    reason = text.strip()
    if not 3 <= len(reason) <= 300:
        turn.reply("approval.bad_reason")
        return
    token = str(turn.state.data.get("token", ""))
    turn.state.clear()
    prompt = await _authorised_prompt(turn, token)
    if prompt is not None:
        await decide(turn, prompt.submission, approve=False, reason=reason)


@router.action("ap.d")
async def details(turn: Turn, token: str = "") -> None:
    """Everything about a submission, for an approver who wants to look closer."""
    prompt = await approvals.prompt_by_token(token)
    person = turn.person
    assert person is not None
    if prompt is None or not (prompt.approver_id == person.id or person.is_admin):
        turn.reply("approval.bad_button")
        return
    sub = prompt.submission
    await log_view(person.id, sub.staff_id, "record", submission_id=sub.id, channel=turn.incoming.channel)
    text = t(
        "approval.details",
        id=sub.id,
        file=sub.file_name or "-",
        sent=short_datetime(sub.created_at),
        confirmed=short_datetime(sub.confirmed_at) if sub.confirmed_at else "-",
        confidence=round(100 * (sub.confidence or 0)),
        status=t(f"cert.status_{sub.status}"),
    )
    turn.reply_raw(Reply(text=text + "\n\n" + card_text(sub, await submissions.course_code(sub))))


# --- the pending list --------------------------------------------------------------------------


def _clean(submission: Submission) -> bool:
    return not submission.warnings


# Open to anyone (a staff member may be a delegate), offered in the menus of approvers.
@router.command(
    "pending", "รออนุมัติ", "รายการรออนุมัติ", menu="richmenu.pending", menu_order=40, menu_roles=APPROVER_ROLES
)
@router.action("ap.list")
async def pending(turn: Turn) -> None:
    """What waits for this approver, oldest first, with "approve all without warnings"."""
    person = turn.person
    assert person is not None
    waiting = await approvals.waiting_for(person, today_bangkok())
    if not waiting:
        turn.reply("approval.pending_empty")
        return
    lines = [t("approval.pending_header", count=len(waiting))]
    for sub in waiting[:30]:
        lines.append(
            t(
                "approval.pending_item",
                id=sub.id,
                owner=sub.staff.display_name,
                course=sub.course_title or "-",
                hours=submissions.hours_value(sub.hours),
                flag="" if _clean(sub) else t("approval.pending_flag"),
            )
        )
    clean = sum(1 for s in waiting if _clean(s))
    buttons = [Button(t("approval.btn_approve_all", count=clean), Action("ap.all"))] if clean else []
    turn.reply_raw(Reply(text="\n".join(lines), buttons=tuple(buttons)))
    # The oldest few as prompts of their own, so each is one tap away.
    for sub in waiting[:3]:
        await send_prompts(turn.out, sub, only=[person])


@router.action("ap.all")
async def approve_all_ask(turn: Turn) -> None:
    """Say how many would be approved, and ask to confirm."""
    person = turn.person
    assert person is not None
    clean = [s for s in await approvals.waiting_for(person, today_bangkok()) if _clean(s)]
    if not clean:
        turn.reply("approval.approve_all_none")
        return
    turn.reply(
        "approval.approve_all_ask",
        count=len(clean),
        buttons=[Button(t("approval.btn_approve_all_confirm", count=len(clean)), Action("ap.allok", (str(len(clean)),)))],
    )


@router.action("ap.allok")
async def approve_all(turn: Turn, expected: str = "") -> None:
    """Approve every waiting submission without warnings, if the count is still what was shown."""
    person = turn.person
    assert person is not None
    today = today_bangkok()
    clean = [s for s in await approvals.waiting_for(person, today) if _clean(s)]
    if str(len(clean)) != expected:
        turn.reply(
            "approval.approve_all_changed",
            count=len(clean),
            buttons=[Button(t("approval.btn_approve_all_confirm", count=len(clean)), Action("ap.allok", (str(len(clean)),)))]
            if clean
            else [],
        )
        return
    done = 0
    for sub in clean:
        if await approvals.may_decide(person, sub, today):
            await decide(turn, sub, approve=True, reason=None, announce=False)  # one summary below
            done += 1
    turn.reply("approval.approve_all_done", count=done)


# --- delegation ---------------------------------------------------------------------------------


@router.text(r"(?:รักษาราชการแทน|delegate)\s*(.*)", roles=APPROVER_ROLES)
async def delegate(turn: Turn, rest: str) -> None:
    """`รักษาราชการแทน <delegate> <start> <end>`; admins may put a supervisor code first."""
    person = turn.person
    assert person is not None
    parts = rest.split()
    if len(parts) == 4 and person.is_admin:
        supervisor = await Staff.get_or_none(employee_code=parts[0], active=True)
        parts = parts[1:]
    else:
        supervisor = person
    if len(parts) != 3 or supervisor is None:
        turn.reply("approval.delegation_usage")
        return
    delegate_staff = await Staff.get_or_none(employee_code=parts[0], active=True)
    start, end = parse_date(parts[1]), parse_date(parts[2])
    problem = None
    if delegate_staff is None:
        problem = f"ไม่พบรหัส {parts[0]}"
    elif delegate_staff.id == supervisor.id:
        problem = "ผู้ทำแทนต้องเป็นคนอื่น"
    elif start is None or end is None or end < start:
        problem = "วันที่ไม่ถูกต้อง"
    if problem:
        turn.reply("approval.delegation_bad", problem=problem)
        return
    assert delegate_staff and start and end
    await create_delegation(turn, supervisor, delegate_staff, start, end)


async def create_delegation(turn: Turn, supervisor: Staff, delegate_staff: Staff, start: dt.date, end: dt.date) -> None:
    """Store a delegation and, if it is active now, prompt the delegate for what already waits."""
    assert turn.person is not None
    await Delegation.create(
        supervisor=supervisor, delegate=delegate_staff, starts_on=start, ends_on=end, created_by=turn.person
    )
    values = {
        "delegate": delegate_staff.display_name,
        "supervisor": supervisor.display_name,
        "start": short_date(start),
        "end": short_date(end),
    }
    turn.reply("approval.delegation_done", **values)
    turn.send_to(delegate_staff.id, Reply(t("approval.delegation_you", **values)))
    if start <= today_bangkok() <= end:
        for sub in await Submission.filter(approver_id=supervisor.id, status=SubmissionStatus.CONFIRMED).order_by("id"):
            moved = await submission_states.delegated(sub, delegate_staff, actor=turn.person, channel=turn.incoming.channel)
            if moved.tells(Audience.APPROVERS):
                await send_prompts(turn.out, sub, only=[delegate_staff])
