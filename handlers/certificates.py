"""Certificate intake and the owner's side of it: receive, confirm, correct, cancel, withdraw.

Reading happens in the background (bot/ocr_runner.py); this module stores what
arrived, answers at once, and handles the buttons on the card the reader sends.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from bot.events import Action, Button, Reply
from bot.routing import Router
from bot.turn import Turn
from certificates.errors import CorruptFile, UnsupportedFile
from certificates.loading import sniff_format
from certificates.thai_dates import parse_thai_date
from fiscal.thai_dates import short_date
from certificates.thai_text import normalize_text
from config.texts import t
from handlers.certificate_card import certificate_card, field_names
from handlers.certificate_checks import check, missing_fields
from handlers.approval_prompts import close_prompts, send_prompts
from storage import submission_states, submissions
from storage.models import Course, Submission
from storage.submission_states import WITHDRAWABLE_STATES, Audience, SubmissionStatus

router = Router("certificates")

EDIT_STATE = "cert.edit"
MAX_HOURS = Decimal(1000)
SNIFF_BYTES = 4096


@router.file()
async def receive_certificate(turn: Turn) -> None:
    """A photo or document from staff: keep it and queue it for reading."""
    ref = turn.incoming.file
    assert ref is not None and turn.person is not None
    if turn.file_error == "too_large":
        turn.reply("cert.too_large", limit=turn.settings.max_upload_bytes // (1024 * 1024))
        return
    if turn.file is None:
        turn.reply("cert.download_failed")
        return
    head = await turn.file.head(SNIFF_BYTES)
    try:
        kind = sniff_format(head, ref.name, ref.mime)
    except CorruptFile:
        turn.reply("cert.corrupt")
        return
    except UnsupportedFile:
        turn.reply("cert.unsupported")
        return
    mime = "application/pdf" if kind == "pdf" else f"image/{kind}"
    turn.state.clear()
    submission = await submissions.create(
        turn.person,
        channel=turn.incoming.channel,
        chat=turn.incoming.chat,
        sha256=turn.file.sha256,
        name=ref.name,
        mime=mime,
        size=turn.file.size,
    )
    await submission_states.received(submission, actor=turn.person, channel=turn.incoming.channel)
    turn.signal("ocr")
    turn.reply("cert.received")



async def _own_submission(
    turn: Turn, submission_id: str, states: tuple[SubmissionStatus, ...]
) -> Submission | None:
    submission = await submissions.owned(submission_id, turn.person)
    if submission is None or submission.status not in states:
        if submission is not None and submission.status == SubmissionStatus.RECEIVED:
            turn.reply("cert.still_reading")
        else:
            turn.reply("cert.not_yours")
        return None
    return submission


async def show_card(turn: Turn, submission: Submission) -> None:
    """Answer with the submission's card."""
    turn.reply_raw(certificate_card(submission, await submissions.course_code(submission)))


@router.action("cert.confirm")
async def confirm(turn: Turn, submission_id: str = "") -> None:
    """Make a read certificate ready for the supervisor's approval."""
    submission = await _own_submission(turn, submission_id, (SubmissionStatus.READ,))
    if submission is None:
        return
    missing = missing_fields(submission)
    if missing:
        turn.reply("cert.missing_before_confirm", fields=field_names(missing))
        return
    owner = turn.person
    assert owner is not None
    now = dt.datetime.now(dt.UTC)
    approver = await submission_states.next_approver(owner, owner.id)
    moved = await submission_states.transition(
        submission, "confirmed", SubmissionStatus.CONFIRMED, actor=owner, channel=turn.incoming.channel,
        confirmed_at=now, approver_id=approver.id if approver else None, assigned_at=now,
    )
    if not moved:
        turn.reply("cert.not_yours")
        return
    turn.state.clear()
    turn.reply("cert.confirmed", course=submission.course_title, id=submission.id)
    prompted = await send_prompts(turn.out, submission) if moved.tells(Audience.APPROVERS) else []
    # An (active) owner listed as their own supervisor has one, though it cannot approve.
    if approver is None and not (owner.supervisor_id == owner.id and owner.active):
        turn.reply("approval.sent_to_admins")
    elif not await turn.out.linked(prompted):
        turn.reply("approval.no_approver")


@router.action("cert.cancel")
async def cancel(turn: Turn, submission_id: str = "") -> None:
    """Drop a certificate before it was confirmed."""
    submission = await _own_submission(turn, submission_id, (SubmissionStatus.READ,))
    if submission and await submission_states.transition(
        submission, "cancelled", SubmissionStatus.CANCELLED, actor=turn.person, channel=turn.incoming.channel
    ):
        turn.state.clear()
        turn.reply("cert.cancelled", id=submission.id)


@router.action("cert.withdraw")
async def withdraw(turn: Turn, submission_id: str = "") -> None:
    """Take back a confirmed certificate that nobody approved yet."""
    submission = await _own_submission(turn, submission_id, WITHDRAWABLE_STATES)
    if submission is None:
        return
    moved = await submission_states.transition(
        submission, "withdrawn", SubmissionStatus.WITHDRAWN, expected=WITHDRAWABLE_STATES,
        actor=turn.person, channel=turn.incoming.channel,
    )
    if moved:
        turn.reply("cert.withdrawn", id=submission.id)
        if moved.tells(Audience.OPEN_PROMPTS):
            await close_prompts(turn.out, submission, t("cert.withdrawn", id=submission.id))


@router.command("mine", "รายการของฉัน", "รายการ", menu="menu.btn_mine", menu_order=30)
@router.action("cert.list")
async def list_mine(turn: Turn) -> None:
    """The sender's unfinished submissions, with withdraw buttons."""
    assert turn.person is not None
    pending = await submissions.pending_of(turn.person)
    if not pending:
        turn.reply("cert.list_empty")
        return
    lines = [t("cert.list_header")]
    buttons = []
    for sub in pending:
        lines.append(
            t(
                "cert.list_item",
                id=sub.id,
                course=sub.course_title or t("cert.unknown_value"),
                hours=submissions.hours_value(sub.hours),
                date=short_date(sub.completed_on) if sub.completed_on else "-",
                status=t(f"cert.status_{sub.status}"),
            )
        )
        if sub.status in WITHDRAWABLE_STATES and len(buttons) < 4:
            buttons.append(Button(t("cert.btn_withdraw", id=sub.id), Action("cert.withdraw", (str(sub.id),))))
    turn.reply_raw(Reply(text="\n".join(lines), buttons=tuple(buttons)))


# --- correcting a field --------------------------------------------------------------

EDITABLE = ("course", "hours", "date")


@router.action("cert.edit")
async def choose_field(turn: Turn, submission_id: str = "") -> None:
    """Offer the fields that can be corrected."""
    submission = await _own_submission(turn, submission_id, (SubmissionStatus.READ,))
    if submission is None:
        return
    sid = str(submission.id)
    turn.reply(
        "cert.edit_choose",
        buttons=[Button(t(f"cert.btn_edit_{f}"), Action("cert.field", (sid, f))) for f in EDITABLE]
        + [Button(t("cert.btn_back"), Action("cert.show", (sid,)))],
    )


@router.action("cert.show")
async def show(turn: Turn, submission_id: str = "") -> None:
    """Show the card again."""
    submission = await _own_submission(turn, submission_id, (SubmissionStatus.READ,))
    if submission is not None:
        turn.state.clear()
        await show_card(turn, submission)


@router.action("cert.field")
async def ask_field(turn: Turn, submission_id: str = "", field: str = "") -> None:
    """Ask for the new value of one field."""
    submission = await _own_submission(turn, submission_id, (SubmissionStatus.READ,))
    if submission is None or field not in EDITABLE:
        return
    turn.state.set(EDIT_STATE, submission=submission.id, field=field)
    turn.reply(f"cert.ask_{field}")


@router.text(state=EDIT_STATE)
async def receive_field(turn: Turn, text: str) -> None:
    """Validate the typed value, store it, re-check, and show the card again."""
    field = turn.state.data.get("field")
    submission = await _own_submission(turn, str(turn.state.data.get("submission", "")), (SubmissionStatus.READ,))
    if submission is None:
        turn.state.clear()
        return
    if field == "hours":
        hours = parse_hours(text)
        if hours is None:
            turn.reply("cert.bad_hours")
            return
        submission.hours = hours
    elif field == "date":
        day = parse_date(text)
        if day is None:
            turn.reply("cert.bad_date")
            return
        submission.completed_on = day
    elif field == "course":
        title = normalize_text(text).strip()
        if not 3 <= len(title) <= 300:
            turn.reply("cert.bad_course")
            return
        submission.course_title = title
        submission.course_id = await _catalog_id(title)
    else:
        turn.state.clear()
        return
    assert turn.person is not None
    await check(submission, turn.person)
    await submission.save()
    turn.state.clear()
    await show_card(turn, submission)


_HOURS_INPUT_RE = re.compile(
    r"\s*(?:(?P<hours>\d{1,4}(?:[.,]\d{1,2})?)(?![\d.,])\s*(?:ชั่วโมง|ชม\.?|h|hours?)?(?!\s*(?:นาที|น\.|min)))?"
    r"\s*(?:(?P<minutes>\d{1,5})\s*(?:นาที|น\.|min|minutes?))?\s*",
    re.IGNORECASE,
)


def parse_hours(text: str) -> Decimal | None:
    """A positive number of hours: "6", "1.5 ชม.", "2 ชั่วโมง 30 นาที", "90 นาที" (Thai digits allowed)."""
    match = _HOURS_INPUT_RE.fullmatch(normalize_text(text))
    if not match or not (match["hours"] or match["minutes"]):
        return None
    try:
        value = Decimal(match["hours"].replace(",", ".")) if match["hours"] else Decimal(0)
    except InvalidOperation:
        return None
    if match["minutes"]:
        value += (Decimal(match["minutes"]) / 60).quantize(Decimal("0.01"))
    return value if Decimal(0) < value <= MAX_HOURS else None


def parse_date(text: str) -> dt.date | None:
    """An ISO date or a Thai date (BE or CE year), which must be a real calendar day."""
    cleaned = normalize_text(text).strip()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", cleaned)
    if iso:
        year, month, day = map(int, iso.groups())
        if year > 2400:  # typed a BE year in ISO form
            year -= 543
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return parse_thai_date(cleaned)


async def _catalog_id(title: str) -> int | None:
    from certificates.catalog import match_course

    courses = await Course.all().only("id", "code", "name", "kind")
    found = match_course(title, courses)
    if found is None or found.code is None:
        return None
    return next((c.id for c in courses if c.code == found.code), None)
