"""Building and sending approval prompts; shared by confirmation, delegation and escalation."""

from __future__ import annotations

import datetime as dt

from bot.events import Action, Button, Reply
from config.texts import t
from fiscal.calendar import today_bangkok
from handlers.certificate_card import card_text
from storage import approvals, outbox, people
from storage.models import ApprovalPrompt, PromptMessage, Staff, Submission
from storage.submissions import course_code


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
    submission: Submission, *, today: dt.date | None = None, note: str = "", only: list[Staff] | None = None
) -> tuple[list[Staff], list[int]]:
    """Prompt every current approver on every channel they linked (inside the caller's transaction).

    Returns who was prompted and the outbox ids to deliver after the commit.
    """
    owner = await Staff.get(id=submission.staff_id).select_related("unit")
    code = await course_code(submission)
    targets = only if only is not None else await approvals.approvers_for(submission, today or today_bangkok())
    outbox_ids: list[int] = []
    for approver in targets:
        prompt = await approvals.new_prompt(submission, approver)
        reply = prompt_reply(submission, owner, prompt, code, note)
        for identity in await people.identities_of(approver.id):
            message = await outbox.add(identity.channel, identity.platform_user_id, [reply.to_dict()])
            await PromptMessage.create(
                prompt=prompt, outbox_id=message.id, channel=identity.channel, chat=identity.platform_user_id
            )
            outbox_ids.append(message.id)
    return targets, outbox_ids


async def close_prompts(submission: Submission, text: str) -> list[int]:
    """Replace the buttons of every shown prompt with the outcome, where the channel can edit."""
    ids: list[int] = []
    for shown in await approvals.shown_prompts(submission.id):
        if shown.channel == "line":  # LINE cannot edit; a later tap is answered instead
            continue
        message = await outbox.add(shown.channel, shown.chat, [Reply(text=text, edit_of=shown.outbox_id).to_dict()])
        ids.append(message.id)
    return ids
