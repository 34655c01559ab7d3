"""The figures of one fiscal year (or round): per person, per unit, agency indicators, certificates.

Everything comes from a few GROUP BY queries over the whole agency and is
joined in memory by id, so the cost does not depend on a query per person.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from fiscal.calendar import Period, assessment_round, fiscal_year
from storage.models import Staff, Submission, Unit
from storage.submission_states import SubmissionStatus
from storage.progress import Tally, approved_tallies, category_counts, required_courses
from storage.targets import book

# OCSC portal categories, in the order the guideline lists them.
CATEGORIES = (
    "การพัฒนาองค์ความรู้",
    "การพัฒนากรอบความคิด",
    "ทักษะเชิงยุทธศาสตร์และภาวะผู้นำ",
    "ทักษะดิจิทัล",
    "ทักษะด้านภาษา",
)
DIGITAL = "ทักษะดิจิทัล"
OTHER = ""  # courses outside the catalog


@dataclass(slots=True)
class StaffRow:
    """One active staff member's figures for the period."""

    staff_id: int
    code: str
    name: str
    unit: str
    target_group: str
    courses: int
    hours: Decimal
    met: bool
    by_category: dict[str, int]
    required_missing: int


@dataclass(slots=True)
class GroupRow:
    """Counts of one unit or target group (or the whole agency)."""

    label: str
    staff: int = 0
    developed: int = 0
    digital: int = 0
    met: int = 0
    courses: int = 0
    hours: Decimal = Decimal(0)

    def add(self, row: StaffRow) -> None:
        """Count one person in."""
        self.staff += 1
        self.developed += row.courses > 0
        self.digital += row.by_category.get(DIGITAL, 0) > 0
        self.met += row.met
        self.courses += row.courses
        self.hours += row.hours

    @staticmethod
    def percent(part: int, whole: int) -> float:
        """A percentage with one decimal, 0 for an empty group."""
        return round(100.0 * part / whole, 1) if whole else 0.0


@dataclass(slots=True)
class CertificateRow:
    """One approved certificate, for the service record (ก.พ.7)."""

    submission_id: int
    code: str
    name: str
    unit: str
    course: str
    course_code: str
    category: str
    hours: Decimal
    completed_on: dt.date | None
    approved_at: dt.datetime | None
    approver: str


@dataclass(slots=True)
class AgencyReport:
    """Everything the report files and the chat summary show."""

    fiscal_year: int
    round: int | None
    period: Period
    staff: list[StaffRow] = field(default_factory=list)
    units: list[GroupRow] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)
    total: GroupRow = field(default_factory=lambda: GroupRow("ทั้งหน่วยงาน"))
    categories: dict[str, tuple[int, int]] = field(default_factory=dict)  # category -> (people, courses)
    certificates: list[CertificateRow] = field(default_factory=list)


def _unit_paths(units: list[dict]) -> dict[int, str]:
    """Each unit's path from the top ("สำนักงาน > กลุ่ม"), computed once for the whole tree."""
    parent = {u["id"]: u["parent_id"] for u in units}
    name = {u["id"]: u["name"] for u in units}
    paths: dict[int, str] = {}

    def path(uid: int) -> str:
        if uid not in paths:
            up = parent.get(uid)
            paths[uid] = f"{path(up)} > {name[uid]}" if up in name else name[uid]
        return paths[uid]

    for uid in name:
        path(uid)
    return paths


async def collect(fy: int, round_number: int | None = None, *, with_certificates: bool = True) -> AgencyReport:
    """Gather the whole agency's figures for a fiscal year, or one round of it."""
    period = assessment_round(fy, round_number) if round_number else fiscal_year(fy)
    report = AgencyReport(fy, round_number, period)
    targets = await book(fy)
    units = _unit_paths(await Unit.all().values("id", "name", "parent_id"))
    people = await Staff.all().values("id", "employee_code", "title", "first_name", "last_name", "unit_id", "target_group", "active")
    in_period = await approved_tallies(None, period)
    # The goal is judged on its own period: the year, or the round it names.
    judged = {0: await approved_tallies(None, fiscal_year(fy))}
    for rnd in (1, 2):
        if any(targets.goal_for(g, round_number).round == rnd for g in {p["target_group"] for p in people}):
            judged[rnd] = await approved_tallies(None, assessment_round(fy, rnd))
    categories: dict[int, dict[str, int]] = defaultdict(dict)
    category_people: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in await category_counts(None, period):
        categories[row["staff_id"]][row["category"]] = row["n"]
        category_people[row["category"]][0] += 1
        category_people[row["category"]][1] += row["n"]
    required = await required_courses(None, fy)

    by_unit: dict[str, GroupRow] = {}
    by_group: dict[str, GroupRow] = {}
    names: dict[int, tuple[str, str, str]] = {}
    for p in sorted(people, key=lambda p: p["employee_code"]):
        name = f"{p['title']}{p['first_name']} {p['last_name']}".strip()
        unit = units.get(p["unit_id"], "") if p["unit_id"] else ""
        names[p["id"]] = (p["employee_code"], name, unit)
        if not p["active"]:
            continue
        goal = targets.goal_for(p["target_group"], round_number)
        counted = judged.get(goal.round, judged[0]).get(p["id"], Tally())
        missing = sum(1 for r in required.get(p["id"], []) if not r.done)
        tally = in_period.get(p["id"], Tally())
        row = StaffRow(
            p["id"], p["employee_code"], name, unit, p["target_group"], tally.courses, tally.hours,
            goal.met(counted.courses, counted.hours) and not missing, categories.get(p["id"], {}), missing,
        )
        report.staff.append(row)
        report.total.add(row)
        by_unit.setdefault(unit, GroupRow(unit or "-")).add(row)
        by_group.setdefault(p["target_group"], GroupRow(p["target_group"] or "-")).add(row)
    report.units = [by_unit[k] for k in sorted(by_unit)]
    report.groups = [by_group[k] for k in sorted(by_group)]
    report.categories = {c: tuple(category_people[c]) for c in (*CATEGORIES, OTHER) if c in category_people or c in CATEGORIES}
    if with_certificates:
        await _certificates(report, names)
    return report


async def _certificates(report: AgencyReport, names: dict[int, tuple[str, str, str]]) -> None:
    rows = (
        await Submission.filter(
            status=SubmissionStatus.APPROVED, completed_on__gte=report.period.start, completed_on__lte=report.period.end
        )
        .order_by("staff_id", "completed_on", "id")
        .values(
            "id", "staff_id", "course_title", "course__code", "course__category", "hours", "completed_on",
            "decided_at", "decided_by_id",
        )
    )
    for r in rows:
        code, name, unit = names.get(r["staff_id"], ("", "", ""))
        report.certificates.append(
            CertificateRow(
                r["id"], code, name, unit, r["course_title"] or "", r["course__code"] or "",
                r["course__category"] or "", Decimal(r["hours"] or 0), r["completed_on"], r["decided_at"],
                names.get(r["decided_by_id"], ("", "", ""))[1] if r["decided_by_id"] else "",
            )
        )
