"""Development targets and round deadlines: stored by admins, resolved per person and period.

A target belongs to a fiscal year and optionally to one target group and one
round (round 0 = the whole year). The most specific one wins: the person's own
group before everyone, and within that a round target before the year's. With
nothing stored, the OCSC default applies: 3 courses or 10 days (6 h/day) a year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from fiscal.calendar import Period, assessment_round, fiscal_year
from storage.models import RoundDeadline, Staff, Target

DEFAULT_COURSES = 3
DEFAULT_DAYS = 10
DEFAULT_HOURS_PER_DAY = Decimal(6)
REQUIRE_MODES = ("either", "both")


@dataclass(frozen=True, slots=True)
class Goal:
    """The target one person is measured against."""

    fiscal_year: int
    target_group: str  # "" = everyone
    round: int  # 0 = whole fiscal year
    min_courses: int | None
    min_hours: Decimal | None
    hours_per_day: Decimal
    require: str  # "either" or "both"
    is_default: bool = False

    @property
    def period(self) -> Period:
        """The dates whose approved courses count toward this target."""
        return fiscal_year(self.fiscal_year) if self.round == 0 else assessment_round(self.fiscal_year, self.round)

    def ratios(self, courses: int, hours: Decimal) -> list[float]:
        """How far along each part of the target is (1.0 = reached), capped at 1."""
        parts: list[float] = []
        if self.min_courses:
            parts.append(min(1.0, courses / self.min_courses))
        if self.min_hours:
            parts.append(min(1.0, float(hours) / float(self.min_hours)))
        return parts

    def fraction(self, courses: int, hours: Decimal) -> float:
        """Overall progress 0..1: the better part when either counts, the weaker when both must."""
        parts = self.ratios(courses, hours)
        if not parts:
            return 1.0
        return min(parts) if self.require == "both" else max(parts)

    def met(self, courses: int, hours: Decimal) -> bool:
        """Whether the numbers of this target are reached."""
        return self.fraction(courses, hours) >= 1.0

    def hours_as_days(self, hours: Decimal) -> Decimal:
        """Hours expressed in development days."""
        return (hours / self.hours_per_day).quantize(Decimal("0.1")) if self.hours_per_day else hours


def default_goal(fy: int) -> Goal:
    """The OCSC default: at least 3 courses or 10 days of 6 hours a fiscal year."""
    return Goal(fy, "", 0, DEFAULT_COURSES, DEFAULT_DAYS * DEFAULT_HOURS_PER_DAY, DEFAULT_HOURS_PER_DAY, "either", True)


def _goal(row: Target) -> Goal:
    return Goal(
        row.fiscal_year,
        row.target_group,
        row.round,
        row.min_courses,
        Decimal(row.min_hours) if row.min_hours is not None else None,
        Decimal(row.hours_per_day),
        row.require,
    )


class TargetBook:
    """Every target of one fiscal year, loaded with one query, resolved per person in memory."""

    def __init__(self, fy: int, rows: list[Target]) -> None:
        self.fiscal_year = fy
        self._by_key = {(r.target_group, r.round): _goal(r) for r in rows}

    def goal_for(self, target_group: str, round_number: int | None) -> Goal:
        """The most specific target for a group in a round (or the year), else the default."""
        rnd = round_number or 0
        for key in ((target_group, rnd), (target_group, 0), ("", rnd), ("", 0)):
            if key in self._by_key:
                return self._by_key[key]
        return default_goal(self.fiscal_year)

    def year_goal_for(self, target_group: str) -> Goal:
        """The whole-year target of a group (what reports judge)."""
        return self.goal_for(target_group, 0)


async def book(fy: int) -> TargetBook:
    """The targets of a fiscal year."""
    return TargetBook(fy, await Target.filter(fiscal_year=fy))


async def set_target(
    fy: int,
    *,
    target_group: str = "",
    round_number: int = 0,
    min_courses: int | None,
    min_hours: Decimal | None,
    hours_per_day: Decimal = DEFAULT_HOURS_PER_DAY,
    require: str = "either",
    by: Staff | None = None,
) -> Goal:
    """Create or replace one target; takes effect on the next question asked."""
    if require not in REQUIRE_MODES:
        raise ValueError("require must be either or both")
    if not min_courses and not min_hours:
        raise ValueError("a target needs courses or hours")
    if round_number not in (0, 1, 2):
        raise ValueError("round must be 1 or 2")
    values = {
        "min_courses": min_courses or None,
        "min_hours": min_hours or None,
        "hours_per_day": hours_per_day,
        "require": require,
        "updated_by_id": by.id if by else None,
    }
    row, created = await Target.get_or_create(
        fiscal_year=fy, target_group=target_group, round=round_number, defaults=values
    )
    if not created:
        await Target.filter(id=row.id).update(**values)
        row = await Target.get(id=row.id)
    return _goal(row)


async def list_targets(fy: int | None = None) -> list[Goal]:
    """Stored targets, by year, group and round."""
    query = Target.all() if fy is None else Target.filter(fiscal_year=fy)
    return [_goal(r) for r in await query.order_by("fiscal_year", "target_group", "round")]


async def round_deadline(fy: int, round_number: int) -> dt.date:
    """The submission deadline of a round: what an admin set, else the round's last day."""
    row = await RoundDeadline.get_or_none(fiscal_year=fy, round=round_number)
    return row.deadline if row else assessment_round(fy, round_number).end


async def set_round_deadline(fy: int, round_number: int, deadline: dt.date) -> None:
    """Store a round's submission deadline."""
    row, created = await RoundDeadline.get_or_create(
        fiscal_year=fy, round=round_number, defaults={"deadline": deadline}
    )
    if not created:
        await RoundDeadline.filter(id=row.id).update(deadline=deadline)
