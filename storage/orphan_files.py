"""Stored files nothing refers to: uploads from strangers, roster files, flood leftovers, crash debris.

One sweep for the hourly job and for PDPA erasure: a file no submission, no circular
notice and no draft in a conversation (a notice being composed keeps its attachments
there until it is confirmed) references and not written for `older_than` seconds is
deleted, with a grace period so an upload whose turn is still in flight is spared.
"""

from __future__ import annotations

import time

from storage.files import FileStore
from storage.models import ConversationState, Notice, Submission

REFERENCE_BATCH = 500


async def remove_unreferenced(files: FileStore, older_than: float, now: float | None = None) -> tuple[int, int]:
    """Delete unreferenced stored files and stale temp files older than `older_than`; returns both counts."""
    now = time.time() if now is None else now
    old = [digest for digest, age in await files.ages(now) if age > older_than]
    deleted = 0
    sent_with_notices = (await _notice_files() | await _draft_files()) if old else set()
    for start in range(0, len(old), REFERENCE_BATCH):
        batch = old[start : start + REFERENCE_BATCH]
        used = set(await Submission.filter(file_sha256__in=batch).distinct().values_list("file_sha256", flat=True))
        used |= sent_with_notices
        unused = [digest for digest in batch if digest not in used]
        deleted += await _delete_if_still_old(files, unused, older_than, now)
    temp = await files.remove_stale_temp_files(older_than, now)
    return deleted, temp


async def _notice_files() -> set[str]:
    """Files circular notices carry: kept while the notice exists (a scheduled one goes out later, and re-sends)."""
    used: set[str] = set()
    for attachments in await Notice.all().values_list("attachments", flat=True):
        used.update(str(a["sha256"]) for a in attachments or [] if isinstance(a, dict) and a.get("sha256"))
    return used


async def _draft_files() -> set[str]:
    """Files attached to drafts still being composed in a chat (an admin may take a day over one)."""
    used: set[str] = set()
    for data in await ConversationState.all().values_list("data", flat=True):
        attachments = data.get("attachments") if isinstance(data, dict) else None
        if isinstance(attachments, list):
            used.update(str(a["sha256"]) for a in attachments if isinstance(a, dict) and a.get("sha256"))
    return used


async def _delete_if_still_old(files: FileStore, digests: list[str], older_than: float, now: float) -> int:
    deleted = 0
    for digest in digests:
        # Looked at again just before deleting: the same content may have been sent again meanwhile.
        age = await files.age(digest, now)
        if age is not None and age > older_than:
            await files.delete(digest)
            deleted += 1
    return deleted
