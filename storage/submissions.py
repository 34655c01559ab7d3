"""Certificate submissions and their OCR jobs: creation, reading results, checks, owner actions."""

from __future__ import annotations

import time
from decimal import Decimal

from tortoise.expressions import Q

from storage import leases
from storage.models import Course, OcrJob, Staff, Submission
from storage.submission_states import LIVE_STATES, OWNER_PENDING_STATES

JOB_MAX_ATTEMPTS = 3
JOB_CRASH_RETRY_SECONDS = 1.0  # a crashed read is retried soon: its worker is already replaced
PHASH_NEAR_BITS = 6


async def create(
    staff: Staff, *, channel: str, chat: str, sha256: str, name: str | None, mime: str, size: int
) -> Submission:
    """A received certificate and the job that will read it (call inside the turn's transaction)."""
    submission = await Submission.create(
        staff=staff,
        channel=channel,
        chat=chat,
        file_sha256=sha256,
        file_name=(name or "")[:255] or None,
        file_mime=mime,
        file_size=size,
    )
    await OcrJob.create(submission=submission, created_at=time.time())
    return submission


async def claim_job() -> OcrJob | None:
    """Lease the oldest readable job; another worker skips leased ones."""
    now = time.time()
    free = Q(status="pending") & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    for job in await OcrJob.filter(free).order_by("id").limit(5):
        won = await OcrJob.filter(free, id=job.id).update(
            lease_until=leases.lease_until(now), lease_owner=leases.OWNER, attempts=job.attempts + 1
        )
        if won:
            job.attempts += 1
            return job
    return None


async def finish_job(job: OcrJob) -> bool:
    """Inside the result's transaction: mark the job done, false if someone else finished it."""
    return bool(
        await OcrJob.filter(id=job.id, status="pending").update(
            status="done", finished_at=time.time(), lease_until=None, lease_owner=None
        )
    )


async def fail_job(job: OcrJob, error: str) -> bool:
    """The reader code raised unexpectedly: retry later, or return True when this was the last attempt.

    When final the job is left as it is: the caller ends it with `give_up_job` in the
    transaction that tells the owner, so neither happens without the other.
    """
    if job.attempts >= JOB_MAX_ATTEMPTS:
        return True
    await OcrJob.filter(id=job.id, status="pending").update(
        status="pending",
        error=error[:200],
        lease_until=time.time() + 5 * job.attempts,
        lease_owner=None,
    )
    return False


async def record_crash(job: OcrJob, error: str, max_crashes: int) -> bool:
    """The read ended without a verdict (worker died or timed out): not the file's fault, not an attempt.

    Below `max_crashes` the job is read again soon; returns True when this crash is the
    last one allowed, and then, as with `fail_job`, the caller ends it with `give_up_job`.
    """
    if job.crashes + 1 >= max_crashes:
        return True
    await OcrJob.filter(id=job.id, status="pending").update(
        crashes=job.crashes + 1,
        # claim_job counted this read as an attempt; a crash is counted in `crashes` instead.
        attempts=max(0, job.attempts - 1),
        error=error[:200],
        lease_until=time.time() + JOB_CRASH_RETRY_SECONDS,
        lease_owner=None,
    )
    return False


async def release_job(job: OcrJob, error: str, delay: float) -> None:
    """Put a leased job back untouched after an infrastructure failure (file store, database)."""
    await OcrJob.filter(id=job.id, status="pending").update(
        attempts=max(0, job.attempts - 1),
        error=error[:200],
        lease_until=time.time() + delay,
        lease_owner=None,
    )


async def hand_back_job(job: OcrJob) -> bool:
    """Give a job this process leased back untouched (it is stopping): not an attempt, no delay.

    False if it was finished meanwhile or is no longer ours.
    """
    return bool(
        await OcrJob.filter(id=job.id, status="pending", lease_owner=leases.OWNER).update(
            attempts=max(0, job.attempts - 1), lease_until=None, lease_owner=None
        )
    )


async def give_up_job(job: OcrJob, error: str, *, crashed: bool = False) -> bool:
    """Inside the owner's message transaction: end the job as failed; false if someone else finished it."""
    # A crash is counted in `crashes`, not in the attempt claim_job counted.
    extra = {"crashes": job.crashes + 1, "attempts": max(0, job.attempts - 1)} if crashed else {}
    return bool(
        await OcrJob.filter(id=job.id, status="pending").update(
            status="failed", error=error[:200], finished_at=time.time(), lease_until=None, lease_owner=None, **extra
        )
    )


async def pending_jobs() -> int:
    """Jobs still waiting to be read."""
    return await OcrJob.filter(status="pending").count()


async def owned(submission_id: str | int, staff: Staff | None) -> Submission | None:
    """A submission, only if it belongs to this staff member."""
    if staff is None or not str(submission_id).isdigit():
        return None
    return await Submission.get_or_none(id=int(submission_id), staff_id=staff.id)


async def duplicates_of(submission: Submission) -> list[str]:
    """Warnings when the same certificate was already submitted by this person."""
    others = Submission.filter(staff_id=submission.staff_id, status__in=LIVE_STATES).exclude(
        id=submission.id
    )
    if await others.filter(file_sha256=submission.file_sha256).exists():
        return ["duplicate_file"]
    if submission.image_phash:
        for other in await others.filter(image_phash__isnull=False).values_list("image_phash", flat=True):
            if _hamming(other, submission.image_phash) <= PHASH_NEAR_BITS:
                return ["duplicate_image"]
    if submission.completed_on and submission.course_title:
        same = others.filter(completed_on=submission.completed_on)
        same = same.filter(course_id=submission.course_id) if submission.course_id else same.filter(
            course_title=submission.course_title
        )
        if await same.exists():
            return ["duplicate_record"]
    return []


def _hamming(a: str, b: str) -> int:
    try:
        return bin(int(a, 16) ^ int(b, 16)).count("1")
    except ValueError:
        return 64


async def pending_of(staff: Staff) -> list[Submission]:
    """The staff member's submissions that are not finished yet, newest first."""
    return await Submission.filter(staff_id=staff.id, status__in=OWNER_PENDING_STATES).order_by("-id").limit(10)


def hours_value(value: Decimal | float | int | None) -> str:
    """Hours as people write them: 6, 1.5."""
    if value is None:
        return "-"
    number = Decimal(str(value)).normalize()
    return f"{number:f}"


async def course_code(submission: Submission) -> str | None:
    """The catalog code of a submission's course, if it was matched."""
    if not submission.course_id:
        return None
    course = await Course.get_or_none(id=submission.course_id)
    return course.code if course else None
