"""Scheduled jobs: plain async functions that use the same services as the chat handlers."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol


from bot.events import Reply
from config.texts import t
from fiscal.calendar import today_bangkok
from fiscal.days_off import DaysOff
from handlers.approval_prompts import send_prompts
from storage import days_off, link_codes, submission_states
from storage.models import Staff, Submission
from storage.orphan_files import remove_unreferenced
from storage.submission_states import Audience, SubmissionStatus

if TYPE_CHECKING:
    from bot.delivery import Delivery
    from bot.sending import Notifier
    from config.settings import Settings
    from storage.files import FileStore


class JobServices(Protocol):
    """What the jobs use of the running service (the app's `Services` has all of it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def delivery(self) -> Delivery: ...

    @property
    def files(self) -> FileStore: ...

    @property
    def notifier(self) -> Notifier: ...


logger = logging.getLogger(__name__)


async def retry_deliveries(services: JobServices) -> None:
    """Deliver outbox messages that are due: retries, and anything left by a crash."""
    tried = await services.delivery.sweep()
    if tried:
        logger.info("delivery sweep tried %d messages", tried)


async def wake_processor(wake: Callable[[], None]) -> None:
    """Nudge the event processor, in case another process stored events for us."""
    wake()


# Spares uploads in flight (downloaded, submission not yet committed) and an
# admin's roster file while it is being imported.
ORPHAN_GRACE_SECONDS = 3600.0
LINK_ATTEMPT_KEEP_SECONDS = 86400.0


async def sweep_orphans(services: JobServices, now: float | None = None) -> int:
    """Delete stored files no submission references (older than the grace period), and old link guesses.

    Files from strangers, roster uploads and flood leftovers end here. Returns
    how many files were deleted; `now` (epoch seconds) is a parameter so tests
    can drive the clock.
    """
    now = time.time() if now is None else now
    deleted, temp = await remove_unreferenced(services.files, ORPHAN_GRACE_SECONDS, now)
    pruned = await link_codes.prune_attempts(LINK_ATTEMPT_KEEP_SECONDS, now)
    if deleted or temp or pruned:
        logger.info("sweep removed %d unreferenced files, %d stale temp files, %d old link guesses", deleted, temp, pruned)
    return deleted


async def escalate_on_working_days(services: JobServices, now: dt.datetime | None = None) -> int:
    """The scheduled escalation: nothing on a weekend, a Thai public holiday or an agency day off.

    Nobody is at work to act on an escalation then; what is overdue moves on the
    next working day. `now` is a parameter so tests can drive the clock.
    """
    now = now or dt.datetime.now(dt.UTC)
    calendar = await days_off.calendar()
    if calendar.is_day_off(today_bangkok(now)):
        return 0
    return await escalate_overdue(services, now, calendar=calendar)


async def escalate_overdue(services: JobServices, now: dt.datetime | None = None, *, calendar: DaysOff | None = None) -> int:
    """Move approvals unanswered for N working days one level up (or to admins); returns how many.

    Working days skip weekends, Thai public holidays and the agency's days off
    (`calendar`, read from the database when not given). `now` is a parameter so
    tests can drive the clock.
    """
    now = now or dt.datetime.now(dt.UTC)
    days = services.settings.approval_sla_working_days
    # Once per run: the agency's days off are one small query, not one per submission.
    calendar = calendar or await days_off.calendar()
    waiting = await Submission.filter(status=SubmissionStatus.CONFIRMED, assigned_at__isnull=False).order_by("id")
    moved = 0
    for sub in waiting:
        if calendar.working_days_between(sub.assigned_at, now) < days:
            continue
        current = await Staff.get_or_none(id=sub.approver_id) if sub.approver_id else None
        if current is None:
            continue  # already with the admins: they are the top
        new_approver = await submission_states.next_approver(current, sub.staff_id)
        async with services.notifier.batch() as out:
            handed = await submission_states.escalate(sub, current, new_approver, at=now, escalations=sub.escalations + 1)
            if not handed:
                continue
            if handed.tells(Audience.APPROVERS):
                await send_prompts(out, sub, today=now.date(), note=t("approval.escalated_to_you", days=days))
            owner = await Staff.get(id=sub.staff_id)
            notice = Reply(
                t(
                    "approval.escalated_notice",
                    id=sub.id,
                    owner=owner.display_name,
                    days=days,
                    to=new_approver.display_name if new_approver else t("approval.admins"),
                )
            )
            if handed.tells(Audience.PREVIOUS_APPROVER):
                out.send_to(current, notice)
        moved += 1
    if moved:
        logger.info("escalated %d overdue approvals", moved)
    return moved
