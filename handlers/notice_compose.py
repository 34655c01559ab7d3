"""`ส่งหนังสือเวียน`: an admin composes a circular notice step by step, sees what recipients will get, and confirms.

The draft lives in the admin's conversation state (JSON-safe, nothing in the database)
until the confirm button: only then is a `Notice` written, and the queueing job is
woken. Every button carries the draft's random token and is checked against the
state it belongs to, so a button from an earlier draft, a confirm pressed twice or
a replayed press changes nothing; and every route is for admins only (the router's
roles), checked on the server for each typed step and each press.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time
from typing import Any
from zoneinfo import ZoneInfo

from bot.events import Action, Button, Reply
from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from fiscal.calendar import today_bangkok
from fiscal.thai_dates import official_date
from handlers.certificates import parse_date
from handlers.notice_card import notice_replies
from handlers.notice_preview import (
    ATTACHMENT_KINDS, MAX_ATTACHMENTS, Preview, UnitChoice, attachment_kind, draft_notice, preview, unit_choices,
)
from storage import notices

logger = logging.getLogger(__name__)
router = Router("notice_compose", roles=("admin",))

MAX_SUBJECT = 300
MAX_DOC_NO = 100
MAX_BODY = 4000
UNITS_PER_PAGE = 8
SNIFF_BYTES = 1024

# One conversation state for the whole draft; which step it is at is part of its data.
DRAFT = "notice.draft"
SUBJECT, DOC_NO, REPLY_BY, BODY, ATTACH = "subject", "doc", "reply", "body", "attach"
AUDIENCE, UNITS, CODES, ACK, WHEN, PREVIEW = "audience", "units", "codes", "ack", "when", "preview"
STEPS = (SUBJECT, DOC_NO, REPLY_BY, BODY, ATTACH, AUDIENCE, UNITS, CODES, ACK, WHEN, PREVIEW)
SIMPLE_AUDIENCES = ("all", "supervisors", "behind")
AUDIENCE_ORDER = ("all", "units", "supervisors", "behind", "codes")
DONE_WORDS = ("ไม่มี", "เสร็จแล้ว", "ไม่มี/เสร็จแล้ว", "เสร็จ")
_CLOCK = re.compile(r"(?:เวลา\s*)?(\d{1,2})[:.](\d{2})\s*(?:น\.?)?$")


# --- the draft --------------------------------------------------------------------------------------


def _button(key: str, name: str, token: str, *args: str) -> Button:
    return Button(t(f"notice_compose.{key}"), Action(name, (token, *args)))


def _cancel(token: str) -> Button:
    return _button("btn_cancel", "nc.x", token)


def _draft(turn: Turn, token: str, *steps: str) -> dict[str, Any] | None:
    """The draft a button belongs to, if it is the one being composed and at the step the button is for."""
    data = turn.state.data
    if turn.state.name == DRAFT and data.get("step") in (steps or STEPS) and token and data.get("token") == token:
        return dict(data)
    turn.reply("notice_compose.stale")
    return None


def _step(turn: Turn) -> str:
    return str(turn.state.data.get("step") or SUBJECT)


def _keep(turn: Turn, draft: dict[str, Any]) -> None:
    """Save the draft, at the step it is at."""
    turn.state.set(DRAFT, **draft)


def _zone(turn: Turn) -> ZoneInfo:
    return ZoneInfo(turn.settings.tz)


def _moment(ts: float, zone: ZoneInfo) -> str:
    """ "15 ม.ค. 2570 09:00 น." in Bangkok time."""
    local = dt.datetime.fromtimestamp(ts, zone)
    return f"{official_date(local.date())} {local:%H:%M} น."


def _go(turn: Turn, draft: dict[str, Any], step: str, *, notice: str | None = None) -> None:
    """Move the draft to `step` and ask for what that step needs."""
    _keep(turn, {**draft, "step": step})
    _ask(turn, draft, step, notice=notice)


def _ask(turn: Turn, draft: dict[str, Any], state: str, *, notice: str | None = None) -> None:
    token = draft["token"]
    lines = [notice] if notice else []
    buttons: list[Button] = []
    if state == SUBJECT:
        lines.append(t("notice_compose.ask_subject", limit=MAX_SUBJECT))
    elif state == DOC_NO:
        lines.append(t("notice_compose.ask_doc_no"))
        buttons.append(_button("btn_skip", "nc.skip", token, "doc"))
    elif state == REPLY_BY:
        lines.append(t("notice_compose.ask_reply_by"))
        buttons.append(_button("btn_skip", "nc.skip", token, "reply"))
    elif state == BODY:
        lines.append(t("notice_compose.ask_body", limit=MAX_BODY))
    elif state == ATTACH:
        lines.append(t("notice_compose.ask_attach", max=MAX_ATTACHMENTS))
        buttons.append(_button("btn_attach_done", "nc.done", token))
    elif state == AUDIENCE:
        lines.append(t("notice_compose.ask_audience"))
        buttons += [_button(f"btn_{kind}", "nc.aud", token, kind) for kind in AUDIENCE_ORDER]
    elif state == CODES:
        lines.append(t("notice_compose.ask_codes"))
    elif state == ACK:
        lines.append(t("notice_compose.ask_ack"))
        buttons += [_button("btn_ack", "nc.ack", token, "1"), _button("btn_no_ack", "nc.ack", token, "0")]
    elif state == WHEN:
        quiet = turn.settings.quiet_hours or "-"
        urgent = t("notice_compose.urgent_on" if draft.get("urgent") else "notice_compose.urgent_off")
        lines.append(t("notice_compose.ask_when", quiet=quiet, urgent=urgent))
        buttons.append(_button("btn_now", "nc.now", token))
        buttons.append(_button("btn_urgent_off" if draft.get("urgent") else "btn_urgent_on", "nc.urg", token))
    turn.reply_raw(Reply("\n".join(lines), buttons=(*buttons, _cancel(token)), title=t("notice_compose.title")))


@router.command("ส่งหนังสือเวียน", "broadcast", menu="notice_compose.menu", menu_order=75, tile=False)
async def start(turn: Turn) -> None:
    """Begin a new draft (an earlier unfinished one is dropped)."""
    _go(turn, {"token": secrets.token_hex(4), "attachments": [], "urgent": False}, SUBJECT)


@router.action("nc.x")
async def cancel(turn: Turn, token: str = "", *_: str) -> None:
    """The ยกเลิก button: drop the draft (typing ยกเลิก works too: it is a global command)."""
    if _draft(turn, token) is None:
        return
    turn.state.clear()
    turn.reply("common.cancelled")


@router.action("nc.edit")
async def start_over(turn: Turn, token: str = "", *_: str) -> None:
    """แก้ไข: compose again from the first step, with a new token (the old preview's buttons go stale)."""
    if _draft(turn, token, PREVIEW) is None:
        return
    await start(turn)


# --- content ----------------------------------------------------------------------------------------


async def take_subject(turn: Turn, text: str) -> None:
    """เรื่อง."""
    draft, subject = dict(turn.state.data), " ".join(text.split())
    if not subject:
        _ask(turn, draft, SUBJECT)
    elif len(subject) > MAX_SUBJECT:
        turn.reply("notice_compose.too_long", length=len(subject), limit=MAX_SUBJECT)
    else:
        _go(turn, {**draft, "subject": subject}, DOC_NO)


async def take_doc_no(turn: Turn, text: str) -> None:
    """ที่ … (the document number)."""
    draft, doc_no = dict(turn.state.data), " ".join(text.split())
    if len(doc_no) > MAX_DOC_NO:
        turn.reply("notice_compose.too_long", length=len(doc_no), limit=MAX_DOC_NO)
        return
    _go(turn, {**draft, "doc_no": doc_no or None}, REPLY_BY)


@router.action("nc.skip")
async def skip(turn: Turn, token: str = "", step: str = "", *_: str) -> None:
    """ข้าม: no document number, or no reply deadline."""
    state = {"doc": DOC_NO, "reply": REPLY_BY}.get(step)
    draft = _draft(turn, token, state) if state else _draft(turn, "")
    if draft is None:
        return
    _go(turn, draft, REPLY_BY if state == DOC_NO else BODY)


async def take_reply_by(turn: Turn, text: str) -> None:
    """The reply deadline: a Thai or ISO date, today or later."""
    draft, day = dict(turn.state.data), parse_date(text)
    if day is None:
        turn.reply("notice_compose.bad_date")
    elif day < today_bangkok():
        turn.reply("notice_compose.past_date", date=official_date(day))
    else:
        _go(turn, {**draft, "reply_by": day.isoformat()}, BODY)


async def take_body(turn: Turn, text: str) -> None:
    """The body, as typed (line breaks kept)."""
    draft, body = dict(turn.state.data), text.strip()
    if not body:
        _ask(turn, draft, BODY)
    elif len(body) > MAX_BODY:
        turn.reply("notice_compose.body_too_long", length=len(body), limit=MAX_BODY)
    else:
        _go(turn, {**draft, "body": body}, ATTACH)


async def take_attachment(turn: Turn) -> None:
    """A PDF or picture to send with the notice (already in the file store)."""
    draft, ref = dict(turn.state.data), turn.incoming.file
    assert ref is not None
    if turn.file_error == "too_large":
        turn.reply("notice_compose.attach_too_large", limit=turn.settings.max_upload_bytes // (1024 * 1024))
        return
    if turn.file is None:
        turn.reply("notice_compose.attach_failed")
        return
    kind = attachment_kind(await turn.file.head(SNIFF_BYTES))
    if kind is None:
        turn.reply("notice_compose.attach_wrong_type")
        return
    attachments = list(draft.get("attachments") or [])
    name = ref.name or t("notice_compose.picture_name", number=len(attachments) + 1, ext="jpg" if kind == "jpeg" else kind)
    attachments.append({"sha256": turn.file.sha256, "name": name, "mime": ATTACHMENT_KINDS[kind], "size": turn.file.size})
    draft["attachments"] = attachments
    logger.info("notice draft of staff %s: attachment %d added", turn.person.id if turn.person else None, len(attachments))
    if len(attachments) >= MAX_ATTACHMENTS:
        _go(turn, draft, AUDIENCE, notice=t("notice_compose.attach_full", name=name, max=MAX_ATTACHMENTS))
        return
    _keep(turn, draft)
    turn.reply(
        "notice_compose.attached", name=name, count=len(attachments), max=MAX_ATTACHMENTS,
        buttons=(_button("btn_attach_done", "nc.done", draft["token"]), _cancel(draft["token"])),
    )



async def attach_text(turn: Turn, text: str) -> None:
    """Typing ไม่มี / เสร็จแล้ว moves on; anything else is a reminder of what this step wants."""
    draft = dict(turn.state.data)
    if text.strip() in DONE_WORDS:
        _go(turn, draft, AUDIENCE)
    else:
        _ask(turn, draft, ATTACH)


@router.action("nc.done")
async def attachments_done(turn: Turn, token: str = "", *_: str) -> None:
    """ไม่มี/เสร็จแล้ว."""
    draft = _draft(turn, token, ATTACH)
    if draft is not None:
        _go(turn, draft, AUDIENCE)


@router.file(state=DRAFT)
async def take_file(turn: Turn) -> None:
    """A file while composing: an attachment at that step; at another it is not taken as a certificate either."""
    if _step(turn) == ATTACH:
        await take_attachment(turn)
        return
    turn.reply("notice_compose.file_not_now")
    _ask(turn, dict(turn.state.data), _step(turn))


# --- audience ---------------------------------------------------------------------------------------


@router.action("nc.aud")
async def choose_audience(turn: Turn, token: str = "", kind: str = "", *_: str) -> None:
    """ทุกคน / เลือกหน่วยงาน / เฉพาะหัวหน้า / ผู้ที่ยังไม่ครบเป้า / รายชื่อรหัสพนักงาน."""
    draft = _draft(turn, token, AUDIENCE)
    if draft is None:
        return
    if kind in SIMPLE_AUDIENCES:
        _go(turn, {**draft, "audience": {"kind": kind}}, ACK)
    elif kind == "units":
        units = await unit_choices()
        if not units:
            turn.reply("notice_compose.no_units")
            return
        draft.update(picked=[], page=0, step=UNITS)
        _keep(turn, draft)
        _ask_units(turn, draft, units)
    elif kind == "codes":
        _go(turn, draft, CODES)
    else:
        turn.reply("notice_compose.stale")


def _ask_units(turn: Turn, draft: dict[str, Any], units: list[UnitChoice]) -> None:
    """A page of the unit tree as toggles, with the picked ones named in the text."""
    token, picked = draft["token"], set(draft.get("picked") or [])
    page_size = max(1, min(UNITS_PER_PAGE, turn.can.max_buttons - 4))
    pages = max(1, -(-len(units) // page_size))
    page = draft.get("page", 0) % pages
    chosen = ", ".join(u.path for u in units if u.id in picked) or t("notice_compose.units_none")
    buttons = [
        Button(("✓ " if u.id in picked else "") + u.name, Action("nc.u", (token, str(u.id))))
        for u in units[page * page_size : (page + 1) * page_size]
    ]
    if pages > 1:
        buttons.append(_button("btn_more_units", "nc.up", token, str((page + 1) % pages)))
    buttons += [_button("btn_with_sub", "nc.uok", token, "1"), _button("btn_without_sub", "nc.uok", token, "0")]
    text = t("notice_compose.ask_units", chosen=chosen, page=page + 1, pages=pages)
    turn.reply_raw(Reply(text, buttons=(*buttons, _cancel(token)), title=t("notice_compose.title")))


@router.action("nc.u")
async def toggle_unit(turn: Turn, token: str = "", unit_id: str = "", *_: str) -> None:
    """Pick or unpick one unit."""
    draft = _draft(turn, token, UNITS)
    if draft is None:
        return
    units = await unit_choices()
    if not unit_id.isdigit() or int(unit_id) not in {u.id for u in units}:
        turn.reply("notice_compose.stale")
        return
    picked = list(draft.get("picked") or [])
    picked = [u for u in picked if u != int(unit_id)] if int(unit_id) in picked else [*picked, int(unit_id)]
    draft["picked"] = picked
    _keep(turn, draft)
    _ask_units(turn, draft, units)


@router.action("nc.up")
async def next_units(turn: Turn, token: str = "", page: str = "", *_: str) -> None:
    """The next page of units."""
    draft = _draft(turn, token, UNITS)
    if draft is None:
        return
    draft["page"] = int(page) if page.isdigit() else 0
    _keep(turn, draft)
    _ask_units(turn, draft, await unit_choices())


@router.action("nc.uok")
async def units_done(turn: Turn, token: str = "", subunits: str = "", *_: str) -> None:
    """The picked units, with or without the units below them."""
    draft = _draft(turn, token, UNITS)
    if draft is None:
        return
    picked = list(draft.pop("picked", None) or [])
    draft.pop("page", None)
    if not picked:
        turn.reply("notice_compose.units_pick_first")
        return
    _go(turn, {**draft, "audience": {"kind": "units", "units": picked, "subunits": subunits == "1"}}, ACK)


async def take_codes(turn: Turn, text: str) -> None:
    """Employee codes, comma or space separated; unknown ones are listed back."""
    draft = dict(turn.state.data)
    codes = list(dict.fromkeys(c for c in re.split(r"[\s,;]+", text.strip()) if c))[: notices.MAX_CODES]
    found = await notices.resolve({"kind": "codes", "codes": codes}, today_bangkok())
    known = [c for c in codes if c not in found.unknown_codes]
    if not known:
        turn.reply("notice_compose.codes_none")
        return
    notice = t("notice_compose.codes_unknown", codes=", ".join(found.unknown_codes[:20])) if found.unknown_codes else None
    _go(turn, {**draft, "audience": {"kind": "codes", "codes": known}}, ACK, notice=notice)


async def press_a_button(turn: Turn, text: str) -> None:
    """Typed text where a choice is wanted: show the choices again."""
    draft = dict(turn.state.data)
    turn.reply("notice_compose.press_button")
    if _step(turn) == UNITS:
        _ask_units(turn, draft, await unit_choices())
    elif _step(turn) == PREVIEW:
        await _show_summary(turn, draft)
    else:
        _ask(turn, draft, _step(turn))


# --- acknowledgement, time, preview, confirmation ------------------------------------------------------


@router.action("nc.ack")
async def choose_ack(turn: Turn, token: str = "", required: str = "", *_: str) -> None:
    """ต้องกดรับทราบ / ไม่ต้อง."""
    draft = _draft(turn, token, ACK)
    if draft is not None:
        _go(turn, {**draft, "ack": required == "1"}, WHEN)


def parse_when(text: str, zone: ZoneInfo) -> dt.datetime | None:
    """ "15 ม.ค. 2570 09:00", "2027-01-15 09:00" or an ISO moment, in Bangkok time unless it says otherwise."""
    text = text.strip()
    if ":" in text:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    found = _CLOCK.search(text)
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2))
    day = parse_date(text[: found.start()].strip())
    if day is None or hour > 23 or minute > 59:
        return None
    return dt.datetime.combine(day, dt.time(hour, minute), zone)


@router.action("nc.now")
async def send_now(turn: Turn, token: str = "", *_: str) -> None:
    """ส่งทันที."""
    draft = _draft(turn, token, WHEN)
    if draft is not None:
        await _show_preview(turn, {**draft, "send_at": None})


async def take_when(turn: Turn, text: str) -> None:
    """A typed date and time to send at."""
    draft = dict(turn.state.data)
    moment = parse_when(text, _zone(turn))
    if moment is None:
        turn.reply("notice_compose.bad_when")
    elif moment.timestamp() <= time.time():
        turn.reply("notice_compose.past_when")
    else:
        await _show_preview(turn, {**draft, "send_at": moment.timestamp()})


@router.action("nc.urg")
async def toggle_urgent(turn: Turn, token: str = "", *_: str) -> None:
    """ด่วน: send inside quiet hours too (at the time step, or from the preview)."""
    draft = _draft(turn, token, WHEN, PREVIEW)
    if draft is None:
        return
    draft["urgent"] = not draft.get("urgent")
    if draft["step"] == PREVIEW:
        _keep(turn, draft)
        await _show_summary(turn, draft)
    else:
        _go(turn, draft, WHEN)


def _notice_of(draft: dict[str, Any]) -> Any:
    return draft_notice(
        subject=draft["subject"], body=draft["body"], doc_no=draft.get("doc_no"),
        reply_by=dt.date.fromisoformat(draft["reply_by"]) if draft.get("reply_by") else None,
        attachments=draft.get("attachments") or [], audience=draft["audience"], ack_required=bool(draft.get("ack")),
        urgent=bool(draft.get("urgent")), line_overflow=draft.get("overflow") or "telegram",
        send_at=draft.get("send_at") or 0.0,
    )


async def _facts(turn: Turn, draft: dict[str, Any]) -> Preview:
    return await preview(
        _notice_of(draft), turn.out, quiet=turn.settings.quiet_span, zone=_zone(turn), now=dt.datetime.now(dt.UTC)
    )


async def _show_preview(turn: Turn, draft: dict[str, Any]) -> None:
    """Exactly what a recipient on the admin's channel will get, then the summary to confirm on."""
    draft = {**draft, "step": PREVIEW}
    _keep(turn, draft)
    turn.reply("notice_compose.preview_intro")
    for reply in notice_replies(_notice_of(draft), turn.can):
        turn.reply_raw(reply)
    await _show_summary(turn, draft)


async def _audience_text(audience: dict[str, Any]) -> str:
    kind = audience.get("kind")
    if kind == "units":
        picked = set(audience.get("units") or [])
        names = ", ".join(u.path for u in await unit_choices() if u.id in picked)
        key = "notice_compose.aud_units_sub" if audience.get("subunits") else "notice_compose.aud_units"
        return t(key, units=names)
    if kind == "codes":
        return t("notice_compose.aud_codes", count=len(audience.get("codes") or []))
    return t(f"notice_compose.btn_{kind}")


def summary_lines(facts: Preview, draft: dict[str, Any], zone: ZoneInfo, quiet_hours: str) -> list[str]:
    """The preview's facts in Thai (people per channel, unreachable, LINE cost, timing)."""
    lines = [t("notice_compose.sum_people", people=facts.people)]
    lines.append(t("notice_compose.sum_channels", line=facts.on["line"], telegram=facts.on["telegram"]))
    if facts.on.get("sim"):
        lines.append(t("notice_compose.sum_sim", sim=facts.on["sim"]))
    if facts.unreachable:
        names = ", ".join(facts.unreachable_names)
        more = t("notice_compose.sum_more", count=facts.unreachable_more) if facts.unreachable_more else ""
        lines.append(t("notice_compose.sum_unreachable", count=facts.unreachable, names=names, more=more))
    else:
        lines.append(t("notice_compose.sum_all_reached"))
    if facts.unknown_codes:
        lines.append(t("notice_compose.codes_unknown", codes=", ".join(facts.unknown_codes[:20])))
    cost = {"messages": facts.line_messages, "people": facts.line_people, "requests": facts.line_requests}
    if not facts.allowance.known:
        lines.append(t("notice_compose.sum_line_unknown", **cost))
    elif facts.allowance.left is None:
        lines.append(t("notice_compose.sum_line_unlimited", **cost))
    else:
        lines.append(t("notice_compose.sum_line", left=facts.allowance.left, **cost))
        if facts.short:
            lines.append(t(
                "notice_compose.sum_line_short", missing=facts.line_messages - facts.allowance.left,
                both=facts.line_and_telegram,
            ))
            if draft.get("overflow"):
                lines.append(t(f"notice_compose.overflow_{draft['overflow']}"))
    lines.append(t("notice_compose.sum_ack_yes" if draft.get("ack") else "notice_compose.sum_ack_no"))
    if draft.get("attachments"):
        lines.append(t("notice_compose.sum_attachments", count=len(draft["attachments"])))
    if draft.get("send_at"):
        lines.append(t("notice_compose.sum_at", when=_moment(facts.send_at, zone)))
    else:
        lines.append(t("notice_compose.sum_now"))
    if facts.release_at:
        lines.append(t("notice_compose.sum_quiet", quiet=quiet_hours, release=_moment(facts.release_at, zone)))
    elif draft.get("urgent"):
        lines.append(t("notice_compose.sum_urgent"))
    return lines


async def _show_summary(turn: Turn, draft: dict[str, Any]) -> None:
    facts = await _facts(turn, draft)
    token = draft["token"]
    lines = [t("notice_compose.sum_audience", audience=await _audience_text(draft["audience"]))]
    lines += summary_lines(facts, draft, _zone(turn), turn.settings.quiet_hours)
    buttons: list[Button] = []
    if facts.short and not draft.get("overflow"):
        buttons += [_button("btn_overflow_telegram", "nc.ovf", token, "telegram"), _button("btn_overflow_stop", "nc.ovf", token, "stop")]
    elif facts.people:
        buttons.append(_button("btn_confirm", "nc.ok", token))
    if facts.release_at or draft.get("urgent"):
        buttons.append(_button("btn_urgent_off" if draft.get("urgent") else "btn_urgent_on", "nc.urg", token))
    buttons += [_button("btn_edit", "nc.edit", token), _cancel(token)]
    if not facts.people:
        lines.append(t("notice_compose.nobody"))
    turn.reply_raw(Reply("\n".join(lines), buttons=tuple(buttons), title=t("notice_compose.summary_title")))


@router.action("nc.ovf")
async def choose_overflow(turn: Turn, token: str = "", choice: str = "", *_: str) -> None:
    """What happens when LINE's allowance runs out: Telegram for those on both, or stop and report."""
    draft = _draft(turn, token, PREVIEW)
    if draft is None:
        return
    if choice not in ("telegram", "stop"):
        turn.reply("notice_compose.stale")
        return
    draft["overflow"] = choice
    _keep(turn, draft)
    await _show_summary(turn, draft)


@router.action("nc.ok")
async def confirm(turn: Turn, token: str = "", *_: str) -> None:
    """ยืนยันส่ง: write the notice (once: the draft's token goes with the state) and wake the queueing job."""
    draft = _draft(turn, token, PREVIEW)
    if draft is None:
        return
    facts = await _facts(turn, draft)
    if not facts.people or (facts.short and not draft.get("overflow")):
        await _show_summary(turn, draft)
        return
    assert turn.person is not None
    notice = _notice_of(draft)
    created = await notices.create(
        subject=notice.subject, body=notice.body, audience=notice.audience, created_by=turn.person.id,
        send_at=draft.get("send_at") or time.time(), doc_no=notice.doc_no, reply_by=notice.reply_by,
        attachments=notice.attachments, ack_required=notice.ack_required, urgent=notice.urgent,
        line_overflow=notice.line_overflow,
    )
    turn.state.clear()
    logger.info("notice %s created by staff %s for %d people", created.id, turn.person.id, facts.people)
    when = _moment(facts.goes_at, _zone(turn)) if draft.get("send_at") or facts.release_at else t("notice_compose.now")
    turn.reply("notice_compose.created", id=created.id, people=facts.people, when=when)
    turn.signal("notices")


@router.text(state=DRAFT)
async def take_text(turn: Turn, text: str) -> None:
    """Typed text while composing: what the current step asks for."""
    by_step = {
        SUBJECT: take_subject, DOC_NO: take_doc_no, REPLY_BY: take_reply_by, BODY: take_body, ATTACH: attach_text,
        CODES: take_codes, WHEN: take_when,
    }
    await by_step.get(_step(turn), press_a_button)(turn, text)
