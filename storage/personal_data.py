"""PDPA requests for one person: export everything held about them, or erase it."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from storage.files import FileStore
from storage.orphan_files import remove_unreferenced
from storage.models import (
    AccessLog,
    ApprovalPrompt,
    AuditRecord,
    ChatIdentity,
    ConversationState,
    DataCopyLink,
    Delegation,
    InboundEvent,
    LinkCode,
    NoticeRecipient,
    OutboxMessage,
    ReminderChoice,
    ReminderPause,
    ReminderSent,
    RequiredCourse,
    Staff,
    Submission,
    Unit,
)
from storage.retention import mark_image_removed
from storage.submission_states import SubmissionStatus

ERASED = "(ลบแล้ว)"  # what stands where the name was, in the roster row and in other records
# Uploads younger than this may belong to a turn still in progress (stored, submission not yet
# committed), so erasure leaves them to the scheduled orphan sweep.
ORPHAN_MIN_AGE_SECONDS = 300.0
_SCAN_BATCH = 1000
_SAFE_SUFFIX = re.compile(r"[a-z0-9]{1,5}")


@dataclass(slots=True)
class ErasureReport:
    """What an erasure removed."""

    submissions: int
    files: int
    identities: int
    events: int = 0  # raw inbound events: theirs, and others' that name them
    outbox_messages: int = 0  # messages to them, and prompts or notices about them
    conversations: int = 0  # others' unfinished conversations that name them
    required_courses: int = 0
    delegations: int = 0  # as acting approver or as the supervisor delegating
    audit_records_scrubbed: int = 0  # other people's histories that named them (kept, name removed)
    report_files: int = 0  # cached report files, rebuilt on request
    orphaned_files: int = 0  # stored uploads no submission uses (roster files among them)
    access_entries: int = 0  # who looked at their records (deleted)
    access_entries_anonymised: int = 0  # their looking at others' records (kept, without them)
    submissions_kept: int = 0  # approved ones kept for the reports, without name, chat or image
    notice_receipts: int = 0  # notices addressed to them: kept for the notices' counts, channel removed
    reminders: int = 0  # reminder claims, pauses and their channel choice


def _row(model: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        key: (value.isoformat() if hasattr(value, "isoformat") else str(value) if hasattr(value, "as_tuple") else value)
        for key, value in model.__dict__.items()
        if not key.startswith("_") and key not in skip
    }


def archive_suffix(file_name: str | None) -> str:
    """A file's extension fit for an archive entry name: 1-5 lowercase letters or digits, else "bin"."""
    suffix = (file_name or "").rsplit(".", 1)[-1].lower() if "." in (file_name or "") else ""
    return suffix if _SAFE_SUFFIX.fullmatch(suffix) else "bin"


async def person_data(staff: Staff) -> dict[str, Any]:
    """Everything held about one person as JSON-ready data, and nothing about anyone else.

    Other people appear only where they acted on this person's records: who decided a
    certificate, who opened it (the access log). Decisions this person made about others
    belong to those others' copies.
    """
    identities = await ChatIdentity.filter(staff_id=staff.id).order_by("id")
    submissions = await Submission.filter(staff_id=staff.id).order_by("id")
    audit = await AuditRecord.filter(submission_id__in=[s.id for s in submissions]).order_by("id")
    unit = await Unit.get_or_none(id=staff.unit_id) if staff.unit_id else None
    supervisor = await Staff.get_or_none(id=staff.supervisor_id) if staff.supervisor_id else None
    deciders = {
        s.id: s for s in await Staff.filter(id__in={sub.decided_by_id for sub in submissions if sub.decided_by_id})
    }
    received = await NoticeRecipient.filter(staff_id=staff.id).order_by("id").prefetch_related("notice")
    views = await AccessLog.filter(subject_id=staff.id).order_by("at", "id").prefetch_related("viewer")
    return {
        "staff": _row(staff),
        "unit": unit.name if unit else None,
        "supervisor": supervisor.display_name if supervisor else None,
        "chat_identities": [_row(i) for i in identities],
        "submissions": [_row(s) for s in submissions],
        "audit": [_row(a) for a in audit],
        "decisions": [
            {
                "submission_id": sub.id,
                "decision": sub.status,
                "decided_at": sub.decided_at.isoformat() if sub.decided_at else None,
                "decided_by": deciders[sub.decided_by_id].display_name if sub.decided_by_id in deciders else None,
                "reason": sub.decision_reason,
            }
            for sub in submissions
            if sub.decided_at is not None
        ],
        "notices": [
            {
                "notice_id": r.notice_id,
                "subject": r.notice.subject,
                "doc_no": r.notice.doc_no,
                "state": r.state,
                "delivered_at": _epoch(r.delivered_at),
                "acknowledged_at": _epoch(r.acknowledged_at),
                "ack_channel": r.ack_channel,
            }
            for r in received
        ],
        "access_log": [
            {
                "at": v.at.isoformat(),
                "viewer": v.viewer.display_name if v.viewer else None,
                "what": v.what,
                "submission_id": v.submission_id,
                "channel": v.channel,
            }
            for v in views
        ],
    }


def _epoch(value: float | None) -> str | None:
    return dt.datetime.fromtimestamp(value, dt.UTC).isoformat() if value is not None else None


async def export_person(staff: Staff, files: FileStore) -> bytes:
    """A zip with `person_data` as data.json and the person's certificate files."""
    data = await person_data(staff)
    data.update(await reminders_of(staff))
    images: list[tuple[str, bytes]] = []
    for sub in await Submission.filter(staff_id=staff.id).order_by("id"):
        try:
            content = await files.read(sub.file_sha256)
        except (FileNotFoundError, ValueError):
            continue  # deleted by the retention sweep, or never stored: the record says what it was
        # Entry names are built only from our own id and a vetted suffix: the file
        # name came from the user and could climb out of the folder it is unpacked in.
        images.append((f"certificates/{int(sub.id)}.{archive_suffix(sub.file_name)}", content))
    return await asyncio.to_thread(_zip, data, images)  # compressing is CPU work: off the event loop


def _zip(data: dict[str, Any], images: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        for name, content in images:
            archive.writestr(name, content)
    return buffer.getvalue()


async def reminders_of(staff: Staff) -> dict[str, Any]:
    """The export's part on the reminders sent to the person, their pauses and channel choice."""
    return {
        "reminders_sent": [
            _row(r, skip=("sweep",)) for r in await ReminderSent.filter(staff_id=staff.id).order_by("id")
        ],
        "reminder_pauses": [_row(r) for r in await ReminderPause.filter(staff_id=staff.id).order_by("id")],
        "reminder_choice": [_row(r) for r in await ReminderChoice.filter(staff_id=staff.id)],
    }


def mention_pattern(staff: Staff) -> re.Pattern[str]:
    """Matches the person's employee code (as a whole word) or first and last name (any spacing)."""
    parts = [rf"(?<![A-Za-z0-9]){re.escape(staff.employee_code)}(?![A-Za-z0-9])"]
    if staff.first_name.strip() and staff.last_name.strip():
        parts.append(rf"{re.escape(staff.first_name.strip())}\s*{re.escape(staff.last_name.strip())}")
    return re.compile("|".join(parts))


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def _matching_ids(model: Any, column: str, pattern: re.Pattern[str]) -> list[int]:
    """Ids of rows whose JSON `column` mentions the person, scanned in id order, a batch at a time."""
    found: list[int] = []
    last = 0
    while True:
        batch = await model.filter(id__gt=last).order_by("id").limit(_SCAN_BATCH).values_list("id", column)
        if not batch:
            return found
        found.extend(row_id for row_id, value in batch if pattern.search(_text(value)))
        last = batch[-1][0]


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, pattern) for k, v in value.items()}
    return value


async def erase_person(staff: Staff, files: FileStore, reports_dir: Path | None = None) -> ErasureReport:
    """Delete everything held about a person and anonymise their roster row.

    Gone: their certificate images, submissions not approved with their histories, chat links,
    link codes and copy links, the access log about them (entries where they looked at others
    lose their name), their raw events and others' events that name them, every queued or sent
    message to them or about them, conversations that name them, agreed courses, delegations
    either way, reminder claims, pauses and choices, and their approval prompts. Other
    people's histories keep their entries with the name replaced. Cached reports in
    `reports_dir` are deleted (they are rebuilt on request), and so are stored uploads no
    submission uses, such as roster files an admin sent in chat.

    What past reports count stays, without anything that names the person: approved
    submissions keep their course, hours, dates and decision (name read, chat, file name,
    warnings and reason removed, the image deleted and recorded as gone), and the notices
    addressed to them keep their delivery and acknowledgement (the channel removed), so the
    yearly report's certificates and the notices' counts do not change. The roster row stays
    (deactivated, without name) so that records pointing at it keep their integrity.
    """
    pattern = mention_pattern(staff)
    submissions = await Submission.filter(staff_id=staff.id)
    hashes = {s.file_sha256 for s in submissions}
    identities = await ChatIdentity.filter(staff_id=staff.id)
    chats = [(i.channel, i.platform_user_id) for i in identities]
    ids = [s.id for s in submissions]
    kept = [s.id for s in submissions if s.status == SubmissionStatus.APPROVED]
    dropped = [i for i in ids if i not in kept]
    receipts = list(await NoticeRecipient.filter(staff_id=staff.id).values_list("id", flat=True))
    # Scanned before the transaction so that SQLite is not locked for the length of a full scan.
    events = await _matching_ids(InboundEvent, "payload", pattern)
    messages = await _matching_ids(OutboxMessage, "payload", pattern)
    conversations = await _matching_ids(ConversationState, "data", pattern)
    audit = await _matching_ids(AuditRecord, "detail", pattern)
    async with in_transaction():
        await AuditRecord.filter(submission_id__in=dropped).delete()
        await ApprovalPrompt.filter(Q(submission_id__in=ids) | Q(approver_id=staff.id)).delete()
        await Submission.filter(id__in=dropped).delete()
        if kept:
            await Submission.filter(id__in=kept).update(
                name_read=None, chat="", file_name=None, image_phash=None, warnings=[], decision_reason=None,
                error=None,
            )
        own_keys = [f"{channel}:{user}" for channel, user in chats]
        removed_events = await InboundEvent.filter(user_key__in=own_keys).delete() if own_keys else 0
        removed_events += await InboundEvent.filter(id__in=events).delete() if events else 0
        removed_messages = await OutboxMessage.filter(id__in=messages).delete() if messages else 0
        # A notice's rows to them, chats unlinked since included.
        removed_messages += await OutboxMessage.filter(recipient_id__in=receipts).delete() if receipts else 0
        removed_conversations = (
            await ConversationState.filter(id__in=conversations).delete() if conversations else 0
        )
        for channel, user in chats:
            removed_messages += await OutboxMessage.filter(channel=channel, chat=user).delete()
            await ConversationState.filter(channel=channel, user=user).delete()
        scrubbed = 0
        for record in await AuditRecord.filter(id__in=audit):
            record.detail = _scrub(record.detail, pattern)
            await record.save(update_fields=["detail"])
            scrubbed += 1
        await ChatIdentity.filter(staff_id=staff.id).delete()
        await LinkCode.filter(staff_id=staff.id).delete()
        await DataCopyLink.filter(staff_id=staff.id).delete()
        access_entries = await AccessLog.filter(subject_id=staff.id).delete()
        # The person looked at keeps the entry: that their record was opened is theirs to know.
        anonymised = await AccessLog.filter(viewer_id=staff.id).update(viewer_id=None)
        required = await RequiredCourse.filter(staff_id=staff.id).delete()
        delegations = await Delegation.filter(Q(delegate_id=staff.id) | Q(supervisor_id=staff.id)).delete()
        notice_receipts = await NoticeRecipient.filter(staff_id=staff.id).update(ack_channel=None)
        reminders = await _erase_reminders(staff.id)
        staff.title, staff.first_name, staff.last_name, staff.position = "", ERASED, "", ""
        staff.active = False
        await staff.save()
    # Their kept submissions no longer hold the file; someone else's submission of the same bytes does.
    unused = [d for d in hashes if not await Submission.filter(file_sha256=d).exclude(staff_id=staff.id).exists()]
    for digest in unused:
        await files.delete(digest)
    # Recorded once the files are gone: a crash before this leaves them to the retention sweep to record.
    await mark_image_removed(kept, "erasure")
    return ErasureReport(
        submissions=len(dropped),
        files=len(unused),
        identities=len(chats),
        events=removed_events,
        outbox_messages=removed_messages,
        conversations=removed_conversations,
        required_courses=required,
        delegations=delegations,
        audit_records_scrubbed=scrubbed,
        report_files=await asyncio.to_thread(_remove_reports, reports_dir),
        orphaned_files=(await remove_unreferenced(files, ORPHAN_MIN_AGE_SECONDS))[0],
        access_entries=access_entries,
        access_entries_anonymised=anonymised,
        submissions_kept=len(kept),
        notice_receipts=notice_receipts,
        reminders=reminders,
    )


async def _erase_reminders(staff_id: int) -> int:
    """Remove the person's reminder claims, pauses and channel choice; returns how many rows."""
    removed = await ReminderSent.filter(staff_id=staff_id).delete()
    removed += await ReminderPause.filter(staff_id=staff_id).delete()
    return removed + await ReminderChoice.filter(staff_id=staff_id).delete()


def _remove_reports(reports_dir: Path | None) -> int:
    """Delete cached report files (they list everyone, this person included)."""
    if reports_dir is None or not reports_dir.is_dir():
        return 0
    removed = 0
    for path in reports_dir.iterdir():
        if path.is_file() or path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


