"""Retention: certificate images go after their period while the record and the reports stay; processed
raw events and sent messages go after theirs while pending work stays; erasure keeps the reports' sums.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from decimal import Decimal

from PIL import Image

from reports.data import collect
from scheduler.retention import sweep_retention
from storage import notices, reminders
from storage.models import (
    AuditRecord, InboundEvent, NoticeRecipient, OutboxMessage, PromptMessage, ReminderSent, Staff, Submission,
)
from storage.personal_data import erase_person, export_person
from storage.retention import IMAGE_REMOVED
from tests.builders.chat import link
from tests.builders.notices import sent_notice
from tests.builders.paths import REPO
from tests.builders.roster import TEAM_CSV, load_roster
from tests.builders.submissions import confirm, read_submission, this_round_start, this_year

DAY = dt.timedelta(days=1)


def _picture(seed: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 60), "white").save(out, "PNG")
    return out.getvalue() + seed.encode()


async def _decided(services, code: str, seed: str, *, days_ago: float, status: str = "approved") -> Submission:
    """A certificate of `code` decided `days_ago` days ago, its image stored as long ago."""
    stored = await services.files.put(_picture(seed))
    written = time.time() - days_ago * 86400
    os.utime(stored.path, (written, written))
    return await Submission.create(
        staff=await Staff.get(employee_code=code), status=status, channel="line", chat="U-not-used",
        file_sha256=stored.sha256, file_name="c.png", file_mime="image/png", file_size=stored.size,
        course_title="การเขียนหนังสือราชการ", kind="course", hours=Decimal(6), completed_on=this_round_start(),
        fiscal_year=this_year(), decided_by=await Staff.get(employee_code="E004"),
        decided_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago),
    )


def _figures(report) -> tuple:
    """The yearly report's sums: the agency row, categories, certificates listed and their hours."""
    total = report.total
    return (
        (total.staff, total.developed, total.met, total.courses, total.hours),
        report.categories,
        len(report.certificates),
        sum(c.hours for c in report.certificates),
    )


async def test_an_image_past_its_period_goes_while_the_record_and_the_report_stay(client, services):
    await load_roster(TEAM_CSV)
    old = await _decided(services, "E005", "old", days_ago=400)
    rejected = await _decided(services, "E006", "rejected", days_ago=366, status="rejected")
    recent = await _decided(services, "E006", "recent", days_ago=30)
    # The same picture sent again by someone else, decided recently: the file stays for them.
    shared_old = await _decided(services, "E005", "shared", days_ago=500)
    shared_new = await _decided(services, "E006", "shared", days_ago=5)
    assert shared_new.file_sha256 == shared_old.file_sha256
    link = services.links.path(old.file_sha256)
    assert (await client.get(link)).status == 200
    before = _figures(await collect(this_year()))

    counts = await sweep_retention(services)

    assert (counts.images, counts.files) == (2, 2)
    assert not services.files.path_for(old.file_sha256).exists()
    assert not services.files.path_for(rejected.file_sha256).exists()
    assert services.files.path_for(recent.file_sha256).exists()
    assert services.files.path_for(shared_old.file_sha256).exists()
    kept = await Submission.get(id=old.id)
    assert (kept.status, kept.file_sha256, kept.course_title, kept.hours, kept.completed_on) == (
        "approved", old.file_sha256, "การเขียนหนังสือราชการ", Decimal(6), this_round_start(),
    )
    assert (await AuditRecord.get(submission_id=old.id, action=IMAGE_REMOVED)).detail == {
        "reason": "retention", "days": 365,
    }
    assert _figures(await collect(this_year())) == before
    # Whoever still holds a link is told politely that the file is gone.
    response = await client.get(link)
    assert response.status == 410
    assert "ถูกลบแล้วตามระยะเวลาการเก็บรักษา" in await response.text()
    # Again: nothing more goes, and nothing is recorded twice.
    again = await sweep_retention(services)
    assert (again.images, again.files) == (0, 0)
    assert await AuditRecord.filter(action=IMAGE_REMOVED).count() == 2
    # Once the other copy's period ends too, the shared file goes.
    later = await sweep_retention(services, dt.datetime.now(dt.UTC) + 366 * DAY)
    assert not services.files.path_for(shared_old.file_sha256).exists()
    assert later.images == 3  # both holders of the shared file, and the recent one


async def test_processed_events_and_sent_messages_go_after_their_period(client, services, telegram_user):
    await load_roster(TEAM_CSV)
    owner = await link(telegram_user(), "E005")
    boss = await link(telegram_user(), "E004")
    await owner.says("ความก้าวหน้า")
    sub = await read_submission(services, "E005")
    await confirm(owner, sub)
    prompt = boss.last()
    assert "ขออนุมัติใบประกาศ #" in prompt
    now = time.time()
    # Work still to do: an event another process holds, a message waiting for its retry.
    waiting_event = await InboundEvent.create(
        event_id="telegram:999999", channel="telegram", user_key="telegram:1", payload={}, received_at=now - 40 * 86400,
        lease_until=now + 3600, lease_owner="another-process",
    )
    waiting_message = await OutboxMessage.create(
        channel="telegram", chat="1", payload=[{"text": "x"}], created_at=now - 40 * 86400, next_attempt_at=now + 3600,
    )
    done = await InboundEvent.filter(status="done").count()
    sent = await OutboxMessage.filter(status="sent").count()
    assert done >= 4 and sent >= 4
    [prompt_row] = await PromptMessage.all().values_list("outbox_id", flat=True)

    assert (await sweep_retention(services)).total == 0  # nothing is 30 days old yet
    counts = await sweep_retention(services, dt.datetime.now(dt.UTC) + 31 * DAY)

    assert (counts.events, counts.messages, counts.messages_blanked) == (done, sent - 1, 1)
    assert not await InboundEvent.filter(status="done").exists()
    assert await InboundEvent.exists(id=waiting_event.id)
    assert await OutboxMessage.exists(id=waiting_message.id)
    # The open prompt's message keeps its row (its Telegram message id closes it) without its content.
    kept = await OutboxMessage.get(status="sent")
    assert (kept.id, kept.payload) == (prompt_row, [])
    await waiting_event.delete()  # let the test's waits for an empty inbox end
    await boss.presses("✅ อนุมัติ")
    assert prompt not in boss.texts()  # edited in place on Telegram, as before the sweep
    assert any(f"รายการ #{sub.id}: อนุมัติแล้วโดย" in text for text in boss.texts())


async def test_the_retention_command_prints_the_periods_and_counts_then_sweeps(client, services, settings):
    await load_roster(TEAM_CSV)
    old = await _decided(services, "E005", "old", days_ago=400)
    env = {
        **os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(settings.data_dir),
        "CERT_IMAGE_RETENTION_DAYS": "365", "EVENT_RETENTION_DAYS": "30",
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot", "retention", *args], cwd=REPO, env=env, capture_output=True, text=True,
            timeout=120,
        )

    shown = await asyncio.to_thread(run)
    assert shown.returncode == 0, shown.stderr
    assert "kept 365 days after the decision" in shown.stdout and "kept 30 days" in shown.stdout
    assert "certificate images: 1 submissions, 1 stored files" in shown.stdout
    assert services.files.path_for(old.file_sha256).exists()  # counting deletes nothing
    swept = await asyncio.to_thread(run, "--run")
    assert swept.returncode == 0, swept.stderr
    assert "removed now:" in swept.stdout and "certificate images: 1 submissions" in swept.stdout
    assert not services.files.path_for(old.file_sha256).exists()


NAME_PARTS = ("สุดา", "ขยันเรียน")


async def _rows_naming_her() -> list[str]:
    """Rows of every table that carry her first or last name."""
    import inspect

    from tortoise.models import Model

    import storage.models as models

    found = []
    for name, model in inspect.getmembers(models, inspect.isclass):
        if issubclass(model, Model) and model is not Model and model.__module__ == models.__name__:
            for row in await model.all().values():
                text = json.dumps(row, ensure_ascii=False, default=str)
                if any(part in text for part in NAME_PARTS):
                    found.append(f"{name}: {text[:200]}")
    return found


async def test_erasure_leaves_no_name_or_image_and_the_sums_of_past_reports(client, services, line_user):
    await load_roster(TEAM_CSV)
    her = await link(line_user(), "E005")
    approved = await _decided(services, "E005", "approved", days_ago=20)
    staff = await Staff.get(employee_code="E005")
    notice = await sent_notice(delivered=["E005", "E006"])
    await her.sends_action(f"ack|{notice.id}")
    assert "บันทึกการรับทราบแล้ว" in her.last()
    await reminders.claim([staff.id], this_year(), 1, reminders.STAFF_KIND, 7, dt.datetime.now(dt.UTC))
    await reminders.pause(staff, this_year(), 1)
    await reminders.choose(staff, "line")
    exported = json.loads(zipfile.ZipFile(io.BytesIO(await export_person(staff, services.files))).read("data.json"))
    assert [(n["notice_id"], n["state"], n["ack_channel"]) for n in exported["notices"]] == [
        (notice.id, "delivered", "line"),
    ]
    assert exported["notices"][0]["acknowledged_at"] and exported["notices"][0]["subject"] == "ประชุมประจำเดือน"
    assert [(r["kind"], r["offset_days"]) for r in exported["reminders_sent"]] == [("staff", 7)]
    assert exported["reminder_pauses"] and exported["reminder_choice"][0]["channel"] == "line"
    # What leaving alone does to the report: she is no longer counted among the active staff.
    await Staff.filter(id=staff.id).update(active=False)
    after_leaving = _figures(await collect(this_year()))
    await Staff.filter(id=staff.id).update(active=True)
    counts_before = (await notices.counts([notice.id]))[notice.id]
    assert await _rows_naming_her()

    report = await erase_person(staff, services.files)

    assert await _rows_naming_her() == []
    assert not services.files.path_for(approved.file_sha256).exists()
    assert (report.submissions_kept, report.notice_receipts, report.reminders) == (1, 1, 3)
    assert _figures(await collect(this_year())) == after_leaving  # her certificate is still counted
    assert (await notices.counts([notice.id]))[notice.id] == counts_before
    kept = await Submission.get(id=approved.id)
    assert (kept.chat, kept.file_name, kept.name_read, kept.hours) == ("", None, None, Decimal(6))
    assert await AuditRecord.exists(submission_id=approved.id, action=IMAGE_REMOVED)
    receipt = await NoticeRecipient.get(notice_id=notice.id, staff_id=staff.id)
    assert receipt.acknowledged_at and receipt.ack_channel is None
    assert not await ReminderSent.filter(staff_id=staff.id).exists()
    assert not await OutboxMessage.filter(chat=her.user_id).exists()
    # The retention sweep later has nothing left of hers to do.
    assert (await sweep_retention(services, dt.datetime.now(dt.UTC) + 400 * DAY)).images == 0
