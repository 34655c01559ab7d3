"""Progress toward the yearly development target: a person's own view and a supervisor's team view."""

from __future__ import annotations

import datetime as dt

from bot.events import Reply
from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from fiscal.calendar import assessment_round, fiscal_year, today_bangkok
from fiscal.thai_dates import official_date
from storage.models import Staff
from storage.progress import MET, NOTHING, ON_TRACK, BEHIND, PersonProgress, attention_order, progress_of
from storage.submissions import hours_value
from storage.targets import Goal, round_deadline

router = Router("progress")

BAR_CELLS = 10
# The action of a "my team" button (the supervisors' digest carries one).
TEAM_ACTION = "team.open"
FLAGS = {NOTHING: "🔴", BEHIND: "🟠", ON_TRACK: "🟡", MET: "🟢"}


def progress_bar(fraction: float) -> str:
    """A text bar such as "▓▓▓▓▓▓░░░░ 60%"."""
    filled = round(max(0.0, min(1.0, fraction)) * BAR_CELLS)
    return t("progress.bar", bar="▓" * filled + "░" * (BAR_CELLS - filled), percent=round(fraction * 100))


def goal_text(goal: Goal) -> str:
    """A target in words: "อย่างน้อย 3 หลักสูตร หรือ 60 ชั่วโมง (10 วัน) ต่อปีงบประมาณ"."""
    parts = []
    if goal.min_courses:
        parts.append(t("progress.goal_courses", courses=goal.min_courses))
    if goal.min_hours:
        parts.append(
            t("progress.goal_hours", hours=hours_value(goal.min_hours), days=hours_value(goal.hours_as_days(goal.min_hours)))
        )
    joined = t("progress.goal_and" if goal.require == "both" else "progress.goal_or").join(parts)
    scope = t("progress.goal_round", round=goal.round) if goal.round else t("progress.goal_year")
    return joined + scope + (t("progress.goal_default") if goal.is_default else "")


def still_needed(item: PersonProgress) -> str | None:
    """What is left to reach the target, or None when it is met."""
    goal, counted = item.goal, item.counted
    parts = []
    if goal.min_courses and counted.courses < goal.min_courses:
        parts.append(t("progress.needed_courses", courses=goal.min_courses - counted.courses))
    if goal.min_hours and counted.hours < goal.min_hours:
        left = goal.min_hours - counted.hours
        parts.append(t("progress.needed_hours", hours=hours_value(left), days=hours_value(goal.hours_as_days(left))))
    numbers_met = goal.met(counted.courses, counted.hours)
    text = "" if numbers_met else t("progress.goal_and" if goal.require == "both" else "progress.goal_or").join(parts)
    missing = len(item.missing_required)
    if missing:
        extra = t("progress.needed_required", count=missing)
        text = f"{text}{t('progress.goal_and')}{extra}" if text else extra
    return text or None


async def progress_text(person: Staff, today: dt.date) -> tuple[str, str, float]:
    """The title, body and done share of a person's progress answer."""
    item = (await progress_of([(person.id, person.target_group)], today))[person.id]
    fy = item.goal.fiscal_year
    year = fiscal_year(fy)
    rnd = assessment_round(fy, 1 if today <= assessment_round(fy, 1).end else 2)
    done = item.fraction if not item.missing_required else min(item.fraction, 0.99)
    lines = [
        progress_bar(done),
        t("progress.goal", goal=goal_text(item.goal)),
        t(
            "progress.year_line", fy=fy, start=official_date(year.start), end=official_date(year.end),
            courses=item.year.courses, hours=hours_value(item.year.hours),
            days=hours_value(item.goal.hours_as_days(item.year.hours)),
        ),
        t(
            "progress.round_line", round=rnd.round, start=official_date(rnd.start), end=official_date(rnd.end),
            courses=item.round.courses, hours=hours_value(item.round.hours),
        ),
    ]
    if item.pending:
        lines.append(t("progress.pending", count=item.pending))
    if item.required:
        lines.append(t("progress.required_header"))
        for r in item.required:
            lines.append(t("progress.required_done" if r.done else "progress.required_missing", code=r.code, name=r.name).replace("  ", " "))
    needed = still_needed(item)
    lines.append(t("progress.needed", needed=needed) if needed else t("progress.met"))
    deadline = await round_deadline(fy, rnd.round or 1)
    days_left = (deadline - today).days
    key = "progress.deadline" if days_left > 0 else "progress.deadline_today" if days_left == 0 else "progress.deadline_passed"
    lines.append(t(key, round=rnd.round, date=official_date(deadline), days=days_left))
    return t("progress.title", fy=fy), "\n".join(lines), done


@router.command("progress", "ความก้าวหน้า", global_=True, menu="menu.btn_progress", menu_order=20)
@router.action("menu.progress")
async def progress(turn: Turn) -> None:
    """The sender's progress toward this year's target."""
    assert turn.person is not None
    title, body, done = await progress_text(turn.person, today_bangkok())
    turn.reply_raw(Reply(text=body, title=title, progress=done))


@router.command("team", "ทีมของฉัน", "ทีม", roles=("supervisor", "admin"), menu="richmenu.team", menu_order=50)
@router.action(TEAM_ACTION, roles=("supervisor", "admin"))
async def team(turn: Turn) -> None:
    """Each direct subordinate's status this fiscal year and round, who needs attention first."""
    person = turn.person
    assert person is not None
    today = today_bangkok()
    members = await Staff.filter(supervisor_id=person.id, active=True).order_by("first_name")
    if not members:
        turn.reply("approval.team_empty")
        return
    items = await progress_of([(m.id, m.target_group) for m in members], today)
    by_id = {m.id: m for m in members}
    ordered = attention_order(items.values())
    counts = {s: sum(1 for i in ordered if i.status == s) for s in (MET, ON_TRACK, BEHIND, NOTHING)}
    any_item = ordered[0]
    fy = any_item.goal.fiscal_year
    rnd = 1 if today <= assessment_round(fy, 1).end else 2
    lines = [t("team.header", fy=fy, round=rnd, count=len(ordered)), t("team.summary", **counts)]
    for item in ordered:
        line = t(
            "team.item", flag=FLAGS[item.status], name=by_id[item.staff_id].display_name,
            courses=item.year.courses, hours=hours_value(item.year.hours), round_courses=item.round.courses,
            status=t(f"progress.status_{item.status}"),
        )
        if item.missing_required:
            line += t("team.item_required", count=len(item.missing_required))
        if item.pending:
            line += t("team.item_pending", count=item.pending)
        lines.append(line)
    turn.reply_raw(Reply(text="\n".join(lines)))

