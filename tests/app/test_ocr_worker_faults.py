"""A reader worker that dies or hangs never costs a certificate: real worker processes, real webhooks.

Workers are killed with SIGKILL (as the kernel's OOM killer does), made to exit by
the pool's documented fault-injection seam (OCSC_TEST_POISON_SHA256), or made to
run past a tiny OCR_READ_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
from typing import Any

import pytest

from certificates.pool import POISON_ENV, ReaderPool
from config.settings import Settings
from storage.models import OcrJob, Submission
from tests.builders.certificates import CARD, SAMPLE, jpeg, learner_on, pdf, settle_ocr
from tests.builders.reader_pool import busy_worker, worker_pids

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="shared sample certificate not found")

COURSE = "ผู้นำทีมที่มีประสิทธิภาพ"
CRASHED_TEXT = "ระบบอ่านไฟล์นี้ไม่ได้"
# A real certificate photo: read normally, it gives a card; only the seam makes it deadly.
POISON = jpeg(SAMPLE, 1100)
GOOD = jpeg(SAMPLE)


@pytest.fixture
def reader_pool() -> None:
    """These tests kill, poison and time out workers: each app gets a pool of its own."""
    return None


@pytest.fixture
def ocr(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Per-test reader settings, given with indirect parametrization."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings(settings: Settings, ocr: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The suite's settings plus this test's reader settings; set before the app spawns its workers."""
    if ocr.pop("poison", False):
        monkeypatch.setenv(POISON_ENV, sha256(POISON))
    return settings.model_copy(update=ocr)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def wait_for_busy_worker(pool: ReaderPool, timeout: float = 60.0) -> int:
    for _ in range(int(timeout / 0.01)):
        pid = busy_worker(pool)
        if pid:
            return pid
        await asyncio.sleep(0.01)
    raise TimeoutError("no read started")


def cards(user: Any) -> list[str]:
    return [text for text in user.texts() if CARD in text]


def counted(services: Any, outcome: str) -> float:
    return services.metrics.registry.get_sample_value("bot_ocr_jobs_total", {"outcome": outcome}) or 0.0


async def test_a_worker_killed_mid_read_loses_no_certificate(client, services, users_on):
    user = await learner_on(users_on("line"))
    await user.sends_file(jpeg(SAMPLE), "first.jpg", image=True)
    assert "ได้รับใบประกาศนียบัตรแล้ว" in user.last()
    victim = await wait_for_busy_worker(services.ocr.pool)
    os.kill(victim, signal.SIGKILL)
    await user.sends_file(jpeg(SAMPLE, 900), "second.jpg", image=True)
    await settle_ocr(client)

    got = cards(user)
    assert len(got) == 2 and all(COURSE in card for card in got)
    first, second = await OcrJob.all().order_by("id")
    assert (first.status, first.crashes, first.attempts) == ("done", 1, 1)  # the crash was no attempt
    assert (second.status, second.crashes) == ("done", 0)
    assert await Submission.filter(status="read").count() == 2
    assert counted(services, "crashed") == 1
    assert busy_worker(services.ocr.pool) is None and victim not in worker_pids(services.ocr.pool)


@pytest.mark.parametrize("ocr", [{"poison": True}], indirect=True)
async def test_a_file_that_kills_its_worker_every_time_is_set_aside_and_kept(client, services, users_on):
    user = await learner_on(users_on("line"))
    await user.sends_file(POISON, "poison.jpg", image=True)
    await user.sends_file(GOOD, "good.jpg", image=True)
    await settle_ocr(client)

    assert CRASHED_TEXT in "\n".join(user.texts())
    assert "PDF" in next(text for text in user.texts() if CRASHED_TEXT in text)
    assert len(cards(user)) == 1 and COURSE in cards(user)[0]
    poisoned = await Submission.get(file_sha256=sha256(POISON))
    assert (poisoned.status, poisoned.error) == ("unreadable", "reader_crashed")
    assert services.files.path_for(poisoned.file_sha256).read_bytes() == POISON  # kept for an admin
    job = await OcrJob.get(submission_id=poisoned.id)
    assert (job.status, job.crashes, job.attempts) == ("failed", 3, 0)
    assert (await Submission.get(file_sha256=sha256(GOOD))).status == "read"
    assert counted(services, "crashed") == 3 and counted(services, "unreadable") == 1


@pytest.mark.parametrize("ocr", [{"ocr_read_timeout_seconds": 0.5, "ocr_max_crashes": 2}], indirect=True)
async def test_a_read_past_the_time_limit_is_a_crash_try_and_the_worker_is_replaced(client, services, users_on):
    user = await learner_on(users_on("telegram"))
    document = pdf(SAMPLE)
    await user.sends_file(document, "slow.pdf", image=False, mime="application/pdf")
    await settle_ocr(client)

    assert CRASHED_TEXT in user.last()
    slow = await Submission.get(file_sha256=sha256(document))
    assert (slow.status, slow.error) == ("unreadable", "reader_crashed")
    assert services.files.path_for(slow.file_sha256).exists()
    job = await OcrJob.get(submission_id=slow.id)
    assert (job.status, job.crashes, job.attempts, job.error) == ("failed", 2, 0, "reader_crashed")
    assert counted(services, "timeout") == 2

    services.ocr.pool.timeout = 120.0  # an operator raising OCR_READ_TIMEOUT_SECONDS
    await user.sends_file(jpeg(SAMPLE), "photo.jpg", image=True, mime="image/jpeg")
    await settle_ocr(client)
    assert COURSE in user.last()


async def test_a_file_store_failure_is_not_the_certificates_fault(client, services, users_on):
    user = await learner_on(users_on("line"))
    await services.ocr.stop()
    await user.sends_file(GOOD, "c.jpg", image=True)
    stored = services.files.path_for(sha256(GOOD))
    stored.rename(stored.with_suffix(".away"))
    stored.mkdir()  # reading it now fails with an OSError, as an unmounted or broken store does
    services.ocr.start()
    for _ in range(3000):
        job = await OcrJob.get()
        if job.error:
            break
        await asyncio.sleep(0.02)
    assert (job.status, job.attempts, job.crashes, job.error) == ("pending", 0, 0, "file_store")
    assert (await Submission.get()).status == "received"
    assert not cards(user) and "ไม่สำเร็จ" not in user.last()

    stored.rmdir()
    stored.with_suffix(".away").rename(stored)
    await OcrJob.filter(id=job.id).update(lease_until=None)  # the retry delay has passed
    await settle_ocr(client)
    assert COURSE in user.last()
