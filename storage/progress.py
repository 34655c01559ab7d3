"""Progress toward the development target, computed with set-based queries.

The same few GROUP BY queries serve one person, a supervisor's team, or the
whole agency (`staff_ids=None`): the cost grows with the rows returned, never
with a query per person.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tortoise.functions import Count, Sum

from fiscal.calendar import Period, assessment_round, fiscal_year, fiscal_year_of, round_of
from storage.models import RequiredCourse, Submission
from storage.submission_states import OWNER_PENDING_STATES, SubmissionStatus
from storage.targets import Goal, TargetBook, book

# Status names, in the order a supervisor should look at them.
NOTHING, BEHIND, ON_TRACK, MET = "nothing", "behind", "on_track", "met"
STATUS_ORDER = {NOTHING: 0, BEHIND: 1, ON_TRACK: 2, MET: 3}


@dataclass(slots=True)
class Tally:
    """Approved courses and hours."""

    courses: int = 0
    hours: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class RequiredItem:
    """One agreed course and whether an approved certificate covers it."""

    course_id: int
    code: str
    name: str
    done: bool


@dataclass(slots=True)
class PersonProgress:
    """Where one person stands this fiscal year and round."""

    staff_id: int
    goal: Goal
    year: Tally
    round: Tally
    pending: int
    required: list[RequiredItem] = field(default_factory=list)
    status: str = NOTHING

    @property
    def counted(self) -> Tally:
        """The tally the goal is judged on (the round's for a round target)."""
        return self.round if self.goal.round else self.year

    @property
    def missing_required(self) -> list[RequiredItem]:
        """Agreed courses without an approved certificate."""
        return [r for r in self.required if not r.done]

    @property
    def fraction(self) -> float:
        """Progress 0..1 toward the goal's numbers."""
        return self.goal.fraction(self.counted.courses, self.counted.hours)


def _staff_filter(query: Any, staff_ids: Iterable[int] | None) -> Any:
    return query if staff_ids is None else query.filter(staff_id__in=list(staff_ids))


async def approved_tallies(staff_ids: Iterable[int] | None, period: Period) -> dict[int, Tally]:
    """Approved courses and hours per person with a completion date in the period."""
    query = _staff_filter(
        Submission.filter(status=SubmissionStatus.APPROVED, completed_on__gte=period.start, completed_on__lte=period.end),
        staff_ids,
    )
    rows = await query.annotate(n=Count("id"), h=Sum("hours")).group_by("staff_id").values("staff_id", "n", "h")
    return {r["staff_id"]: Tally(int(r["n"]), Decimal(r["h"] or 0)) for r in rows}


async def pending_counts(staff_ids: Iterable[int] | None) -> dict[int, int]:
    """Certificates per person still on their way (received, read or awaiting approval)."""
    query = _staff_filter(Submission.filter(status__in=OWNER_PENDING_STATES), staff_ids)
    rows = await query.annotate(n=Count("id")).group_by("staff_id").values("staff_id", "n")
    return {r["staff_id"]: int(r["n"]) for r in rows}


async def required_courses(staff_ids: Iterable[int] | None, fy: int) -> dict[int, list[RequiredItem]]:
    """Each person's agreed courses for the year, marked done when an approved certificate names them."""
    ids = None if staff_ids is None else list(staff_ids)
    assigned = await _staff_filter(RequiredCourse.filter(fiscal_year=fy), ids).values(
        "staff_id", "course_id", "course__code", "course__name"
    )
    if not assigned:
        return {}
    year = fiscal_year(fy)
    done_query = Submission.filter(
        status=SubmissionStatus.APPROVED,
        completed_on__gte=year.start,
        completed_on__lte=year.end,
        course_id__in=sorted({a["course_id"] for a in assigned}),
    )
    done = set(
        await _staff_filter(done_query, {a["staff_id"] for a in assigned}).values_list("staff_id", "course_id")
    )
    result: dict[int, list[RequiredItem]] = defaultdict(list)
    for a in sorted(assigned, key=lambda a: (a["course__code"] or "", a["course_id"])):
        result[a["staff_id"]].append(
            RequiredItem(
                a["course_id"], a["course__code"] or "", a["course__name"], (a["staff_id"], a["course_id"]) in done
            )
        )
    return result


def classify(progress: PersonProgress, today: dt.date) -> str:
    """Met, on track (at least as far as the time gone by), behind, or nothing approved yet."""
    counted = progress.counted
    if progress.goal.met(counted.courses, counted.hours) and not progress.missing_required:
        return MET
    if counted.courses == 0:
        return NOTHING
    period = progress.goal.period
    span = (period.end - period.start).days + 1
    elapsed = min(span, max(0, (today - period.start).days + 1))
    return ON_TRACK if progress.fraction >= elapsed / span else BEHIND


async def progress_of(
    people: list[tuple[int, str]],
    today: dt.date,
    *,
    targets: TargetBook | None = None,
    whole_agency: bool = False,
) -> dict[int, PersonProgress]:
    """Progress of (staff id, target group) pairs this fiscal year and round, in a handful of queries.

    With whole_agency the queries run unfiltered (no 100,000-id IN list).
    """
    fy = fiscal_year_of(today)
    rnd = round_of(today).round or 1
    targets = targets or await book(fy)
    ids = None if whole_agency else [p[0] for p in people]
    year = await approved_tallies(ids, fiscal_year(fy))
    this_round = await approved_tallies(ids, assessment_round(fy, rnd))
    pending = await pending_counts(ids)
    required = await required_courses(ids, fy)
    result: dict[int, PersonProgress] = {}
    for staff_id, group in people:
        item = PersonProgress(
            staff_id,
            targets.goal_for(group, rnd),
            year.get(staff_id, Tally()),
            this_round.get(staff_id, Tally()),
            pending.get(staff_id, 0),
            required.get(staff_id, []),
        )
        item.status = classify(item, today)
        result[staff_id] = item
    return result


def attention_order(items: Iterable[PersonProgress]) -> list[PersonProgress]:
    """Who needs attention first: nothing yet, then behind, on track, met; least progress first."""
    return sorted(items, key=lambda p: (STATUS_ORDER[p.status], p.fraction, p.counted.courses))


async def category_counts(staff_ids: Iterable[int] | None, period: Period) -> list[dict[str, Any]]:
    """Approved courses per person and OCSC category (category "" = not in the catalog)."""
    query = _staff_filter(
        Submission.filter(status=SubmissionStatus.APPROVED, completed_on__gte=period.start, completed_on__lte=period.end),
        staff_ids,
    )
    rows = (
        await query.annotate(n=Count("id"))
        .group_by("staff_id", "course__category")
        .values("staff_id", "course__category", "n")
    )
    return [{"staff_id": r["staff_id"], "category": r["course__category"] or "", "n": int(r["n"])} for r in rows]
