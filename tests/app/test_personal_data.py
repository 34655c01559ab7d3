"""PDPA: one person's data can be exported whole and erased, leaving other people's records intact."""

from __future__ import annotations

import io
import json
import zipfile

from storage.models import AuditRecord, ChatIdentity, Staff, Submission
from storage.personal_data import erase_person, export_person
from tests.builders.chat import link
from tests.builders.paths import REPO
from tests.builders.roster import TEAM_CSV, load_roster
from tests.builders.submissions import confirm, read_submission


async def test_export_then_erase_one_person(client, services, line_user):
    await load_roster(TEAM_CSV)
    owner = await link(line_user(), "E005")
    sub = await read_submission(services, "E005")
    await confirm(owner, sub)
    other = await read_submission(services, "E006")
    staff = await Staff.get(employee_code="E005")

    archive = zipfile.ZipFile(io.BytesIO(await export_person(staff, services.files)))
    data = json.loads(archive.read("data.json"))
    assert data["staff"]["first_name"] == "สุดา"
    assert [s["id"] for s in data["submissions"]] == [sub.id]
    assert {a["action"] for a in data["audit"]} == {"confirmed"}
    assert f"certificates/{sub.id}.png" in archive.namelist()

    report = await erase_person(staff, services.files)
    assert (report.submissions, report.files, report.identities) == (1, 1, 1)
    assert not await Submission.filter(staff_id=staff.id).exists()
    assert not await ChatIdentity.filter(staff_id=staff.id).exists()
    assert not await AuditRecord.filter(submission_id=sub.id).exists()
    assert not services.files.path_for(sub.file_sha256).exists()
    erased = await Staff.get(id=staff.id)
    assert (erased.first_name, erased.last_name, erased.active) == ("(ลบแล้ว)", "", False)
    # Someone else's certificate is untouched.
    assert await Submission.filter(id=other.id).exists()
    assert services.files.path_for(other.file_sha256).exists()
    # The erased account is no longer linked: the chat is treated as a stranger.
    await owner.says("ฉันคือใคร")
    assert "ยังไม่ได้เชื่อม" in owner.last()


async def test_person_cli_export_and_erase(client, services, settings, tmp_path):
    import asyncio
    import os
    import subprocess
    import sys

    await load_roster(TEAM_CSV)
    await read_submission(services, "E005")
    env = {**os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(settings.data_dir)}
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot", "person", *a], cwd=REPO,
        env=env, capture_output=True, text=True, timeout=120,
    )
    out = tmp_path / "e005.zip"
    exported = await asyncio.to_thread(run, "export", "E005", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "data.json" in zipfile.ZipFile(out).namelist()
    refused = await asyncio.to_thread(run, "erase", "E005")
    assert refused.returncode == 2 and await Submission.filter(staff__employee_code="E005").exists()
    erased = await asyncio.to_thread(run, "erase", "E005", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert "erased: 1 submissions" in erased.stdout
    assert not await Submission.filter(staff__employee_code="E005").exists()


def _mentions(text: str) -> list[str]:
    """Which of E005's identifiers a text contains (code as a whole word, or her name)."""
    import re

    return [m.group(0) for m in re.finditer(r"(?<![A-Za-z0-9])E005(?![A-Za-z0-9])|สุดา|ขยันเรียน", text)]


def _files_mentioning(data_dir) -> dict[str, list[str]]:
    """Files under the data directory (zip members read too) that mention E005; the database is left out."""
    import zipfile as zf

    found: dict[str, list[str]] = {}
    for path in data_dir.rglob("*"):
        if not path.is_file() or path.name.startswith("bot.sqlite3"):
            continue  # the database is searched row by row
        blobs = [path.read_bytes()]
        if zf.is_zipfile(path):
            with zf.ZipFile(path) as archive:
                blobs += [archive.read(name) for name in archive.namelist()]
        hits = [hit for blob in blobs for hit in _mentions(blob.decode("utf-8", "ignore"))]
        if hits:
            found[str(path.relative_to(data_dir))] = hits
    return found


async def _rows_mentioning(erased_id: int) -> dict[str, list]:
    """Rows of every table (every model in storage.models) that mention E005, except her roster row."""
    import inspect

    from tortoise.models import Model

    import storage.models as models

    found: dict[str, list] = {}
    for name, model in inspect.getmembers(models, inspect.isclass):
        if not issubclass(model, Model) or model is Model or model.__module__ != models.__name__:
            continue
        for row in await model.all().values():
            if model is Staff and row["id"] == erased_id:
                continue
            text = json.dumps(row, ensure_ascii=False, default=str)
            if _mentions(text):
                found.setdefault(name, []).append(text[:300])
    return found


async def test_erasure_leaves_no_trace_in_any_table_or_file(client, services, settings, line_user, telegram_user):
    import datetime as dt
    import hashlib
    import os
    import time

    from tortoise.expressions import Q

    from reports.files import build, chat_reports_dir
    from storage.models import Course, Delegation, InboundEvent, OutboxMessage, RequiredCourse

    await load_roster(TEAM_CSV)
    on_line = await link(line_user(), "E005")
    on_telegram = await link(telegram_user(), "E005")
    boss = await link(line_user(), "E004")
    admin = await link(telegram_user(), "E001")
    await on_line.says("ความก้าวหน้า")
    await on_telegram.says("รายการของฉัน")
    sub = await read_submission(services, "E005")
    await confirm(on_line, sub)
    assert "นางสุดา ขยันเรียน" in boss.last()  # the approval prompt names her
    other = await read_submission(services, "E006")
    staff, e004, e006 = [await Staff.get(employee_code=c) for c in ("E005", "E004", "E006")]
    course = await Course.filter(code__isnull=False).first()
    await RequiredCourse.create(staff=staff, course=course, fiscal_year=2570, assigned_by=e004)
    await RequiredCourse.create(staff=e006, course=course, fiscal_year=2570, assigned_by=e004)
    today = dt.date.today()
    await Delegation.create(supervisor=staff, delegate=e006, starts_on=today, ends_on=today, created_by=staff)
    await Delegation.create(supervisor=e004, delegate=staff, starts_on=today, ends_on=today, created_by=e004)
    await AuditRecord.create(
        submission_id=other.id, action="escalated", from_state="confirmed", to_state="confirmed",
        detail={"from_approver": "E005", "to_approver": "E004"},
    )
    await boss.says("กำหนดหลักสูตร E005")  # someone else's message that names her
    roster_file = TEAM_CSV.encode()
    await admin.sends_file(roster_file, "roster.csv")
    assert "นำเข้ารายชื่อเรียบร้อย" in admin.last()
    upload = services.files.path_for(hashlib.sha256(roster_file).hexdigest())
    old = time.time() - 3600
    os.utime(upload, (old, old))  # an upload long finished, not one in flight
    await build(2570, None, chat_reports_dir(settings.data_dir) / "report-2570.xlsx")
    assert await _rows_mentioning(staff.id) and _files_mentioning(settings.data_dir)  # the search finds her

    report = await erase_person(staff, services.files, chat_reports_dir(settings.data_dir))

    assert await _rows_mentioning(staff.id) == {}
    assert _files_mentioning(settings.data_dir) == {}
    erased = await Staff.get(id=staff.id)
    assert (erased.title, erased.first_name, erased.last_name, erased.position) == ("", "(ลบแล้ว)", "", "")
    assert (report.submissions, report.identities, report.required_courses, report.delegations) == (1, 2, 1, 2)
    assert report.events >= 4 and report.outbox_messages >= 3
    assert (report.report_files, report.orphaned_files, report.audit_records_scrubbed) == (1, 1, 1)
    assert not await InboundEvent.filter(user_key__in=[f"line:{on_line.user_id}", f"telegram:{on_telegram.user_id}"]).exists()
    assert not await RequiredCourse.filter(staff_id=staff.id).exists()
    assert not await Delegation.filter(Q(supervisor_id=staff.id) | Q(delegate_id=staff.id)).exists()
    # Other people's data is intact.
    assert await Submission.filter(id=other.id).exists()
    assert services.files.path_for(other.file_sha256).exists()
    assert await RequiredCourse.filter(staff_id=e006.id).exists()
    assert await ChatIdentity.filter(staff_id=e004.id).exists()
    assert (await AuditRecord.get(submission_id=other.id, action="escalated")).detail == {
        "from_approver": "(ลบแล้ว)", "to_approver": "E004",
    }
    assert (await Staff.get(employee_code="E006")).first_name == "ธนา"
    assert await OutboxMessage.filter(chat=boss.user_id).exists()  # his own replies stay
    await boss.says("ฉันคือใคร")
    assert "ประเสริฐ" in boss.last()
