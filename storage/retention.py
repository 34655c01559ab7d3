"""Retention: certificate images after their period, processed raw events and sent messages after theirs.

Certificate images are kept CERT_IMAGE_RETENTION_DAYS after the submission ended: for an
approved or rejected one, after `Submission.decided_at` (written with the decision, in the
same transaction as its audit record); for one that ended without a decision (unreadable,
cancelled, withdrawn), after the `AuditRecord.at` of the move into that state. Then the
image is deleted from the file store while the submission, its fields and `file_sha256`
stay, so reports still count it; an `image_removed` audit record says the image is gone
(and makes the sweep idempotent). A stored file another submission still needs (within its
period, or not ended yet) or a circular notice carries is kept.

Processed raw inbound events (status done) and sent outgoing messages are kept
EVENT_RETENTION_DAYS after they were processed or sent. Events and messages are deleted,
except a sent message an open approval prompt still points at: its payload is blanked and
the row kept, because the platform message ids in it are what closes the prompt once decided.
Pending and failed rows are never touched here (the failed ones are the dead letters admins
retry or inspect).

Everything goes in batches of short transactions, so SQLite's single writer is never held
for long, and the same sweep run twice removes nothing the second time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from storage.files import FileStore
from storage.models import AuditRecord, InboundEvent, Notice, OutboxMessage, PromptMessage, Submission
from storage.submission_states import SubmissionStatus

S = SubmissionStatus
IMAGE_REMOVED = "image_removed"  # audit action: the submission's image was deleted (retention or erasure)
DECIDED = (S.APPROVED, S.REJECTED)  # their period runs from decided_at
ENDED_UNDECIDED = (S.UNREADABLE, S.CANCELLED, S.WITHDRAWN)  # from the audit record of the final move
BATCH = 200  # rows per query and per write transaction
# A stored file written again this recently may belong to an upload whose turn is still in
# flight (the store refreshes a file's time when the same bytes arrive again): it waits.
RECENT_WRITE_SECONDS = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Periods:
    """How long each kind of data is kept, in days."""

    cert_image_days: int
    event_days: int


@dataclass(slots=True)
class RetentionCounts:
    """What a sweep removed (or, in a dry run, would remove)."""

    images: int = 0  # submissions whose certificate image goes (their record stays)
    files: int = 0  # stored files deleted
    events: int = 0  # processed raw inbound events deleted
    messages: int = 0  # sent outgoing messages deleted
    messages_blanked: int = 0  # sent messages an open approval prompt needs: payload emptied, row kept

    @property
    def total(self) -> int:
        """Everything counted, for a one-line log."""
        return self.images + self.files + self.events + self.messages + self.messages_blanked


async def sweep(
    files: FileStore, periods: Periods, now: dt.datetime | None = None, *, dry_run: bool = False
) -> RetentionCounts:
    """Apply both retention periods as of `now`; with `dry_run`, only count what would go."""
    now = now or dt.datetime.now(dt.UTC)
    counts = RetentionCounts()
    await _sweep_images(files, now - dt.timedelta(days=periods.cert_image_days), now, counts, dry_run)
    cutoff = now.timestamp() - periods.event_days * DAY
    counts.events = await _prune_events(cutoff, dry_run)
    counts.messages, counts.messages_blanked = await _prune_messages(cutoff, dry_run)
    return counts


async def mark_image_removed(submission_ids: Iterable[int], reason: str, **detail: object) -> None:
    """Record that these submissions' images are gone (inside the caller's transaction, or alone)."""
    rows = [
        AuditRecord(submission_id=sid, action=IMAGE_REMOVED, detail={"reason": reason, **detail})
        for sid in submission_ids
    ]
    if rows:
        await AuditRecord.bulk_create(rows, batch_size=BATCH)


async def images_removed(submission_ids: Iterable[int]) -> set[int]:
    """Which of these submissions no longer have their image (it went with retention or erasure)."""
    ids = list(submission_ids)
    return set(
        await AuditRecord.filter(submission_id__in=ids, action=IMAGE_REMOVED).values_list("submission_id", flat=True)
    ) if ids else set()


# --- certificate images ------------------------------------------------------------------------------


async def _expired(cutoff: dt.datetime) -> AsyncIterator[list[tuple[int, str]]]:
    """(submission id, file hash) of ended submissions past `cutoff`, a batch at a time, in id order."""
    last = 0
    while True:
        batch = await (
            Submission.filter(status__in=list(DECIDED), decided_at__lt=cutoff, id__gt=last)
            .order_by("id").limit(BATCH).values_list("id", "file_sha256")
        )
        if not batch:
            break
        yield list(batch)
        last = batch[-1][0]
    last = 0
    while True:
        moves = await (
            AuditRecord.filter(action__in=[s.value for s in ENDED_UNDECIDED], at__lt=cutoff, id__gt=last)
            .order_by("id").limit(BATCH).values_list("id", "submission_id", "action")
        )
        if not moves:
            break
        last = moves[-1][0]
        ended = {submission_id: action for _, submission_id, action in moves}
        # Only where that move is still the submission's state (the final states have no way out).
        rows = await Submission.filter(id__in=list(ended)).values_list("id", "file_sha256", "status")
        found = [(sid, sha) for sid, sha, status in rows if ended.get(sid) == status]
        if found:
            yield found


async def _still_needed(hashes: set[str], expired_ids: set[int], cutoff: dt.datetime) -> set[str]:
    """Hashes another submission still needs: one not ended, or ended within its period."""
    if not hashes:
        return set()
    needed: set[str] = set()
    rows = await Submission.filter(file_sha256__in=list(hashes)).values_list("id", "file_sha256", "status", "decided_at")
    undecided_end = {
        sid for sid, _, status, _ in rows if status in ENDED_UNDECIDED and sid not in expired_ids
    }
    ended_at = dict(
        await AuditRecord.filter(submission_id__in=list(undecided_end), action__in=[s.value for s in ENDED_UNDECIDED])
        .values_list("submission_id", "at")
    ) if undecided_end else {}
    for sid, sha, status, decided_at in rows:
        if sid in expired_ids:
            continue
        if status in DECIDED and decided_at is not None and decided_at < cutoff:
            continue  # expired too (in a later batch): it does not hold the file
        if status in ENDED_UNDECIDED and sid in ended_at and ended_at[sid] < cutoff:
            continue
        needed.add(sha)
    return needed


async def _notice_files() -> set[str]:
    """Files circular notices carry: their own retention is the notice's (kept while it exists)."""
    used: set[str] = set()
    for attachments in await Notice.all().values_list("attachments", flat=True):
        used.update(str(a["sha256"]) for a in attachments or [] if isinstance(a, dict) and a.get("sha256"))
    return used


async def _sweep_images(
    files: FileStore, cutoff: dt.datetime, now: dt.datetime, counts: RetentionCounts, dry_run: bool
) -> None:
    notice_files: set[str] | None = None
    deleted: set[str] = set()
    async for batch in _expired(cutoff):
        done = await images_removed(sid for sid, _ in batch)
        todo = [(sid, sha) for sid, sha in batch if sid not in done]
        if not todo:
            continue
        if notice_files is None:
            notice_files = await _notice_files()
        hashes = {sha for _, sha in todo}
        kept = await _still_needed(hashes, {sid for sid, _ in todo}, cutoff) | (hashes & notice_files)
        going = sorted(hashes - kept - deleted)
        if dry_run:
            present = {d for d in going if await files.age(d) is not None}
            deleted |= present
            counts.files += len(present)
            counts.images += sum(1 for _, sha in todo if sha not in kept)
            continue
        gone, waiting = await _delete_old(files, going, now.timestamp())
        deleted |= gone
        counts.files += len(gone)
        marked = [sid for sid, sha in todo if sha not in kept and sha not in waiting]
        async with in_transaction():
            # Asked again inside the write: another process's sweep at the same hour may have marked them.
            marked = [sid for sid in marked if sid not in await images_removed(marked)]
            await mark_image_removed(marked, "retention", days=round((now - cutoff).total_seconds() / DAY))
        counts.images += len(marked)


async def _delete_old(files: FileStore, digests: list[str], now: float) -> tuple[set[str], set[str]]:
    """Delete stored files not written recently; returns (deleted, left for a later sweep)."""
    gone: set[str] = set()
    waiting: set[str] = set()
    for digest in digests:
        age = await files.age(digest, now)
        if age is None:
            continue  # gone already (an unreadable upload, an earlier run that stopped halfway)
        if age < RECENT_WRITE_SECONDS:
            waiting.add(digest)  # the same bytes were just sent again: a new submission is on its way
            continue
        await files.delete(digest)
        gone.add(digest)
    return gone, waiting


# --- raw events and sent messages --------------------------------------------------------------------


async def _prune_events(cutoff: float, dry_run: bool) -> int:
    done = InboundEvent.filter(status="done", processed_at__lt=cutoff)
    if dry_run:
        return await done.count()
    removed = 0
    while True:
        ids = await InboundEvent.filter(status="done", processed_at__lt=cutoff).order_by("id").limit(BATCH).values_list(
            "id", flat=True
        )
        if not ids:
            return removed
        removed += await InboundEvent.filter(id__in=list(ids), status="done").delete()


async def _open_prompt_messages(outbox_ids: list[int]) -> set[int]:
    """Outbox ids of prompts whose submission still waits for a decision (their ids close the prompt later)."""
    return set(
        await PromptMessage.filter(outbox_id__in=outbox_ids, prompt__submission__status=S.CONFIRMED).values_list(
            "outbox_id", flat=True
        )
    )


async def _prune_messages(cutoff: float, dry_run: bool) -> tuple[int, int]:
    removed = blanked = 0
    last = 0
    while True:
        rows = await (
            OutboxMessage.filter(status="sent", sent_at__lt=cutoff, id__gt=last)
            .order_by("id").limit(BATCH).values_list("id", "payload")
        )
        if not rows:
            return removed, blanked
        last = rows[-1][0]
        keep = await _open_prompt_messages([row_id for row_id, _ in rows])
        to_blank = [row_id for row_id, payload in rows if row_id in keep and payload]
        to_delete = [row_id for row_id, _ in rows if row_id not in keep]
        if not dry_run:
            async with in_transaction():
                if to_blank:
                    await OutboxMessage.filter(id__in=to_blank).update(payload=[])
                if to_delete:
                    await OutboxMessage.filter(id__in=to_delete, status="sent").delete()
        removed += len(to_delete)
        blanked += len(to_blank)
