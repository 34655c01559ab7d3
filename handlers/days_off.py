"""Admins keep the agency's days off, on top of weekends and Thailand's public holidays.

Days off are not working days for the approval escalation, and digests are not sent on them.
Typed forms (documented in the usage text):
    วันหยุด
    วันหยุด เพิ่ม 16 เม.ย. 2570 วันหยุดจังหวัด      (or 2570-04-16)
    วันหยุด ลบ 16 เม.ย. 2570
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from bot.events import Reply
from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from fiscal.calendar import today_bangkok
from fiscal.days_off import DaysOff
from fiscal.thai_dates import official_date
from handlers.certificates import parse_date
from storage import days_off

logger = logging.getLogger(__name__)
router = Router("days_off")

PUBLIC_SHOWN = 5
MAX_NAME = 100
# A typo in the year ("2507") must not file a day off decades away: a year back, two ahead.
PAST_DAYS, FUTURE_DAYS = 366, 2 * 366

# An ISO date (BE or CE year) or a Thai one ("16 เม.ย. 2570", "16 เมษายน 70"), then the name.
_DATE = r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\s*[^\s\d]+\s*\d{2,4}"
_ADD = re.compile(rf"(?:เพิ่ม|add)\s+({_DATE})(?:\s+(.+))?", re.IGNORECASE)
_REMOVE = re.compile(rf"(?:ลบ|remove)\s+({_DATE})", re.IGNORECASE)


def _day_in_range(turn: Turn, text: str) -> dt.date | None:
    """The typed date, or None after telling the admin what is wrong with it."""
    day = parse_date(text)
    if day is None:
        turn.reply("days_off.bad_date", text=text)
        turn.reply("days_off.usage")
        return None
    today = today_bangkok()
    start, end = today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=FUTURE_DAYS)
    if not start <= day <= end:
        turn.reply("days_off.out_of_range", start=official_date(start), end=official_date(end))
        return None
    return day


def _item(day: dt.date, name: str) -> str:
    """One line of a list: "• 16 เม.ย. 2570 วันหยุดจังหวัด"."""
    return f"• {official_date(day)} {name}"


def _reason(calendar: DaysOff, day: dt.date) -> str:
    """Why `day` is already a day off: the public holiday's name, or the weekend."""
    return calendar.holiday_name(day) or t("days_off.weekend")


@router.text(r"(?:/?daysoff|วันหยุด)(?:\s+(.*))?", roles=("admin",))
async def days_off_command(turn: Turn, rest: str | None = None) -> None:
    """Admins: list the coming days off, add an agency day off, or remove one."""
    rest = (rest or "").strip()
    if not rest:
        await _list(turn)
        return
    if found := _ADD.fullmatch(rest):
        await _add(turn, found.group(1), (found.group(2) or "").strip())
        return
    if found := _REMOVE.fullmatch(rest):
        await _remove(turn, found.group(1))
        return
    turn.reply("days_off.usage")


async def _list(turn: Turn) -> None:
    today = today_bangkok()
    agency = await days_off.upcoming(today)
    calendar = await days_off.calendar()
    lines = [t("days_off.agency_header")]
    lines += [_item(d.day, d.name) for d in agency]
    if not agency:
        lines.append(t("days_off.agency_none"))
    lines.append(t("days_off.public_header"))
    lines += [_item(day, name) for day, name in calendar.next_public_holidays(today, PUBLIC_SHOWN)]
    turn.reply_raw(Reply(text="\n".join(lines)))
    turn.reply("days_off.usage")


async def _add(turn: Turn, date_text: str, name: str) -> None:
    if not name:
        turn.reply("days_off.name_missing")
        turn.reply("days_off.usage")
        return
    if len(name) > MAX_NAME:
        turn.reply("days_off.name_too_long", max=MAX_NAME)
        return
    day = _day_in_range(turn, date_text)
    if day is None:
        return
    calendar = await days_off.calendar()
    if day not in calendar.agency and calendar.is_day_off(day):
        turn.reply("days_off.already_off", date=official_date(day), reason=_reason(calendar, day))
        return
    created = await days_off.add(day, name, by=turn.person)
    logger.info("agency day off %s %s by staff %s", day, "added" if created else "renamed", turn.person.id if turn.person else None)
    turn.reply("days_off.added" if created else "days_off.renamed", date=official_date(day), name=name)


async def _remove(turn: Turn, date_text: str) -> None:
    day = _day_in_range(turn, date_text)
    if day is None:
        return
    calendar = await days_off.calendar()
    name = calendar.agency.get(day)
    if name is None or not await days_off.remove(day):
        if calendar.is_day_off(day):
            turn.reply("days_off.not_removable", date=official_date(day), reason=_reason(calendar, day))
        else:
            turn.reply("days_off.not_found", date=official_date(day))
        return
    logger.info("agency day off %s removed by staff %s", day, turn.person.id if turn.person else None)
    turn.reply("days_off.removed", date=official_date(day), name=name)
