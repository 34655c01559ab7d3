"""The yearly report: the XLSX opens with openpyxl and its numbers are right (read back), the CSV too,
and an admin gets it in chat (Telegram as a document, /sim saved, LINE told to use Telegram or the CLI)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from openpyxl import load_workbook

from fiscal.thai_dates import official_date
from tests.builders.paths import REPO
from tests.builders.progress import seed_team
from tests.builders.submissions import approved, this_round_start, this_year


async def run_cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(settings.data_dir)}
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def check_workbook(data: bytes) -> None:
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["รายบุคคล", "รายหน่วยงาน", "ตัวชี้วัด", "ใบประกาศที่อนุมัติ"]
    staff = book["รายบุคคล"]
    assert staff.freeze_panes == "A2"
    assert staff.column_dimensions["B"].width == 28
    table = rows(staff)
    assert table[0][:8] == ["รหัสบุคลากร", "ชื่อ-สกุล", "หน่วยงาน", "กลุ่มเป้าหมาย", "จำนวนหลักสูตร", "จำนวนชั่วโมง", "ผ่านเป้าหมาย", "การพัฒนาองค์ความรู้"]
    by_code = {r[0]: r for r in table[1:]}
    assert set(by_code) == {"E001", "E003", "E004", "E005", "E006", "E007"}
    digital = table[0].index("ทักษะดิจิทัล")
    other = table[0].index("นอกแคตตาล็อก")
    e5 = by_code["E005"]
    assert e5[1:7] == ["นางสุดา ขยันเรียน", "สำนักงานทดสอบ > กลุ่มส่งเสริม", "มีประสบการณ์", 2, 18, "ไม่ผ่าน"]
    assert (e5[digital], e5[other]) == (1, 1)
    e7 = by_code["E007"]
    assert e7[4:7] == [3, 9, "ผ่าน"] and e7[digital] == 3
    assert by_code["E006"][4:7] == [0, 0, "ไม่ผ่าน"]

    units = {r[0]: r for r in rows(book["รายหน่วยงาน"])[1:]}
    assert units["สำนักงานทดสอบ > กลุ่มส่งเสริม"][1:8] == [4, 2, 50.0, 2, 50.0, 1, 25.0]
    assert units["สำนักงานทดสอบ"][1:4] == [1, 0, 0.0]

    indicators = rows(book["ตัวชี้วัด"])
    assert indicators[0][:4] == ["กลุ่มเป้าหมาย", "จำนวนบุคลากร", "ได้รับการพัฒนา (คน)", "ร้อยละที่ได้รับการพัฒนา"]
    total = indicators[1]
    assert total[:10] == ["ทั้งหน่วยงาน", 6, 2, 33.3, 2, 33.3, 1, 16.7, 5, 27]
    groups = {r[0]: r for r in indicators[2:]}
    assert groups["แรกบรรจุ"][1:8] == [2, 1, 50.0, 1, 50.0, 1, 50.0]
    assert groups["มีประสบการณ์"][1:8] == [2, 1, 50.0, 1, 50.0, 0, 0.0]

    certificates = rows(book["ใบประกาศที่อนุมัติ"])
    assert certificates[0][:8] == ["รหัสบุคลากร", "ชื่อ-สกุล", "หน่วยงาน", "หลักสูตร", "รหัสหลักสูตร", "หมวดหมู่", "จำนวนชั่วโมง", "วันที่สำเร็จ"]
    assert len(certificates) == 1 + 5  # the pending one is not a certificate of record
    first = certificates[1]
    assert first[:8] == ["E005", "นางสุดา ขยันเรียน", "สำนักงานทดสอบ > กลุ่มส่งเสริม", "Data Visualization", "DS01", "ทักษะดิจิทัล", 6, official_date(this_round_start())]
    assert first[9] == "นายประเสริฐ คุมงาน"
    assert certificates[2][5] == "นอกแคตตาล็อก"


async def test_cli_report_xlsx_reads_back(client, settings, tmp_path):
    await seed_team()
    await approved("E006", hours=6, on=this_round_start().replace(year=this_round_start().year - 2))  # another year
    out = tmp_path / "report.xlsx"
    result = await run_cli(settings, "report", "--fy", str(this_year()), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "6 staff, 1 met the target, 5 approved certificates" in result.stdout
    check_workbook(out.read_bytes())


async def test_cli_report_csv_reads_back(client, settings, tmp_path):
    await seed_team()
    out = tmp_path / "report.csv"
    result = await run_cli(settings, "report", "--fy", str(this_year()), "--out", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    assert table[0][:3] == ["รหัสบุคลากร", "ชื่อ-สกุล", "หน่วยงาน"]
    by_code = {r[0]: r for r in table[1:]}
    assert by_code["E005"][4:7] == ["2", "18", "ไม่ผ่าน"]
    assert by_code["E007"][4:7] == ["3", "9", "ผ่าน"]
    with (tmp_path / "report-indicators.csv").open(encoding="utf-8-sig") as fh:
        indicators = list(csv.reader(fh))
    assert indicators[1][:8] == ["ทั้งหน่วยงาน", "6", "2", "33.3", "2", "33.3", "1", "16.7"]
    with (tmp_path / "report-certificates.csv").open(encoding="utf-8-sig") as fh:
        assert len(list(csv.reader(fh))) == 1 + 5


async def test_round_report_counts_only_that_round(client, settings, tmp_path):
    await seed_team()
    start = this_round_start()
    other_round = 2 if start.month == 10 else 1
    out = tmp_path / "r.xlsx"
    result = await run_cli(settings, "report", "--fy", str(this_year()), "--round", str(other_round), "--out", str(out))
    assert result.returncode == 0, result.stderr
    book = load_workbook(out)
    assert {r[0]: r[4] for r in rows(book["รายบุคคล"])[1:]}["E005"] == 0
    assert len(rows(book["ใบประกาศที่อนุมัติ"])) == 1


async def test_admin_asks_for_the_report_in_chat(client, settings, telegram_api, chat_user):
    await seed_team()
    admin = await chat_user.linked("E003")
    await admin.says(f"รายงาน {this_year()}")
    if chat_user.channel == "telegram":
        # Telegram sends the workbook itself.
        sent = [m for m in telegram_api.messages_to(admin.user_id) if m.get("document")]
        assert sent, admin.texts()
        document = sent[-1]["document"]  # the multipart upload as the fake received it
        assert document.filename == f"report-{this_year()}.xlsx"
        assert f"รายงาน ปีงบประมาณ {this_year()} (บุคลากร 6 คน, ใบประกาศ 5 รายการ)" in "\n".join(admin.texts())
        check_workbook(document.data)
    elif chat_user.channel == "line":
        # LINE cannot send a file: the admin is told where to get it.
        assert "LINE ส่งไฟล์ให้ไม่ได้ค่ะ" in admin.last() and f"--fy {this_year()}" in admin.last()
    else:
        # /sim saves the file on the machine the simulator runs on and names it, without the server path.
        path = settings.data_dir / "reports" / f"report-{this_year()}.xlsx"
        shown = "\n".join(admin.texts())
        assert f"ชื่อ report-{this_year()}.xlsx" in shown
        assert str(settings.data_dir) not in shown
        check_workbook(path.read_bytes())


async def test_round_report_on_sim_and_staff_refused(client, settings, users_on, chat_user):
    await seed_team()
    sim = await users_on("sim").linked("E003")
    await sim.says(f"รายงาน {this_year()} รอบ 1")
    path = settings.data_dir / "reports" / f"report-{this_year()}-r1.xlsx"
    shown = "\n".join(sim.texts())
    assert f"บันทึกไฟล์รายงาน ปีงบประมาณ {this_year()} รอบที่ 1ชื่อ report-{this_year()}-r1.xlsx" in shown
    assert path.exists()
    staff = await chat_user.linked("E005")
    await staff.says(f"รายงาน {this_year()}")
    assert "ไม่มีสิทธิ์" in staff.last()
