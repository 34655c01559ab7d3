"""Staff roster import from CSV or XLSX: validate every row first, then upsert all or nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from storage.models import Staff, Unit

COLUMNS = (
    "employee_code",
    "title",
    "first_name",
    "last_name",
    "position",
    "unit",
    "supervisor_code",
    "role",
    "target_group",
)
OPTIONAL_COLUMNS = ("personnel_type", "active")
REQUIRED_VALUES = ("employee_code", "first_name", "last_name")

# Header names HR staff type in Thai spreadsheets.
THAI_HEADERS = {
    "รหัสบุคลากร": "employee_code",
    "รหัสพนักงาน": "employee_code",
    "เลขประจำตัว": "employee_code",
    "คำนำหน้า": "title",
    "คำนำหน้าชื่อ": "title",
    "ชื่อ": "first_name",
    "นามสกุล": "last_name",
    "ตำแหน่ง": "position",
    "หน่วยงาน": "unit",
    "สังกัด": "unit",
    "กลุ่มงาน": "unit",
    "รหัสผู้บังคับบัญชา": "supervisor_code",
    "บทบาท": "role",
    "สิทธิ์": "role",
    "กลุ่มเป้าหมาย": "target_group",
    "ประเภทบุคลากร": "personnel_type",
    "สถานะ": "active",
}
ROLE_WORDS = {
    "staff": "staff",
    "บุคลากร": "staff",
    "supervisor": "supervisor",
    "ผู้บังคับบัญชา": "supervisor",
    "หัวหน้า": "supervisor",
    "admin": "admin",
    "ผู้ดูแล": "admin",
    "ผู้ดูแลระบบ": "admin",
}
INACTIVE_WORDS = {"0", "false", "no", "inactive", "ไม่ปฏิบัติงาน", "พ้นสภาพ", "ลาออก", "เกษียณ"}
UNIT_SEPARATOR = ">"
MAX_ROWS = 50_000


class RosterError(Exception):
    """The file as a whole cannot be read (wrong type, no header)."""


@dataclass(slots=True)
class RosterRow:
    """One validated roster line."""

    line: int
    employee_code: str
    title: str
    first_name: str
    last_name: str
    position: str
    unit_path: tuple[str, ...]
    supervisor_code: str
    roles: set[str]
    target_group: str
    personnel_type: str
    active: bool


@dataclass(slots=True)
class ImportResult:
    """What an import did, or the row errors that stopped it."""

    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors: the roster was written."""
        return not self.errors


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """Rows of cells from CSV (UTF-8, with or without BOM) or XLSX bytes (blocking)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise RosterError("unreadable xlsx") from exc
        sheet = book.worksheets[0]
        return [
            ["" if cell is None else str(cell).strip() for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RosterError("csv is not UTF-8") from exc
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    raise RosterError("not csv or xlsx")


def parse(table: list[list[str]]) -> tuple[list[RosterRow], list[str]]:
    """Validate every row; errors name the spreadsheet line (header is line 1)."""
    if not table:
        return [], ["ไฟล์ว่าง ไม่มีหัวตาราง"]
    header = [_column(h) for h in table[0]]
    missing = [c for c in REQUIRED_VALUES if c not in header]
    if missing:
        return [], [f"บรรทัด 1: ไม่มีคอลัมน์ {', '.join(missing)}"]
    if len(table) - 1 > MAX_ROWS:
        return [], [f"มีเกิน {MAX_ROWS} แถว"]
    rows: list[RosterRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for offset, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        values = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(header) if col}
        problems = [f"ไม่มี {col}" for col in REQUIRED_VALUES if not values.get(col)]
        code = values.get("employee_code", "")
        if code in seen:
            problems.append(f"รหัส {code} ซ้ำกับบรรทัด {seen[code]}")
        roles, bad_roles = _roles(values.get("role", ""))
        if bad_roles:
            problems.append(f"บทบาทไม่รู้จัก: {', '.join(bad_roles)}")
        supervisor = values.get("supervisor_code", "")
        if supervisor and supervisor == code:
            problems.append("เป็นผู้บังคับบัญชาของตนเองไม่ได้")
        if problems:
            errors.append(f"บรรทัด {offset}: " + "; ".join(problems))
            continue
        seen[code] = offset
        rows.append(
            RosterRow(
                line=offset,
                employee_code=code,
                title=values.get("title", ""),
                first_name=values["first_name"],
                last_name=values["last_name"],
                position=values.get("position", ""),
                unit_path=tuple(
                    p.strip() for p in values.get("unit", "").split(UNIT_SEPARATOR) if p.strip()
                ),
                supervisor_code=supervisor,
                roles=roles,
                target_group=values.get("target_group", ""),
                personnel_type=values.get("personnel_type", ""),
                active=values.get("active", "").strip().lower() not in INACTIVE_WORDS,
            )
        )
    return rows, errors


def _column(header: str) -> str | None:
    key = header.strip().lstrip("\ufeff")
    if key.lower() in COLUMNS or key.lower() in OPTIONAL_COLUMNS:
        return key.lower()
    return THAI_HEADERS.get(key)


def _roles(text: str) -> tuple[set[str], list[str]]:
    roles, bad = {"staff"}, []
    for word in text.replace("+", ",").replace(";", ",").replace("|", ",").split(","):
        word = word.strip().lower()
        if not word:
            continue
        if word in ROLE_WORDS:
            roles.add(ROLE_WORDS[word])
        else:
            bad.append(word)
    return roles, bad


async def import_roster(rows: list[RosterRow], errors: list[str]) -> ImportResult:
    """Upsert validated rows in one transaction; any error anywhere imports nothing."""
    result = ImportResult(errors=list(errors))
    if result.errors:
        return result
    in_file = {r.employee_code for r in rows}
    known = set(
        await Staff.filter(
            employee_code__in=[r.supervisor_code for r in rows if r.supervisor_code]
        ).values_list("employee_code", flat=True)
    )
    for row in rows:
        if row.supervisor_code and row.supervisor_code not in in_file | known:
            result.errors.append(
                f"บรรทัด {row.line}: ไม่พบผู้บังคับบัญชารหัส {row.supervisor_code}"
            )
    result.errors.extend(_cycles(rows))
    if result.errors:
        return result
    async with in_transaction():
        units: dict[tuple[str, ...], Unit] = {}
        staff_by_code: dict[str, Staff] = {
            s.employee_code: s for s in await Staff.filter(employee_code__in=list(in_file))
        }
        supervisors = {r.supervisor_code for r in rows if r.supervisor_code}
        for row in rows:
            unit = await _unit(row.unit_path, units) if row.unit_path else None
            fields = {
                "title": row.title,
                "first_name": row.first_name,
                "last_name": row.last_name,
                "position": row.position,
                "target_group": row.target_group,
                "personnel_type": row.personnel_type,
                "unit": unit,
                "is_supervisor": "supervisor" in row.roles or row.employee_code in supervisors,
                "is_admin": "admin" in row.roles,
                "active": row.active,
            }
            existing = staff_by_code.get(row.employee_code)
            if existing is None:
                staff_by_code[row.employee_code] = await Staff.create(
                    employee_code=row.employee_code, **fields
                )
                result.created += 1
            else:
                existing.update_from_dict(fields)
                await existing.save()
                result.updated += 1
        outside = {
            s.employee_code: s
            for s in await Staff.filter(employee_code__in=list(supervisors - in_file))
        }
        for code, staff in outside.items():
            if not staff.is_supervisor:
                staff.is_supervisor = True
                await staff.save(update_fields=["is_supervisor"])
        for row in rows:
            boss = staff_by_code.get(row.supervisor_code) or outside.get(row.supervisor_code)
            person = staff_by_code[row.employee_code]
            if person.supervisor_id != (boss.id if boss else None):
                person.supervisor = boss
                await person.save(update_fields=["supervisor_id"])
    return result


def _cycles(rows: list[RosterRow]) -> list[str]:
    boss = {r.employee_code: r.supervisor_code for r in rows if r.supervisor_code}
    line = {r.employee_code: r.line for r in rows}
    errors, reported = [], set()
    for start in boss:
        seen, code = [], start
        while code in boss and code not in seen:
            seen.append(code)
            code = boss[code]
        if code == start and start not in reported:
            reported.update(seen)
            errors.append(f"บรรทัด {line[start]}: สายบังคับบัญชาวนกลับ ({' → '.join(seen + [start])})")
    return errors


async def _unit(path: tuple[str, ...], cache: dict[tuple[str, ...], Unit]) -> Unit:
    parent: Unit | None = None
    for depth in range(1, len(path) + 1):
        key = path[:depth]
        if key not in cache:
            unit = await (
                Unit.get_or_none(name=key[-1], parent_id=parent.id)
                if parent
                else Unit.get_or_none(name=key[-1], parent_id__isnull=True)
            )
            cache[key] = unit or await Unit.create(name=key[-1], parent=parent)
        parent = cache[key]
    assert parent is not None
    return parent
