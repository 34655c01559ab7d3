"""The nightly retention sweep: old certificate images, processed raw events and sent messages go.

The periods are CERT_IMAGE_RETENTION_DAYS and EVENT_RETENTION_DAYS; what each covers and
what stays is told in `storage/retention.py`. `python -m bot retention [--run]` shows or runs
the same sweep by hand.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from storage import retention

if TYPE_CHECKING:
    from config.settings import Settings
    from scheduler.jobs import JobServices

logger = logging.getLogger(__name__)

# At night, local time: nobody is sending certificates, and reminders (09:00) are far off.
SWEEP_HOUR, SWEEP_MINUTE = 2, 30


def periods_of(settings: Settings) -> retention.Periods:
    """The retention periods the settings name."""
    return retention.Periods(settings.cert_image_retention_days, settings.event_retention_days)


async def sweep_retention(services: JobServices, now: dt.datetime | None = None) -> retention.RetentionCounts:
    """Delete what is past its retention period; `now` is a parameter so tests can drive the clock."""
    counts = await retention.sweep(services.files, periods_of(services.settings), now)
    if counts.total:
        logger.info(
            "retention sweep: %d certificate images (%d files), %d raw events, %d sent messages deleted, "
            "%d blanked",
            counts.images, counts.files, counts.events, counts.messages, counts.messages_blanked,
        )
    return counts
