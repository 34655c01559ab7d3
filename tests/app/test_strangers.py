"""Strangers cannot fill the disk: nothing downloaded for unlinked senders, per-person limits,
a free-disk floor, and the sweep of files nobody references."""

from __future__ import annotations

import os
import time

from bot.rate_limits import SlidingWindowLimiter, Verdict
from config.texts import t
from scheduler import jobs
from storage.models import LinkAttempt, Staff, Submission
from tests.builders.roster import ROSTER_CSV, code_for, load_roster

LINE_CONTENT = "/v2/bot/message/{messageId}/content"
JPEG = b"\xff\xd8\xff\xe0" + b"not really a photo" * 20


def stored_hashes(services) -> list[str]:
    return [digest for digest, _ in services.files.stored()]


async def test_unlinked_line_user_file_is_never_downloaded(client, services, line_api, line_user):
    await load_roster()
    stranger = line_user()
    await stranger.sends_file(JPEG, "photo.jpg", image=True)
    await stranger.sends_file(b"x" * 5000, "big.pdf")
    assert stranger.last() == t("common.unlinked_file")
    assert stranger.texts().count(t("common.unlinked_file")) == 2
    assert line_api.calls_to(LINE_CONTENT) == []
    assert stored_hashes(services) == []


async def test_unlinked_telegram_user_file_is_never_downloaded(client, services, telegram_api, telegram_user):
    stranger = telegram_user()
    await stranger.sends_file(JPEG, "photo.jpg", image=True)
    assert stranger.last() == t("common.unlinked_file")
    assert telegram_api.calls_to("getFile") == []
    assert stored_hashes(services) == []


async def test_a_flood_of_messages_gets_one_answer(client, services, line_user):
    services.settings.max_messages_per_minute = 3
    user = line_user()
    for _ in range(7):
        await user.says("สวัสดีค่ะ")
    texts = user.texts()
    assert texts.count(t("limits.too_many_messages")) == 1
    assert len(texts) == 4  # three answered, one polite refusal, the rest dropped quietly
    other = line_user()  # limits are per person
    await other.says("สวัสดีค่ะ")
    assert t("limits.too_many_messages") not in other.texts()


async def test_a_flood_of_files_is_not_downloaded(client, services, line_api, line_user):
    await load_roster()
    services.settings.max_files_per_minute = 1
    admin = line_user()
    await admin.says(await code_for("E003"))
    for _ in range(4):
        await admin.sends_file(ROSTER_CSV.encode(), "roster.csv")
    assert len(line_api.calls_to(LINE_CONTENT)) == 1  # the admin's first roster file, as before
    assert admin.texts().count(t("limits.too_many_files")) == 1
    assert len(stored_hashes(services)) == 1


async def test_uploads_refused_when_the_disk_is_nearly_full(client, services, line_api, line_user, caplog):
    await load_roster()
    services.settings.min_free_disk_mb = 10**12  # more than any disk has
    user = line_user()
    await user.says(await code_for("E002"))
    await user.sends_file(JPEG, "cert.jpg", image=True)
    assert user.last() == t("limits.disk_full")
    assert "ไม่สามารถรับไฟล์ได้ชั่วคราว" in user.last()
    assert line_api.calls_to(LINE_CONTENT) == []
    assert stored_hashes(services) == []
    assert await Submission.all().count() == 0
    warnings = [r for r in caplog.records if "MIN_FREE_DISK_MB" in r.getMessage()]
    assert warnings and user.user_id not in warnings[0].getMessage()
    services.settings.min_free_disk_mb = 0  # space again: the same person's file is taken
    await user.sends_file(JPEG, "cert.jpg", image=True)
    assert len(line_api.calls_to(LINE_CONTENT)) == 1


async def test_sweep_removes_unreferenced_files_and_old_link_guesses(client, services):
    await load_roster()
    staff = await Staff.get(employee_code="E002")
    kept = await services.files.put(b"a certificate someone submitted")
    orphan = await services.files.put(b"a file nobody references")
    # No OCR job: the reader must not touch these bytes while the test runs.
    await Submission.create(
        staff=staff, channel="line", chat="U1", file_sha256=kept.sha256, file_mime="image/jpeg", file_size=1
    )
    now = time.time()
    await LinkAttempt.create(at=now - 2 * 86400, channel="line")
    await LinkAttempt.create(at=now, channel="telegram")
    crashed = orphan.path.parent / ".incoming-leftover"
    crashed.write_bytes(b"half")

    assert await jobs.sweep_orphans(services, now=now) == 0  # young files are spared
    assert orphan.path.exists() and crashed.exists()

    later = now + 2 * 3600
    assert await jobs.sweep_orphans(services, now=later) == 1
    assert kept.path.exists()
    assert not orphan.path.exists()
    assert not crashed.exists()
    assert await LinkAttempt.all().values_list("channel", flat=True) == ["telegram"]


async def test_sending_known_content_again_makes_it_young(services):
    first = await services.files.put(b"same bytes")
    old = time.time() - 10 * 3600
    os.utime(first.path, (old, old))
    assert services.files.age_of(first.sha256) > 9 * 3600
    await services.files.put(b"same bytes")
    assert services.files.age_of(first.sha256) < 3600


def test_sliding_window_answers_once_per_window_and_is_bounded():
    limiter = SlidingWindowLimiter(window=60, max_keys=3)
    verdicts = [limiter.check("a", 2, now=100 + i) for i in range(5)]
    assert verdicts == [Verdict.ALLOW, Verdict.ALLOW, Verdict.WARN, Verdict.DROP, Verdict.DROP]
    assert limiter.check("a", 2, now=160.5) is Verdict.ALLOW  # the first one left the window
    assert limiter.check("a", 2, now=160.7) is Verdict.DROP  # full again, already told this window
    assert limiter.check("a", 2, now=162.5) is Verdict.ALLOW
    assert limiter.check("a", 2, now=163) is Verdict.WARN  # a minute after the answer: one more
    for key in "bcdef":
        limiter.check(key, 2, now=200)
    assert len(limiter) == 3
    assert limiter.check("z", 0, now=0) is Verdict.ALLOW  # 0 turns the limit off
