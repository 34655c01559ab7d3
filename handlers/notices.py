"""Admins follow their circular notices: counts, who has not acknowledged, the export, a re-send.

Typed forms:
    ประกาศ            the latest notices with their counts, a button each to open one
    ประกาศ 12         notice 12: counts, reply deadline, who has not acknowledged by unit

Every route and button is for admins only: a staff member who types the command or
replays a button is refused by the router before anything here runs. A re-send is not
sent here: the notice is marked and the queueing job sends it (`storage.notice_resends`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from bot.events import Action, Button, Reply
from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from fiscal.calendar import today_bangkok
from fiscal.thai_dates import BANGKOK, official_date
from handlers.notice_card import CARD_TEXT, header
from reports.files import chat_reports_dir
from reports.notice_pending import build, collect, file_name, sent_on
from storage import notices
from storage.models import Notice
from storage.notice_resends import request_resend, resend_refusal

logger = logging.getLogger(__name__)
ADMIN = ("admin",)
router = Router("notices", roles=ADMIN)

# Button actions; each carries the notice id only (Telegram's callback_data is 64 bytes).
OPEN, EXPORT = "notice", "notice.export"
RESEND, RESEND_OK, RESEND_NO = "notice.resend", "notice.resend_ok", "notice.resend_no"
LISTED = 10
SUBJECT_IN_LIST, SUBJECT_ON_BUTTON = 60, 24
MAX_ID_DIGITS = 9
MARKS = {
    "unreachable": "notice_track.mark_unreachable",
    "held": "notice_track.mark_held",
    "queued": "notice_track.mark_queued",
}


def _short(text: str, size: int) -> str:
    """One line of at most `size` characters, with an ellipsis when cut."""
    line = " ".join(text.split())
    return line if len(line) <= size else line[: size - 1].rstrip() + "…"


def _notice_id(raw: str | None) -> int | None:
    """A notice id from a button or typed text; None when it is not a plain number."""
    raw = (raw or "").strip().lstrip("#")
    return int(raw) if raw.isdigit() and len(raw) <= MAX_ID_DIGITS else None


def _when(notice: Notice) -> str:
    """Sent on (or scheduled for) which day, and whether it was re-sent or cancelled."""
    if notice.status == "cancelled":
        return t("notice_track.cancelled")
    day = sent_on(notice)
    if day is None:
        scheduled = dt.datetime.fromtimestamp(notice.send_at, BANGKOK).date()
        return t("notice_track.scheduled_on", date=official_date(scheduled))
    parts = [t("notice_track.sent_on", date=official_date(day))]
    if notice.status == "resend":
        parts.append(t("notice_track.resending"))
    elif notice.resends:
        parts.append(t("notice_track.resent", count=notice.resends))
    return " · ".join(parts)


def _counts_lines(notice: Notice, counts: notices.Counts) -> list[str]:
    """The counts line, once the notice has gone out (none while it is only scheduled)."""
    return [_counts_line(notice, counts)] if notice.queued_at is not None else []


def _counts_line(notice: Notice, counts: notices.Counts) -> str:
    """ส่งถึง x/y · ไม่ถึง u · รับทราบ a (+ held back by LINE's allowance, + still sending)."""
    line = t("notice_track.counts", delivered=counts.delivered, total=counts.total, unreachable=counts.unreachable)
    if notice.ack_required:
        line += t("notice_track.counts_ack", acknowledged=counts.acknowledged)
    else:
        line += t("notice_track.counts_no_ack")
    if counts.held:
        line += t("notice_track.counts_held", held=counts.held)
    if counts.waiting:
        line += t("notice_track.counts_waiting", waiting=counts.waiting)
    return line


@router.text(
    r"(?:ประกาศ|/?notices?)(?:\s+(.*))?", roles=ADMIN, menu="notice_track.menu", menu_order=75,
    menu_tap="ประกาศ", menu_command="notices", tile=False,
)
async def notices_command(turn: Turn, rest: str | None = None) -> None:
    """The latest notices with their counts, or one notice's detail when an id follows."""
    if rest and rest.strip():
        notice_id = _notice_id(rest)
        if notice_id is None:
            turn.reply("notice_track.not_found")
            return
        await _show(turn, notice_id)
        return
    latest = await notices.recent(LISTED)
    if not latest:
        turn.reply("notice_track.list_empty")
        return
    counts = await notices.counts([n.id for n in latest])
    blocks = [
        "\n".join((f"#{n.id} {_short(n.subject, SUBJECT_IN_LIST)}", _when(n), *_counts_lines(n, counts[n.id])))
        for n in latest
    ]
    blocks.append(t("notice_track.list_hint"))
    buttons = tuple(
        Button(
            t("notice_track.open_button", id=n.id, subject=_short(n.subject, SUBJECT_ON_BUTTON)),
            Action(OPEN, (str(n.id),)),
        )
        for n in latest
    )
    title = t("notice_track.list_title")
    turn.reply_raw(Reply(text="\n\n".join(blocks), buttons=buttons[: turn.can.max_buttons], title=title))


@router.action(OPEN, roles=ADMIN)
async def open_notice(turn: Turn, notice_id: str = "", *_: str) -> None:
    """A notice's button in the list: its detail."""
    found = _notice_id(notice_id)
    if found is None:
        turn.reply("notice_track.not_found")
        return
    await _show(turn, found)


def _pending_lines(pending: list[notices.Pending], room: int) -> list[str]:
    """Unit headings and names, as many as fit in `room` characters, then how many more."""
    lines: list[str] = []
    used, shown, unit = 0, 0, None
    reserve = len(t("notice_track.pending_more", count=len(pending))) + 1
    for person in pending:
        new: list[str] = []
        if person.unit != unit:
            new.append(f"▸ {person.unit or t('notice_track.no_unit')}")
        mark = t(MARKS[person.state]) if person.state in MARKS else ""
        new.append(f"• {person.name} ({person.employee_code}){mark}")
        cost = sum(len(line) + 1 for line in new)
        if used + cost + reserve > room:
            break
        lines.extend(new)
        used += cost
        shown += 1
        unit = person.unit
    if shown < len(pending):
        lines.append(t("notice_track.pending_more", count=len(pending) - shown))
    return lines


async def _show(turn: Turn, notice_id: int) -> None:
    """Counts, the reply deadline, who has not acknowledged by unit, and what can be done next."""
    found = await collect(notice_id)
    if found is None:
        turn.reply("notice_track.not_found")
        return
    notice, counts, listed = found.notice, found.counts, found.pending
    today = today_bangkok()
    head = header(notice)
    if notice.reply_by is not None and today > notice.reply_by:
        head += t("notice_track.deadline_passed")
    about = "\n".join([head, _when(notice), *_counts_lines(notice, counts)])
    if notice.queued_at is None:
        # Scheduled or cancelled before it went out: nobody to list yet.
        turn.reply_raw(Reply(text=about, title=t("notice_track.detail_title", id=notice_id)))
        return
    if notice.ack_required:
        title = t("notice_track.pending_header", count=len(listed)) if listed else t("notice_track.pending_none")
    else:
        title = t("notice_track.undelivered_header", count=len(listed)) if listed else t("notice_track.undelivered_none")
    hint = t("notice_track.line_no_files", id=notice_id) if turn.can.files == "none" and listed else ""
    # One message, and on LINE a card holds CARD_TEXT characters: the list takes what is left.
    room = min(turn.can.max_text, CARD_TEXT) - len(about) - len(title) - len(hint) - 6
    text = "\n".join([about, "", title, *_pending_lines(listed, room)])
    if hint:
        text += "\n\n" + hint
    buttons: list[Button] = []
    if turn.can.files != "none":
        buttons.append(Button(t("notice_track.export_button"), Action(EXPORT, (str(notice_id),))))
    if resend_refusal(notice, counts.total - counts.acknowledged, today) is None:
        buttons.append(Button(t("notice_track.resend_button"), Action(RESEND, (str(notice_id),))))
    turn.reply_raw(Reply(text=text, buttons=tuple(buttons), title=t("notice_track.detail_title", id=notice_id)))


@router.action(EXPORT, roles=ADMIN)
async def export_pending(turn: Turn, notice_id: str = "", *_: str) -> None:
    """The XLSX of who has not acknowledged, where the channel can carry files (LINE bots cannot)."""
    found = _notice_id(notice_id)
    if found is None or not await Notice.exists(id=found):
        turn.reply("notice_track.not_found")
        return
    if turn.can.files == "none":
        turn.reply("notice_track.line_no_files", id=found)
        return
    name = file_name(found)
    path = chat_reports_dir(turn.settings.data_dir) / name
    export = await build(found, path)
    assert export is not None  # checked above, in this same transaction
    logger.info("notice %s pending list built for staff %s", found, turn.person.id if turn.person else None)
    if turn.can.files == "local":
        turn.reply("notice_track.export_saved_at", name=name)  # never the server path
    turn.reply_raw(
        Reply(text=t("notice_track.export_ready", id=found, count=len(export.pending)), file_path=str(path), file_name=name)
    )


def _tell_refusal(turn: Turn, notice: Notice | None, refusal: str) -> None:
    """Say why the notice cannot be re-sent (ids only in the log)."""
    if notice is None or refusal == "not_found":
        turn.reply("notice_track.not_found")
        return
    logger.info("re-send of notice %s refused (%s) for staff %s", notice.id, refusal, turn.person.id if turn.person else None)
    date = official_date(notice.reply_by) if notice.reply_by else ""
    turn.reply(f"notice_track.resend_{refusal}", date=date, id=notice.id)


@router.action(RESEND, roles=ADMIN)
async def ask_resend(turn: Turn, notice_id: str = "", *_: str) -> None:
    """First step of a re-send: say to how many it goes, and ask to confirm."""
    found = _notice_id(notice_id)
    notice = await notices.get(found) if found is not None else None
    if notice is None:
        _tell_refusal(turn, None, "not_found")
        return
    counts = (await notices.counts([notice.id]))[notice.id]
    waiting = counts.total - counts.acknowledged
    refusal = resend_refusal(notice, waiting, today_bangkok())
    if refusal is not None:
        _tell_refusal(turn, notice, refusal)
        return
    turn.reply(
        "notice_track.resend_confirm", id=notice.id, subject=_short(notice.subject, SUBJECT_IN_LIST), count=waiting,
        buttons=(
            # The count of earlier re-sends makes the confirmation good for one re-send only.
            Button(t("notice_track.resend_yes"), Action(RESEND_OK, (str(notice.id), str(notice.resends)))),
            Button(t("notice_track.resend_no"), Action(RESEND_NO, (str(notice.id),))),
        ),
    )


@router.action(RESEND_OK, roles=ADMIN)
async def confirm_resend(turn: Turn, notice_id: str = "", resends_seen: str = "", *_: str) -> None:
    """Confirmed: mark the notice for re-sending (checked again: the button may be old) and wake the queue."""
    found = _notice_id(notice_id)
    notice = await notices.get(found) if found is not None else None
    seen = _notice_id(resends_seen)
    if notice is None or seen is None:
        _tell_refusal(turn, None, "not_found")
        return
    now = turn.incoming.received_at or time.time()
    outcome = await request_resend(notice.id, now, today_bangkok(), seen)
    if outcome != "requested":
        _tell_refusal(turn, notice, outcome)
        return
    waiting = len(await notices.waiting_ids(notice.id))
    logger.info("re-send of notice %s asked by staff %s", notice.id, turn.person.id if turn.person else None)
    turn.signal("notices")
    turn.reply("notice_track.resend_requested", id=notice.id, count=waiting)


@router.action(RESEND_NO, roles=ADMIN)
async def keep_resend(turn: Turn, notice_id: str = "", *_: str) -> None:
    """The admin chose not to re-send."""
    turn.reply("notice_track.resend_kept")
