"""The report as plain tables (Thai headers, Thai dates), shared by the XLSX and CSV writers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fiscal.thai_dates import BANGKOK, official_date
from reports.data import CATEGORIES, AgencyReport, GroupRow

OTHER_LABEL = "นอกแคตตาล็อก"


@dataclass(frozen=True, slots=True)
class Table:
    """One sheet: a name, headers, column widths and its rows (produced lazily)."""

    name: str
    slug: str  # ASCII, for CSV file names
    headers: tuple[str, ...]
    widths: tuple[int, ...]
    rows: Any  # a callable returning an iterator of row tuples


def _hours(value: Decimal) -> float | int:
    """Hours as a number a spreadsheet can sum (whole hours without the .0)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _group_cells(row: GroupRow) -> tuple[Any, ...]:
    pct = GroupRow.percent
    return (
        row.label, row.staff, row.developed, pct(row.developed, row.staff), row.digital,
        pct(row.digital, row.staff), row.met, pct(row.met, row.staff), row.courses, _hours(row.hours),
    )


GROUP_HEADERS = (
    "จำนวนบุคลากร", "ได้รับการพัฒนา (คน)", "ร้อยละที่ได้รับการพัฒนา", "พัฒนาทักษะดิจิทัล (คน)",
    "ร้อยละที่พัฒนาทักษะดิจิทัล", "ผ่านเป้าหมาย (คน)", "ร้อยละที่ผ่านเป้าหมาย", "จำนวนหลักสูตร", "จำนวนชั่วโมง",
)
GROUP_WIDTHS = (12, 16, 18, 18, 20, 14, 18, 12, 12)


def tables(report: AgencyReport) -> list[Table]:
    """The four sheets of the yearly report."""

    def staff_rows() -> Iterator[tuple[Any, ...]]:
        for s in report.staff:
            yield (
                s.code, s.name, s.unit, s.target_group, s.courses, _hours(s.hours),
                "ผ่าน" if s.met else "ไม่ผ่าน", *(s.by_category.get(c, 0) for c in CATEGORIES),
                s.by_category.get("", 0),
            )

    def unit_rows() -> Iterator[tuple[Any, ...]]:
        for u in report.units:
            yield _group_cells(u)

    def indicator_rows() -> Iterator[tuple[Any, ...]]:
        yield _group_cells(report.total)
        for g in report.groups:
            yield _group_cells(g)

    def certificate_rows() -> Iterator[tuple[Any, ...]]:
        for c in report.certificates:
            yield (
                c.code, c.name, c.unit, c.course, c.course_code, c.category or OTHER_LABEL, _hours(c.hours),
                official_date(c.completed_on) if c.completed_on else "",
                official_date(c.approved_at.astimezone(BANGKOK).date()) if c.approved_at else "",
                c.approver, c.submission_id,
            )

    return [
        Table(
            "รายบุคคล", "staff",
            ("รหัสบุคลากร", "ชื่อ-สกุล", "หน่วยงาน", "กลุ่มเป้าหมาย", "จำนวนหลักสูตร", "จำนวนชั่วโมง",
             "ผ่านเป้าหมาย", *CATEGORIES, OTHER_LABEL),
            (12, 28, 40, 14, 12, 12, 12, *(16 for _ in CATEGORIES), 14),
            staff_rows,
        ),
        Table("รายหน่วยงาน", "units", ("หน่วยงาน", *GROUP_HEADERS), (44, *GROUP_WIDTHS), unit_rows),
        Table("ตัวชี้วัด", "indicators", ("กลุ่มเป้าหมาย", *GROUP_HEADERS), (20, *GROUP_WIDTHS), indicator_rows),
        Table(
            "ใบประกาศที่อนุมัติ", "certificates",
            ("รหัสบุคลากร", "ชื่อ-สกุล", "หน่วยงาน", "หลักสูตร", "รหัสหลักสูตร", "หมวดหมู่", "จำนวนชั่วโมง",
             "วันที่สำเร็จ", "วันที่อนุมัติ", "ผู้อนุมัติ", "เลขที่รายการ"),
            (12, 28, 40, 50, 12, 24, 12, 14, 14, 28, 12),
            certificate_rows,
        ),
    ]


def period_label(report: AgencyReport) -> str:
    """ "ปีงบประมาณ 2570" or "ปีงบประมาณ 2570 รอบที่ 1", for titles and file names."""
    return f"ปีงบประมาณ {report.fiscal_year}" + (f" รอบที่ {report.round}" if report.round else "")
