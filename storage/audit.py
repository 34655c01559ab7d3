"""The append-only audit trail of submissions: records are only ever added, never changed."""

from __future__ import annotations

from typing import Any

from storage.models import AuditRecord, Staff


async def record(
    submission_id: int,
    action: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    actor: Staff | None = None,
    channel: str | None = None,
    **detail: Any,
) -> None:
    """Append one state change (call inside the transaction that makes it)."""
    await AuditRecord.create(
        submission_id=submission_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.id if actor else None,
        channel=channel,
        detail=detail,
    )


async def history(submission_id: int) -> list[AuditRecord]:
    """Every record of a submission, oldest first."""
    return await AuditRecord.filter(submission_id=submission_id).order_by("id")
