"""Admins: the agency summary in chat and the yearly report file (XLSX) sent to the chat."""

from __future__ import annotations

import logging
import re

from bot.events import Reply
from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from fiscal.calendar import fiscal_year_of, today_bangkok
from reports.data import GroupRow, collect
from reports.files import build, chat_reports_dir, file_name
from reports.tables import period_label

logger = logging.getLogger(__name__)
router = Router("reports", roles=("admin",))

SUMMARY_UNITS = 15  # a chat message stays readable; the file has every unit


def _period(rest: str | None) -> tuple[int, int | None] | None:
    """ "2570", "2570 รอบ 1", or nothing (this fiscal year); None when unreadable."""
    rest = (rest or "").strip()
    if not rest:
        return fiscal_year_of(today_bangkok()), None
    found = re.fullmatch(r"(25\d\d)(?:\s*รอบ(?:ที่)?\s*([12]))?", rest)
    if not found:
        return None
    return int(found.group(1)), int(found.group(2)) if found.group(2) else None


def _asked_period(turn: Turn, rest: str | None) -> tuple[int, int | None] | None:
    """The requested period, if the text names a valid one (else answers)."""
    period = _period(rest)
    if period is None:
        turn.reply("report.bad_year")
    return period


@router.text(
    r"(?:สรุปหน่วยงาน|/?summary)(?:\s+(.*))?", menu="richmenu.unit_summary", menu_order=60,
    menu_tap="สรุปหน่วยงาน", menu_command="summary",
)
async def agency_summary(turn: Turn, rest: str | None = None) -> None:
    """Staff counted, % met, % with nothing, by unit (least met first) and by category."""
    period = _asked_period(turn, rest)
    if period is None:
        return
    report = await collect(*period, with_certificates=False)
    total, pct = report.total, GroupRow.percent
    lines = [
        t(
            "report.summary", staff=total.staff, developed=total.developed, developed_pct=pct(total.developed, total.staff),
            met=total.met, met_pct=pct(total.met, total.staff), none=total.staff - total.developed,
            none_pct=pct(total.staff - total.developed, total.staff), digital=total.digital,
            digital_pct=pct(total.digital, total.staff),
        ),
        t("report.by_unit"),
    ]
    units = sorted(report.units, key=lambda u: (pct(u.met, u.staff), u.label))
    for unit in units[:SUMMARY_UNITS]:
        lines.append(
            t("report.unit_item", unit=unit.label, met=unit.met, staff=unit.staff, pct=pct(unit.met, unit.staff), none=unit.staff - unit.developed)
        )
    if len(units) > SUMMARY_UNITS:
        lines.append(t("report.more_units", count=len(units) - SUMMARY_UNITS))
    lines.append(t("report.by_category"))
    for category, (people, courses) in report.categories.items():
        lines.append(t("report.category_item", category=category or t("report.category_other"), people=people, courses=courses))
    turn.reply_raw(Reply(text="\n".join(lines), title=t("report.summary_title", period=period_label(report))))


@router.text(
    r"(?:รายงาน|/?report)(?:\s+(.*))?", menu="richmenu.report", menu_order=70, menu_tap="รายงาน", menu_command="report"
)
async def report_file(turn: Turn, rest: str | None = None) -> None:
    """Build the XLSX report and send it where the channel can carry files (LINE bots cannot)."""
    period = _asked_period(turn, rest)
    if period is None:
        return
    fy, rnd = period
    label = f" ปีงบประมาณ {fy}" + (f" รอบที่ {rnd}" if rnd else "")
    if turn.can.files == "none":
        turn.reply("report.line_no_files", period=label, fy=fy)
        return
    name = file_name(fy, rnd)
    path = chat_reports_dir(turn.settings.data_dir) / name
    report, _ = await build(fy, rnd, path)
    logger.info("report FY %s round %s built for staff %s", fy, rnd, turn.person.id if turn.person else None)
    if turn.can.files == "local":
        turn.reply("report.saved_at", period=label, name=name)  # never the server path
    turn.reply_raw(
        Reply(
            text=t("report.ready", period=label, staff=report.total.staff, certificates=len(report.certificates)),
            file_path=str(path),
            file_name=name,
        )
    )
