"""Roster import: in chat by an admin, and from the command line; a broken file imports nothing."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import openpyxl
import pytest

from storage import roster
from storage.models import Staff, Unit
from tests.builders.paths import REPO
from tests.builders.roster import ROSTER_CSV, code_for, load_roster


BROKEN_CSV = """employee_code,title,first_name,last_name,position,unit,supervisor_code,role,target_group
N100,นาย,ใหม่หนึ่ง,ทดสอบ,นักวิชาการ,สำนักงานทดสอบ,E001,staff,
N101,นาง,,ไม่มีชื่อ,นักวิชาการ,สำนักงานทดสอบ,E001,staff,
N102,นาย,ผิดบทบาท,ทดสอบ,นักวิชาการ,สำนักงานทดสอบ,E001,boss,
"""
GOOD_CSV = """รหัสบุคลากร,คำนำหน้า,ชื่อ,นามสกุล,ตำแหน่ง,หน่วยงาน,รหัสผู้บังคับบัญชา,บทบาท,กลุ่มเป้าหมาย
N100,นาย,ใหม่หนึ่ง,ทดสอบ,นักวิชาการ,สำนักงานทดสอบ > กลุ่มใหม่,E001,บุคลากร,แรกบรรจุ
E002,นาย,สมชาย,ทดสอบดี,นักวิชาการศึกษาชำนาญพิเศษ,สำนักงานทดสอบ > กลุ่มส่งเสริม,E001,staff,มีประสบการณ์
"""


async def admin_on(channel, line_user, telegram_user):
    await load_roster()
    user = line_user() if channel == "line" else telegram_user()
    await user.says(await code_for("E003"))  # E003 is an admin
    return user


@pytest.mark.parametrize("channel", ["line", "telegram"])
async def test_admin_roster_with_a_broken_row_is_refused_whole(client, channel, line_user, telegram_user):
    admin = await admin_on(channel, line_user, telegram_user)
    before = await Staff.all().count()
    await admin.sends_file(BROKEN_CSV.encode(), "roster.csv")
    reply = admin.last()
    assert "ไฟล์รายชื่อมีข้อผิดพลาด 2 รายการ" in reply
    assert "บรรทัด 3: ไม่มี first_name" in reply
    assert "บรรทัด 4: บทบาทไม่รู้จัก: boss" in reply
    assert await Staff.all().count() == before
    assert not await Staff.exists(employee_code="N100")


@pytest.mark.parametrize("channel", ["line", "telegram"])
async def test_admin_roster_with_thai_headers_is_imported(client, channel, line_user, telegram_user):
    admin = await admin_on(channel, line_user, telegram_user)
    await admin.sends_file(GOOD_CSV.encode("utf-8-sig"), "รายชื่อ.csv")
    assert "นำเข้ารายชื่อเรียบร้อยค่ะ เพิ่มใหม่ 1 คน ปรับปรุง 1 คน" in admin.last()
    newcomer = await Staff.get(employee_code="N100").select_related("unit__parent", "supervisor")
    assert newcomer.unit.name == "กลุ่มใหม่" and newcomer.unit.parent.name == "สำนักงานทดสอบ"
    assert newcomer.supervisor.employee_code == "E001"
    assert (await Staff.get(employee_code="E002")).position == "นักวิชาการศึกษาชำนาญพิเศษ"


async def test_staff_cannot_import_a_roster(client, line_user):
    await load_roster()
    user = line_user()
    await user.says(await code_for("E002"))
    await user.sends_file(GOOD_CSV.encode(), "roster.csv")
    assert "นำเข้า" not in user.last()
    assert not await Staff.exists(employee_code="N100")


async def test_xlsx_roster(client):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(ROSTER_CSV)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    rows, errors = roster.parse(roster.read_table(buffer.getvalue(), "staff.xlsx"))
    result = await roster.import_roster(rows, errors)
    assert (result.ok, result.created) == (True, 3)
    assert await Unit.filter(name="กลุ่มอำนวยการ").count() == 1


async def test_unknown_supervisor_and_cycles_are_errors(client):
    text = """employee_code,first_name,last_name,supervisor_code
A1,ก,ข,A2
A2,ค,ง,A1
A3,จ,ฉ,ZZZ
"""
    rows, errors = roster.parse(roster.read_table(text.encode(), "r.csv"))
    result = await roster.import_roster(rows, errors)
    assert not result.ok
    assert any("ไม่พบผู้บังคับบัญชารหัส ZZZ" in e for e in result.errors)
    assert any("วนกลับ" in e for e in result.errors)
    assert await Staff.all().count() == 0


def test_duplicate_codes_and_missing_columns_name_their_lines():
    dup = "employee_code,first_name,last_name\nX1,a,b\nX1,c,d\n"
    _, errors = roster.parse(roster.read_table(dup.encode(), "r.csv"))
    assert errors == ["บรรทัด 3: รหัส X1 ซ้ำกับบรรทัด 2"]
    _, errors = roster.parse(roster.read_table(b"name,unit\nA,B\n", "r.csv"))
    assert errors[0].startswith("บรรทัด 1: ไม่มีคอลัมน์")
    with pytest.raises(roster.RosterError):
        roster.read_table(b"\x00\x01", "r.pdf")


@pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "sqlite", reason="CLI test uses its own SQLite file")
def test_cli_import_roster_and_link_codes(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", "DEMO_ROSTER": "false"}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    broken = tmp_path / "broken.csv"
    broken.write_text(ROSTER_CSV + BROKEN_CSV.split("\n", 1)[1], encoding="utf-8")
    result = run("import-roster", str(broken))
    assert result.returncode == 1
    assert "nothing was imported" in result.stderr and "บรรทัด 6" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text(ROSTER_CSV, encoding="utf-8")
    assert run("import-roster", str(good)).returncode == 0
    out = tmp_path / "codes.csv"
    result = run("link-codes", "--out", str(out))
    assert result.returncode == 0, result.stderr
    codes = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [c["employee_code"] for c in codes] == ["E001", "E002", "E003"]
    assert len({c["link_code"] for c in codes}) == 3
    assert all(len(c["link_code"]) == 8 for c in codes)
