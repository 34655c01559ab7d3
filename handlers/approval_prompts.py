"""Building and sending approval prompts; shared by confirmation, delegation and escalation."""

from __future__ import annotations

import datetime as dt

from bot.events import Action, Button, Reply
from bot.sending import Chat, Sending
from config.texts import t
from fiscal.calendar import today_bangkok
from handlers.certificate_card import card_text
from storage import approvals
from storage.models import ApprovalPrompt, PromptMessage, Staff, Submission
from storage.submissions import course_code
from storage.who_looked import What, log_view


def prompt_reply(submission: Submission, owner: Staff, prompt: ApprovalPrompt, code: str | None, note: str = "") -> Reply:
    """The prompt card an approver sees: the image, the fields, warnings and one-tap buttons."""
    unit = owner.unit.name if getattr(owner, "unit", None) else "-"
    head = t("approval.prompt_head", owner=owner.display_name, unit=unit)
    text = f"{head}\n{card_text(submission, code)}"
    if note:
        text = f"{note}\n\n{text}"
    token = prompt.token
    return Reply(
        title=t("approval.prompt_title", id=submission.id),
        text=text,
        image=submission.file_sha256 if (submission.file_mime or "").startswith("image/") else None,
        buttons=(
            Button(t("approval.btn_approve"), Action("ap.a", (token,))),
            Button(t("approval.btn_reject"), Action("ap.r", (token,))),
            Button(t("approval.btn_details"), Action("ap.d", (token,))),
        ),
    )


async def send_prompts(
    out: Sending,
    submission: Submission,
    *,
    today: dt.date | None = None,
    note: str = "",
    only: list[Staff] | None = None,
) -> list[Staff]:
    """Prompt every current approver on every chat they linked (sent with the caller's transaction).

    Returns who was prompted.
    """
    owner = await Staff.get(id=submission.staff_id).select_related("unit")
    code = await course_code(submission)
    targets = only if only is not None else await approvals.approvers_for(submission, today or today_bangkok())
    for approver in targets:
        prompt = await approvals.new_prompt(submission, approver)
        reply = prompt_reply(submission, owner, prompt, code, note)
        # The card puts the owner's record (and picture) into the approver's chat: that is the opening
        # the access log records, one entry per chat it goes to, written with the outbox row.
        seen: What = "image" if reply.image else "record"

        async def shown(
            chat: Chat,
            outbox_id: int,
            position: int,
            prompt: ApprovalPrompt = prompt,
            viewer: Staff = approver,
            what: What = seen,
        ) -> None:
            await PromptMessage.create(
                prompt=prompt, outbox_id=outbox_id, outbox_index=position, channel=chat.channel, chat=chat.chat
            )
            await log_view(viewer.id, owner.id, what, submission_id=submission.id, channel=chat.channel)

        out.send_to(approver, reply, written=shown)
    return targets


async def close_prompts(out: Sending, submission: Submission, text: str) -> None:
    """Replace the buttons of every shown prompt with the outcome, where the channel can edit.

    Where it cannot (LINE), a later tap on the old prompt is answered instead.
    """
    for message in await approvals.shown_prompts(submission.id):
        if out.can(message.channel).edit:
            out.send_to(
                Chat(message.channel, message.chat),
                Reply(text=text, edit_of=message.outbox_id, edit_index=message.outbox_index),
            )
