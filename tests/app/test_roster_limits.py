"""Roster files cannot exhaust memory: declared sheet sizes are ignored, rows, columns and cells are capped,
and an admin's oversized or overlong roster is refused whole with a Thai answer."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import zipfile

import pytest

from storage import roster
from storage.models import Staff
from tests.builders.paths import REPO
from tests.builders.roster import code_for, load_roster

HEADER = "employee_code,title,first_name,last_name,position,unit,supervisor_code,role,target_group"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def hostile_xlsx(empty_rows: int, dimension: str = "A1:XFD1048576") -> bytes:
    """A small XLSX whose sheet claims to span `dimension` and holds a header and many empty rows."""
    header = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for col, name in zip("ABCD", ("employee_code", "first_name", "last_name", "role"), strict=True)
    )
    rows = "".join(f'<row r="{n}"/>' for n in range(2, empty_rows + 2))
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><dimension ref="{dimension}"/>'
        f'<sheetData><row r="1">{header}</row>{rows}</sheetData></worksheet>'
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<sheets><sheet name="roster" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_xlsx_bomb_is_refused_within_a_memory_limit(tmp_path):
    """200,000 empty rows under A1:XFD1048576: 3.3e9 padded cells before the fix; refused in 1 GB now."""
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(hostile_xlsx(200_000))
    assert bomb.stat().st_size < 1024 * 1024
    script = textwrap.dedent(
        f"""
        import resource, sys
        from storage import roster
        data = open({str(bomb)!r}, "rb").read()
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        try:
            roster.read_table(data, "bomb.xlsx")
        except roster.RosterError as exc:
            print("refused", exc.reason, exc.values["limit"])
        except MemoryError:
            print("MemoryError")
        else:
            print("accepted")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == f"refused too_many_rows {roster.MAX_ROWS}", result.stdout + result.stderr


def test_declared_sheet_size_is_not_what_rows_are_padded_to():
    table = roster.read_table(hostile_xlsx(3), "roster.xlsx")
    assert table == [["employee_code", "first_name", "last_name", "role"], [], [], []]


def test_cells_beyond_the_column_limit_are_ignored():
    wide = ",".join(["employee_code", "first_name", "last_name"] + ["x"] * 5000)
    table = roster.read_table(f"{wide}\nA1,ก,ข\n".encode(), "wide.csv")
    assert len(table[0]) == roster.MAX_COLUMNS
    assert table[1] == ["A1", "ก", "ข"]


def test_csv_with_too_many_rows_is_refused_whole():
    lines = [HEADER] + [f"A{n},,ก,ข,,,,," for n in range(roster.MAX_ROWS + 1)]
    with pytest.raises(roster.RosterError) as refused:
        roster.read_table("\n".join(lines).encode(), "big.csv")
    assert refused.value.reason == "too_many_rows"
    exactly = "\n".join(lines[:-1]).encode()
    assert len(roster.read_table(exactly, "ok.csv")) == roster.MAX_ROWS + 1


def test_csv_with_a_huge_field_is_refused_not_crashed():
    runaway = f'{HEADER}\nA1,"{"ก" * 200_000}",x,y\n'.encode()
    with pytest.raises(roster.RosterError) as refused:
        roster.read_table(runaway, "runaway.csv")
    assert refused.value.reason == "unreadable_csv"
    long_cell = f"{HEADER}\nA1,,{'ก' * (roster.MAX_CELL_CHARS + 1)},y\n".encode()
    with pytest.raises(roster.RosterError) as refused:
        roster.read_table(long_cell, "long.csv")
    assert (refused.value.reason, refused.value.values["line"]) == ("cell_too_long", 2)


@pytest.fixture
def settings(settings, request):
    """The app's settings, with the roster cap a test asks for (indirect parametrize)."""
    cap = getattr(request, "param", None)
    return settings.model_copy(update={"roster_max_bytes": cap}) if cap else settings


async def admin(telegram_user):
    await load_roster()
    user = telegram_user()
    await user.says(await code_for("E003"))  # E003 is an admin
    return user


@pytest.mark.parametrize("settings", [4096], indirect=True)
async def test_admin_roster_over_the_roster_cap_is_refused_in_thai(client, telegram_user):
    user = await admin(telegram_user)
    rows = [HEADER] + [f"N{n:04d},นาย,ชื่อ{n},สกุล{n},นักวิชาการ,สำนักงานทดสอบ,E001,staff," for n in range(100)]
    data = "\n".join(rows).encode()
    assert len(data) > 4096
    await user.sends_file(data, "roster.csv")
    assert "ไฟล์รายชื่อใหญ่เกินไป" in user.last()
    assert not await Staff.exists(employee_code="N0001")


async def test_admin_roster_with_too_many_rows_gets_a_thai_answer(client, telegram_user):
    user = await admin(telegram_user)
    blank_rows = roster.MAX_ROWS + 1
    await user.sends_file(hostile_xlsx(blank_rows, dimension=f"A1:D{blank_rows + 1}"), "roster.xlsx")
    assert f"ไฟล์รายชื่อมีเกิน {roster.MAX_ROWS} แถว" in user.last()
