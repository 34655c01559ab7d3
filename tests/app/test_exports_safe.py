"""Files the service writes are safe to open: no formulas from user text in CSV/XLSX, no climbing
archive entry names in a PDPA export, and owner-only permissions from the moment a file exists."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from reports.files import build
from reports.safe_cells import neutralise
from storage.files import FileStore
from storage.models import Staff
from storage.personal_data import export_person
from storage.private_files import private_output
from tests.builders.paths import REPO
from tests.builders.roster import PROGRESS_TEAM_CSV, load_roster
from tests.builders.submissions import approved, this_year

FORMULA = '=HYPERLINK("http://x.example/steal","คลิก")'


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_only_text_that_starts_a_formula_is_changed():
    assert [neutralise(v) for v in ("=1+1", "+66 81", "-x", "@SUM(A1)", "\tx", "\rx", "นาย ก", "a=b", "")] == [
        "'=1+1", "'+66 81", "'-x", "'@SUM(A1)", "'\tx", "'\rx", "นาย ก", "a=b", "",
    ]
    assert [neutralise(v) for v in (-5, 6.5, None, True)] == [-5, 6.5, None, True]


async def test_course_title_formula_is_plain_text_in_csv_and_xlsx_reports(client, tmp_path):
    await load_roster(PROGRESS_TEAM_CSV)
    sub = await approved("E005", title=FORMULA, hours=6)

    _, paths = await build(this_year(), None, tmp_path / "report.csv")
    certificates = next(p for p in paths if p.name == "report-certificates.csv")
    with certificates.open(encoding="utf-8-sig") as fh:
        row = next(r for r in csv.reader(fh) if r[-1] == str(sub.id))
    assert row[3] == "'" + FORMULA
    assert row[6] == "6"

    await build(this_year(), None, tmp_path / "report.xlsx")
    sheet = load_workbook(tmp_path / "report.xlsx")["ใบประกาศที่อนุมัติ"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[-1].value == sub.id)
    assert (row[3].value, row[3].data_type) == ("'" + FORMULA, "s")
    assert row[6].value == 6  # numbers stay numbers


async def test_export_entry_names_cannot_leave_their_folder(client, tmp_path):
    await load_roster(PROGRESS_TEAM_CSV)
    files = FileStore(tmp_path / "files")
    stored = files.put_sync(b"%PDF-1.4 certificate")
    sub = await approved("E005")
    sub.file_sha256, sub.file_name = stored.sha256, "x.../../../evil"
    await sub.save()
    tidy = await approved("E005")
    tidy.file_sha256, tidy.file_name = stored.sha256, "ใบประกาศ.PDF"
    await tidy.save()

    archive = zipfile.ZipFile(io.BytesIO(await export_person(await Staff.get(employee_code="E005"), files)))
    assert sorted(archive.namelist()) == sorted(
        ["data.json", f"certificates/{sub.id}.bin", f"certificates/{tidy.id}.pdf"]
    )


def test_private_output_is_owner_only_before_the_first_byte(tmp_path):
    target = tmp_path / "out" / "codes.csv"
    target.parent.mkdir()
    target.write_text("old, world-readable\n")
    target.chmod(0o644)
    previous = os.umask(0)
    try:
        with private_output(target, "w", encoding="utf-8") as fh:
            assert stat.S_IMODE(os.fstat(fh.fileno()).st_mode) == 0o600
            assert target.read_text() == "old, world-readable\n"  # replaced only when complete
            fh.write("E005,ABCD-1234\n")
    finally:
        os.umask(previous)
    assert target.read_text() == "E005,ABCD-1234\n"
    assert mode_of(target) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["codes.csv"]


async def test_cli_outputs_are_owner_only_even_with_umask_zero(client, settings, tmp_path):
    await load_roster(PROGRESS_TEAM_CSV)
    await approved("E005")
    env = {**os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(settings.data_dir)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True, text=True,
            timeout=120, preexec_fn=lambda: os.umask(0),
        )

    report = tmp_path / "report.csv"
    codes = tmp_path / "codes.csv"
    export = tmp_path / "e005.zip"
    for args in (
        ("report", "--fy", str(this_year()), "--out", str(report)),
        ("link-codes", "--out", str(codes)),
        ("person", "export", "E005", "--out", str(export)),
    ):
        result = await asyncio.to_thread(run, *args)
        assert result.returncode == 0, result.stderr
    written = [report, *tmp_path.glob("report-*.csv"), codes, export]
    assert len(written) == 6
    assert {p.name: mode_of(p) for p in written} == {p.name: 0o600 for p in written}
