"""PDPA: one person's data can be exported whole and erased, leaving other people's records intact."""

from __future__ import annotations

import io
import json
import zipfile

from storage.models import AuditRecord, ChatIdentity, Staff, Submission
from storage.personal_data import erase_person, export_person
from tests.test_approvals_e2e import ROSTER, confirm, link, read_submission
from tests.roster_data import load_roster


async def test_export_then_erase_one_person(client, services, line_user):
    await load_roster(ROSTER)
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
    from pathlib import Path

    await load_roster(ROSTER)
    await read_submission(services, "E005")
    env = {**os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(settings.data_dir)}
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot", "person", *a], cwd=Path(__file__).resolve().parents[1],
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
