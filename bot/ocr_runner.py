"""Reads queued certificates in worker processes and sends each owner the card, exactly once.

Jobs live in the database (storage.submissions), so a restarted service, or any
other process running this loop, picks up what was left; the result, the card
in the outbox and the job's "done" mark are committed together.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from decimal import Decimal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tortoise.expressions import Q

from certificates import errors as reading_errors
from certificates.pool import ReaderCrashed
from bot.events import Reply
from bot.sending import Chat
from config.texts import t
from storage import submission_states, submissions
from storage.models import Course, OcrJob, Staff, Submission
from storage.submission_states import Audience, SubmissionStatus

if TYPE_CHECKING:
    from bot.sending import Notifier
    from bot.metrics import Metrics
    from certificates.pool import ReaderPool
    from storage.files import FileStore

logger = logging.getLogger(__name__)

ERROR_TEXTS = {
    reading_errors.UnsupportedFile: "cert.unsupported",
    reading_errors.CorruptFile: "cert.corrupt",
    reading_errors.TooLarge: "cert.too_big_image",
    reading_errors.NotACertificate: "cert.not_certificate",
}
CATALOG_REFRESH_SECONDS = 60.0
# A file store or database failure is retried after this, and never counted against the file.
INFRA_RETRY_SECONDS = 30.0
DEFAULT_MAX_CRASHES = 3
STOP_GRACE_SECONDS = 5.0  # on shutdown, how long reads in progress may take to finish
# Unreadable submissions whose bytes are kept for an admin: no verdict on the file was reached.
KEPT_FILE_ERRORS = ("reader_crashed", "read_failed")

# The feature side of a reading, passed in by the app: recompute a read submission's
# period and warnings (inside the commit), and render the card its sender confirms.
CheckReading = Callable[[Submission, Staff], Awaitable[Any]]
RenderCard = Callable[[Submission, "str | None"], Reply]


class OcrRunner:
    """A loop that takes OCR jobs, reads them in the process pool, and records the results."""

    def __init__(
        self,
        pool: ReaderPool,
        files: FileStore,
        notifier: Notifier,
        metrics: Metrics,
        concurrency: int,
        *,
        check: CheckReading,
        card: RenderCard,
        max_crashes: int = DEFAULT_MAX_CRASHES,
    ) -> None:
        self.pool = pool
        self.check = check
        self.card = card
        self.max_crashes = max(1, max_crashes)
        self.files = files
        self.notifier = notifier
        self.metrics = metrics
        self.concurrency = max(1, concurrency)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._catalog: list[Course] = []
        self._catalog_at = 0.0
        # Jobs being read or committed now: a job is seen finished as soon as it
        # commits, before its card is handed to delivery.
        self._busy = 0
        self._held: dict[int, OcrJob] = {}  # jobs leased and not yet finished, handed back on shutdown
        self._stopping = False
        self.beat_at = time.monotonic()  # a loop's last turn, for /readyz (bot/readiness.py)

    def wake(self) -> None:
        """A job was committed: look now."""
        self._wake.set()

    def start(self) -> None:
        """One loop per worker process, so the pool is kept busy but never over-fed."""
        self._stopping = False
        self._tasks = [asyncio.create_task(self._run(), name=f"ocr-{i}") for i in range(self.concurrency)]

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop taking jobs, let reads in progress finish for up to `grace` seconds, then hand
        back the jobs left, uncounted: another worker reads them at once."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        held, self._held = list(self._held.values()), {}
        for job in held:
            try:
                if await submissions.hand_back_job(job):
                    logger.info("stopping: handed back OCR job %s", job.id)
            except Exception:
                logger.exception("handing back OCR job %s failed; its lease will lapse", job.id)

    async def drain(self, timeout: float = 60.0) -> None:
        """Wait until no job is pending (tests, CLI)."""
        deadline = time.monotonic() + timeout
        while await submissions.pending_jobs() or self._busy:
            if time.monotonic() > deadline:
                raise TimeoutError("OCR jobs still pending")
            self.wake()
            await asyncio.sleep(0.05)
        await self.notifier.drain(max(0.1, deadline - time.monotonic()))

    async def _run(self) -> None:
        while not self._stopping:
            self.beat_at = time.monotonic()
            try:
                job = await submissions.claim_job()
            except Exception:
                logger.exception("claiming an OCR job failed")
                job = None
            if job is None:
                if self._stopping:
                    return
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=2.0)
                except TimeoutError:
                    pass
                continue
            self._held[job.id] = job
            if self._stopping:
                return
            self._busy += 1
            try:
                await self.process(job)
            except Exception:
                # The database (or another service) failed around the read: not the file's fault.
                logger.exception("OCR job %s failed outside the reader; retrying later", job.id)
                try:
                    await submissions.release_job(job, "infrastructure", INFRA_RETRY_SECONDS)
                except Exception:
                    logger.exception("releasing OCR job %s failed; its lease will lapse", job.id)
            finally:
                self._busy -= 1
                if not self._stopping:  # stopping: `stop` hands back what was not finished
                    self._held.pop(job.id, None)

    async def _catalog_rows(self) -> list[Course]:
        if time.monotonic() - self._catalog_at > CATALOG_REFRESH_SECONDS:
            self._catalog = await Course.all().only("id", "code", "name", "kind")
            self._catalog_at = time.monotonic()
        return self._catalog

    async def process(self, job: OcrJob) -> None:
        """Read one job's file and commit the outcome with the owner's message."""
        submission = await Submission.get(id=job.submission_id)
        staff = await Staff.get(id=submission.staff_id)
        catalog = [{"code": c.code, "name": c.name, "kind": c.kind} for c in await self._catalog_rows()]
        try:
            data = await self.files.read(submission.file_sha256)
        except OSError:
            logger.exception("the stored file of submission %s could not be read; retrying later", submission.id)
            await submissions.release_job(job, "file_store", INFRA_RETRY_SECONDS)
            return
        started = time.perf_counter()
        outcome: Any
        try:
            outcome = await self.pool.read(data, submission.file_name or "certificate", catalog=catalog)
        except tuple(ERROR_TEXTS) as exc:
            outcome = exc
        except ReaderCrashed as exc:
            await self._crashed(job, submission, exc)
            return
        except Exception as exc:
            logger.exception("reading submission %s failed (attempt %d)", submission.id, job.attempts)
            if await submissions.fail_job(job, type(exc).__name__):
                await self._commit_failure(
                    job, submission, "cert.read_failed", "read_failed", verdict=False, job_error=type(exc).__name__
                )
            return
        self.metrics.ocr_seconds.observe(time.perf_counter() - started)
        if isinstance(outcome, Exception):
            key = next(v for k, v in ERROR_TEXTS.items() if isinstance(outcome, k))
            await self._commit_failure(job, submission, key, type(outcome).__name__, verdict=True)
            return
        await self._commit_reading(job, submission, staff, outcome)

    async def _crashed(self, job: OcrJob, submission: Submission, exc: ReaderCrashed) -> None:
        """The worker died or hung on this file: read it again, until it has done so too often."""
        self.metrics.ocr_jobs.labels(exc.outcome).inc()
        logger.warning(
            "reading submission %s ended without a verdict: %s (%d of %d allowed)",
            submission.id, exc.outcome, job.crashes + 1, self.max_crashes,
        )
        if await submissions.record_crash(job, exc.outcome, self.max_crashes):
            await self._commit_failure(
                job, submission, "cert.reader_crashed", "reader_crashed", verdict=False, crashed=True
            )
        else:
            asyncio.get_running_loop().call_later(submissions.JOB_CRASH_RETRY_SECONDS, self.wake)

    async def _commit_reading(self, job: OcrJob, submission: Submission, staff: Staff, reading: Any) -> None:
        submission.name_read = reading.name
        submission.course_title = reading.course
        submission.kind = reading.kind
        submission.hours = Decimal(str(reading.hours)) if reading.hours is not None else None
        submission.completed_on = reading.completed_on
        submission.issuers = list(reading.issuers or [])
        submission.confidence = reading.confidence
        submission.field_confidence = dict(reading.field_confidence or {})
        submission.image_phash = getattr(reading, "phash", None)
        submission.course_id = next(
            (c.id for c in self._catalog if reading.code and c.code == reading.code), None
        )
        code = reading.code if submission.course_id else None
        async with self.notifier.batch() as out:
            if not await submissions.finish_job(job):
                return
            await self.check(submission, staff)
            await submission.save()
            moved = await submission_states.transition(
                submission, "read", SubmissionStatus.READ, expected=(SubmissionStatus.RECEIVED,),
                detail={"confidence": round(submission.confidence or 0, 3)},
            )
            if moved.tells(Audience.OWNER):  # in the chat the certificate came from
                out.send_to(Chat(submission.channel, submission.chat), self.card(submission, code))
        self.metrics.ocr_jobs.labels("read").inc()

    async def _commit_failure(
        self,
        job: OcrJob,
        submission: Submission,
        key: str,
        error: str,
        *,
        verdict: bool,
        crashed: bool = False,
        job_error: str | None = None,
    ) -> None:
        """End the job with the submission unreadable and the owner told.

        Only the reader's verdict on the file (`verdict`) lets its bytes go; after a
        crash or an unexpected error nobody knows what is in it, so an admin may look.
        """
        async with self.notifier.batch() as out:
            if verdict:
                won = await submissions.finish_job(job)
            else:
                won = await submissions.give_up_job(job, job_error or error, crashed=crashed)
            if not won:
                return
            moved = await submission_states.transition(
                submission, "unreadable", SubmissionStatus.UNREADABLE, expected=(SubmissionStatus.RECEIVED,),
                detail={"error": error}, error=error[:40], updated_at=dt.datetime.now(dt.UTC),
            )
            if moved.tells(Audience.OWNER):
                out.send_to(Chat(submission.channel, submission.chat), Reply(t(key)))
        self.metrics.ocr_jobs.labels("unreadable").inc()
        # Nothing half-stored: an unreadable upload's bytes go unless another submission uses
        # them or keeps them for an admin.
        kept = ~Q(status=SubmissionStatus.UNREADABLE) | Q(error__in=KEPT_FILE_ERRORS)
        if verdict and not await Submission.filter(kept, file_sha256=submission.file_sha256).exists():
            await self.files.delete(submission.file_sha256)

