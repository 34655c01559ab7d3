"""What a circular notice looks like to its recipients: the same on the preview and when it is sent.

One message carries the header (เรื่อง, ที่, reply deadline), the body and the รับทราบ
button, so the button sits under what it acknowledges; a body longer than one
message goes first in as many text messages as it needs. Each attachment follows as
a document (Telegram uploads it once; LINE links to it).
"""

from __future__ import annotations

import math

from bot.events import Action, Button, Capabilities, Reply
from config.texts import t
from fiscal.thai_dates import official_date
from storage.models import Notice

ACK_ACTION = "ack"
# Room left in the last message for the header and the button's card (LINE cards hold 2,000 characters).
CARD_TEXT = 2000


def ack_button(notice_id: int) -> Button:
    """The one-tap acknowledgement."""
    return Button(t("notice.ack_button"), Action(ACK_ACTION, (str(notice_id),)))


def header(notice: Notice) -> str:
    """เรื่อง / ที่ / reply deadline lines."""
    lines = [t("notice.subject_line", subject=notice.subject)]
    if notice.doc_no:
        lines.append(t("notice.doc_no_line", doc_no=notice.doc_no))
    if notice.reply_by:
        lines.append(t("notice.reply_by_line", date=official_date(notice.reply_by)))
    return "\n".join(lines)


def _chunks(text: str, size: int) -> list[str]:
    """Split at line breaks where possible, never inside a character."""
    parts: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    if text.strip():
        parts.append(text)
    return parts


def line_requests(notice: Notice, line: Capabilities) -> int:
    """Requests (and so allowance messages) one person's copy takes on LINE: it carries five messages each."""
    return max(1, math.ceil(len(notice_replies(notice, line)) / line.messages_per_request))


def notice_replies(notice: Notice, can: Capabilities) -> list[Reply]:
    """The messages one recipient gets, shaped for what their channel can carry."""
    head = header(notice)
    footer = t("notice.ack_hint") if notice.ack_required else ""
    buttons = (ack_button(notice.id),) if notice.ack_required else ()
    card_room = min(can.max_text, CARD_TEXT) - len(head) - len(footer) - 4
    body = notice.body.strip()
    replies: list[Reply] = []
    if len(body) <= card_room:
        text = "\n\n".join(part for part in (head, body, footer) if part)
        card = Reply(text, buttons=buttons, title=t("notice.title"))
    else:
        replies.extend(Reply(part) for part in _chunks(body, can.max_text))
        text = "\n\n".join(part for part in (head, t("notice.body_above"), footer) if part)
        card = Reply(text, buttons=buttons, title=t("notice.title"))
    attachments = [
        Reply(t("notice.attachment", name=item.get("name") or ""), document=item["sha256"], file_name=item.get("name"))
        for item in notice.attachments or []
    ]
    # The card last, so its button is under everything it acknowledges.
    return [*replies, *attachments, card]
