"""Admins set targets and round deadlines by chat; supervisors assign required courses.

Typed forms (documented in the help text):
    เป้าหมาย 2570 3 หลักสูตร หรือ 10 วัน
    เป้าหมาย 2570 กลุ่ม แรกบรรจุ รอบ 1 2 หลักสูตร และ 18 ชม. วันละ 6 ชม.
    กำหนดส่ง 2570 รอบ 1 25 มี.ค. 2570
    กำหนดหลักสูตร E005 ดิจิทัล
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rapidfuzz import fuzz, process
from tortoise.expressions import Q

from bot.events import Action, Button, Reply
from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from fiscal.calendar import assessment_round, fiscal_year_of, today_bangkok
from fiscal.thai_dates import official_date
from handlers.certificates import parse_date
from handlers.progress import goal_text
from storage import targets
from storage.models import Course, RequiredCourse, Staff
from storage.targets import DEFAULT_HOURS_PER_DAY, Goal

logger = logging.getLogger(__name__)
router = Router("targets")

MAX_CHOICES = 8
_NUMBER = r"(\d+(?:\.\d+)?)"
_HOURS_WORD = r"(?:ชม\.?|ชั่วโมง)"


class TargetTextError(ValueError):
    """A typed target the bot cannot read; the message is a catalog key."""


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A target as typed by an admin."""

    fiscal_year: int
    target_group: str
    round: int
    min_courses: int | None
    min_hours: Decimal | None
    hours_per_day: Decimal
    require: str


def parse_target(text: str) -> TargetSpec:
    """Read "2570 [กลุ่ม X] [รอบ 1] 3 หลักสูตร หรือ|และ 10 วัน|60 ชม. [วันละ 6 ชม.]"."""
    rest = " " + text.strip() + " "
    per_day = DEFAULT_HOURS_PER_DAY
    found = re.search(rf"วันละ\s*{_NUMBER}\s*{_HOURS_WORD}", rest)
    if found:
        per_day = Decimal(found.group(1))
        rest = rest.replace(found.group(0), " ")
    group = ""
    found = re.search(r"กลุ่ม\s*(\S+)", rest)
    if found:
        group, rest = found.group(1), rest.replace(found.group(0), " ")
    rnd = 0
    found = re.search(r"รอบ(?:ที่)?\s*([12])", rest)
    if found:
        rnd, rest = int(found.group(1)), rest.replace(found.group(0), " ")
    year = re.search(r"(?<!\d)(25\d\d)(?!\d)", rest)
    if not year:
        raise TargetTextError("targets.bad_year")
    rest = rest.replace(year.group(0), " ", 1)
    courses = re.search(r"(\d+)\s*หลักสูตร", rest)
    days = re.search(rf"{_NUMBER}\s*วัน", rest)
    hours = re.search(rf"{_NUMBER}\s*{_HOURS_WORD}", rest)
    try:
        min_hours = Decimal(hours.group(1)) if hours else Decimal(days.group(1)) * per_day if days else None
    except InvalidOperation as exc:
        raise TargetTextError("targets.bad_amount") from exc
    min_courses = int(courses.group(1)) if courses else None
    if not min_courses and not min_hours:
        raise TargetTextError("targets.bad_amount")
    require = "both" if re.search(r"\sและ\s|ทั้งสอง", rest) else "either"
    return TargetSpec(int(year.group(1)), group, rnd, min_courses, min_hours, per_day, require)


def scope_text(goal: Goal) -> str:
    """ "ทุกกลุ่ม รอบที่ 1", "กลุ่ม แรกบรรจุ"."""
    scope = t("targets.scope_group", group=goal.target_group) if goal.target_group else t("targets.scope_all")
    return scope + (t("targets.scope_round", round=goal.round) if goal.round else "")


@router.text(r"(?:/?targets?|เป้าหมาย)(?:\s+(.*))?")
async def set_or_list_targets(turn: Turn, rest: str | None = None) -> None:
    """Admins: set a target, or list this year's targets; others: see their own progress."""
    if "admin" not in turn.roles:
        from handlers.progress import progress

        await progress(turn)
        return
    if not rest or re.fullmatch(r"\s*25\d\d\s*", rest):
        fy = int(rest) if rest and rest.strip() else fiscal_year_of(today_bangkok())
        goals = await targets.list_targets(fy)
        lines = [t("targets.list_header", fy=fy)]
        lines += [t("targets.list_item", scope=scope_text(g), goal=goal_text(g)) for g in goals]
        if not goals:
            lines.append(t("targets.list_default", goal=goal_text(targets.default_goal(fy))))
        turn.reply_raw(Reply(text="\n".join(lines)))
        turn.reply("targets.usage")
        return
    try:
        spec = parse_target(rest)
    except TargetTextError as exc:
        turn.reply("targets.bad", problem=t(str(exc)))
        turn.reply("targets.usage")
        return
    goal = await targets.set_target(
        spec.fiscal_year, target_group=spec.target_group, round_number=spec.round, min_courses=spec.min_courses,
        min_hours=spec.min_hours, hours_per_day=spec.hours_per_day, require=spec.require, by=turn.person,
    )
    logger.info("target set for FY %s round %s by staff %s", spec.fiscal_year, spec.round, turn.person.id if turn.person else None)
    turn.reply("targets.saved", fy=spec.fiscal_year, scope=scope_text(goal), goal=goal_text(goal))


@router.text(r"กำหนดส่ง(?:\s+(25\d\d)\s*รอบ(?:ที่)?\s*([12])\s+(.+))?", roles=("admin",))
async def set_deadline(turn: Turn, fy: str | None = None, rnd: str | None = None, date_text: str | None = None) -> None:
    """Admins: the last day staff may send certificates for a round."""
    day = parse_date(date_text) if date_text else None
    if not fy or not rnd or day is None:
        turn.reply("targets.deadline_usage")
        return
    period = assessment_round(int(fy), int(rnd))
    if not period.contains(day):
        turn.reply("targets.deadline_outside", round=rnd, start=official_date(period.start), end=official_date(period.end))
        return
    await targets.set_round_deadline(int(fy), int(rnd), day)
    turn.reply("targets.deadline_saved", fy=fy, round=rnd, date=official_date(day))


# --- required courses ------------------------------------------------------------------------------


async def _subordinate(turn: Turn, code_or_id: str, *, by_id: bool = False) -> Staff | None:
    """A staff member the sender may assign courses to: a direct subordinate, or anyone for an admin."""
    person = turn.person
    assert person is not None
    query = Staff.filter(id=int(code_or_id)) if by_id else Staff.filter(employee_code__iexact=code_or_id)
    staff = await query.filter(active=True).first()
    if staff is None or not (person.is_admin or staff.supervisor_id == person.id):
        return None
    return staff


async def search_courses(query: str) -> list[Course]:
    """Catalog courses by code or words in the name; fuzzy matching when nothing contains the words."""
    query = query.strip()
    found = await Course.filter(Q(code__iexact=query) | Q(name__icontains=query)).order_by("code", "id").limit(MAX_CHOICES)
    if found:
        return list(found)
    courses = await Course.all().only("id", "code", "name")
    best = process.extract(query, {c.id: c.name for c in courses}, scorer=fuzz.partial_ratio, limit=MAX_CHOICES, score_cutoff=70)
    ids = [key for _, _, key in best]
    by_id = {c.id: c for c in courses}
    return [by_id[i] for i in ids]


async def _show_required(turn: Turn, staff: Staff, fy: int) -> None:
    rows = await RequiredCourse.filter(staff_id=staff.id, fiscal_year=fy).prefetch_related("course").order_by("id")
    if not rows:
        turn.reply("targets.required_list_empty", name=staff.display_name, fy=fy)
        return
    lines = [t("targets.required_list", name=staff.display_name, fy=fy)]
    lines += [f"• {r.course.code or ''} {r.course.name}".replace("  ", " ") for r in rows]
    buttons = [Button(t("targets.btn_remove", code=r.course.code or r.course_id), Action("rq.del", (str(r.id),))) for r in rows]
    turn.reply_raw(Reply(text="\n".join(lines), buttons=tuple(buttons[:MAX_CHOICES])))


@router.text(r"กำหนดหลักสูตร(?:\s+(\S+))?(?:\s+(.+))?", roles=("supervisor", "admin"))
async def assign_required(turn: Turn, code: str | None = None, query: str | None = None) -> None:
    """Supervisors: search the catalog and pick a course a subordinate must take this year."""
    if not code:
        turn.reply("targets.required_usage")
        return
    staff = await _subordinate(turn, code)
    if staff is None:
        turn.reply("targets.required_not_yours", code=code)
        return
    fy = fiscal_year_of(today_bangkok())
    if not query:
        await _show_required(turn, staff, fy)
        return
    courses = await search_courses(query)
    if not courses:
        turn.reply("targets.required_none_found", query=query)
        return
    lines = [t("targets.required_pick", name=staff.display_name, fy=fy)]
    lines += [f"{i}. {c.code or '-'} {c.name}" for i, c in enumerate(courses, start=1)]
    buttons = [Button(f"{i}. {c.code or c.name[:30]}", Action("rq.add", (str(staff.id), str(c.id)))) for i, c in enumerate(courses, start=1)]
    turn.reply_raw(Reply(text="\n".join(lines), buttons=tuple(buttons)))


@router.action("rq.add", roles=("supervisor", "admin"))
async def add_required(turn: Turn, staff_id: str = "", course_id: str = "") -> None:
    """Record the picked course and tell the subordinate."""
    if not staff_id.isdigit() or not course_id.isdigit():
        turn.reply("approval.bad_button")
        return
    staff = await _subordinate(turn, staff_id, by_id=True)
    course = await Course.get_or_none(id=int(course_id))
    if staff is None or course is None:
        turn.reply("common.not_allowed")
        return
    fy = fiscal_year_of(today_bangkok())
    _, created = await RequiredCourse.get_or_create(
        staff_id=staff.id, course_id=course.id, fiscal_year=fy, defaults={"assigned_by_id": turn.person.id if turn.person else None}
    )
    if not created:
        turn.reply("targets.required_already", course=course.name, name=staff.display_name)
        return
    turn.reply("targets.required_added", name=staff.display_name, course=course.name, fy=fy)
    assert turn.person is not None
    turn.send_to(staff.id, Reply(t("targets.required_you", by=turn.person.display_name, course=course.name, fy=fy)))


@router.action("rq.del", roles=("supervisor", "admin"))
async def remove_required(turn: Turn, required_id: str = "") -> None:
    """Take an agreed course off a subordinate's list."""
    row = await RequiredCourse.get_or_none(id=int(required_id)).prefetch_related("course") if required_id.isdigit() else None
    staff = await _subordinate(turn, str(row.staff_id), by_id=True) if row else None
    if row is None or staff is None:
        turn.reply("common.not_allowed")
        return
    await RequiredCourse.filter(id=row.id).delete()
    turn.reply("targets.required_removed", course=row.course.name, name=staff.display_name)
