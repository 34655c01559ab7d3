"""The access log ("who looked"): someone opening another person's certificate image or record.

Entries are written in the transaction of the turn or job that shows the image or record, so a
view that was never sent is never logged. Looking at one's own records is not logged.
"""

from __future__ import annotations

from typing import Literal

from storage.models import AccessLog

What = Literal["image", "record"]


async def log_view(
    viewer_id: int, subject_id: int, what: What, *, submission_id: int | None = None, channel: str | None = None
) -> AccessLog | None:
    """Record that `viewer_id` opened `subject_id`'s image or record; nothing when they are the same person."""
    if viewer_id == subject_id:
        return None
    return await AccessLog.create(
        viewer_id=viewer_id, subject_id=subject_id, what=what, submission_id=submission_id, channel=channel
    )


async def views_of(subject_id: int) -> list[AccessLog]:
    """Everything logged about one person, oldest first, with the viewer loaded (None once erased)."""
    return await AccessLog.filter(subject_id=subject_id).order_by("at", "id").prefetch_related("viewer")
