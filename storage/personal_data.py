"""PDPA requests for one person: export everything held about them, or erase it."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from storage.files import FileStore
from storage.models import (
    ApprovalPrompt,
    AuditRecord,
    ChatIdentity,
    ConversationState,
    Delegation,
    LinkCode,
    OutboxMessage,
    Staff,
    Submission,
)


@dataclass(slots=True)
class ErasureReport:
    """What an erasure removed."""

    submissions: int
    files: int
    identities: int


def _row(model: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        key: (value.isoformat() if hasattr(value, "isoformat") else str(value) if hasattr(value, "as_tuple") else value)
        for key, value in model.__dict__.items()
        if not key.startswith("_") and key not in skip
    }


async def export_person(staff: Staff, files: FileStore) -> bytes:
    """A zip with the roster entry, chat identities, submissions, audit trail and certificate files."""
    identities = await ChatIdentity.filter(staff_id=staff.id)
    submissions = await Submission.filter(staff_id=staff.id).order_by("id")
    audit = await AuditRecord.filter(submission_id__in=[s.id for s in submissions]).order_by("id")
    data = {
        "staff": _row(staff),
        "chat_identities": [_row(i) for i in identities],
        "submissions": [_row(s) for s in submissions],
        "audit": [_row(a) for a in audit],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        for sub in submissions:
            path = files.path_for(sub.file_sha256)
            if path.exists():
                suffix = (sub.file_name or "").rsplit(".", 1)[-1] if "." in (sub.file_name or "") else "bin"
                archive.write(path, f"certificates/{sub.id}.{suffix}")
    return buffer.getvalue()


async def erase_person(staff: Staff, files: FileStore) -> ErasureReport:
    """Delete a person's submissions, files, chat links and messages, and anonymise the roster row.

    The roster row stays (deactivated, without name) so that other people's
    records that point at it (as approver or supervisor) keep their integrity.
    """
    submissions = await Submission.filter(staff_id=staff.id)
    hashes = {s.file_sha256 for s in submissions}
    identities = await ChatIdentity.filter(staff_id=staff.id)
    chats = [(i.channel, i.platform_user_id) for i in identities]
    async with in_transaction():
        ids = [s.id for s in submissions]
        await AuditRecord.filter(submission_id__in=ids).delete()
        await ApprovalPrompt.filter(submission_id__in=ids).delete()
        await Submission.filter(id__in=ids).delete()
        for channel, user in chats:
            await OutboxMessage.filter(channel=channel, chat=user).delete()
            await ConversationState.filter(channel=channel, user=user).delete()
        await ChatIdentity.filter(staff_id=staff.id).delete()
        await LinkCode.filter(staff_id=staff.id).delete()
        await Delegation.filter(delegate_id=staff.id).delete()
        staff.title, staff.first_name, staff.last_name, staff.position = "", "(ลบแล้ว)", "", ""
        staff.active = False
        await staff.save()
    removed = 0
    for digest in hashes:
        if not await Submission.filter(file_sha256=digest).exists():
            files.delete(digest)
            removed += 1
    return ErasureReport(len(submissions), removed, len(chats))
