"""Re-sending a circular notice to those who have not acknowledged it: when it may be asked, and asking.

Asking only marks the notice (status "resend", one more re-send, due now); the queueing
job then sends it again to every addressee without an acknowledgement. So a re-send is
decided here, in the admin's turn, and the sending stays in one place.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from tortoise.expressions import F

from storage.models import Notice, NoticeRecipient

RESEND = "resend"
# A notice that went out (queued: still being sent; sent: all done) may be sent again.
RESENDABLE = ("queued", "sent")

Refusal = Literal["no_ack", "not_sent", "in_progress", "past_deadline", "nobody_waiting"]
Outcome = Literal["requested", "not_found", "already_resent"] | Refusal


def resend_refusal(notice: Notice, waiting: int, today: dt.date) -> Refusal | None:
    """Why this notice cannot be re-sent now (None: it can); `waiting` is how many have not acknowledged."""
    if not notice.ack_required:
        return "no_ack"
    if notice.status == RESEND:
        return "in_progress"
    if notice.status not in RESENDABLE:
        return "not_sent"
    # The deadline day itself still counts: people answer on the last day.
    if notice.reply_by is not None and today > notice.reply_by:
        return "past_deadline"
    if waiting <= 0:
        return "nobody_waiting"
    return None


async def request_resend(notice_id: int, now: float, today: dt.date, resends_seen: int) -> Outcome:
    """Mark the notice for sending again to those who have not acknowledged, if it may be.

    `resends_seen` is how many re-sends the admin's confirmation button was made after: a
    confirmation pressed again, or an old one, asks for no second re-send.
    """
    notice = await Notice.get_or_none(id=notice_id)
    if notice is None:
        return "not_found"
    if notice.resends != resends_seen:
        return "already_resent"
    waiting = await NoticeRecipient.filter(notice_id=notice_id, acknowledged_at__isnull=True).count()
    refusal = resend_refusal(notice, waiting, today)
    if refusal is not None:
        return refusal
    # Conditional on what was read above: of two admins confirming at once, one re-send is asked.
    won = await Notice.filter(id=notice_id, status=notice.status, resends=resends_seen).update(
        status=RESEND, resends=F("resends") + 1, send_at=now
    )
    return "requested" if won else "already_resent"
