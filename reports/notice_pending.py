"""Who has not acknowledged a circular notice, as an XLSX HR can chase from: a summary and the list.

The same workbook for the admin chat command and `python -m bot notice ID --out`.
Sheet 1 holds the notice (subject, number, dates) and its counts; sheet 2 one row a
person who has not acknowledged, by unit, with whether the notice reached them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.texts import t
from fiscal.thai_dates import BANGKOK, official_date
from reports.tables import Table
from reports.xlsx import write_tables
from storage import notices
from storage.models import Notice

STATES = ("queued", "delivered", "unreachable", "held")


@dataclass(frozen=True, slots=True)
class PendingExport:
    """A notice, where it stands, and who has not acknowledged it."""

    notice: Notice
    counts: notices.Counts
    pending: list[notices.Pending]


def sent_on(notice: Notice) -> dt.date | None:
    """The Bangkok day it went out (None while only scheduled)."""
    if notice.queued_at is None:
        return None
    return dt.datetime.fromtimestamp(notice.queued_at, BANGKOK).date()


def state_label(state: str) -> str:
    """A recipient's state in Thai (ส่งถึงแล้ว / ติดต่อไม่ได้ / รอโควตา LINE / กำลังส่ง)."""
    return t(f"notice_track.state_{state if state in STATES else 'queued'}")


async def collect(notice_id: int) -> PendingExport | None:
    """The notice, its counts and who has not acknowledged, or not received one that asks no acknowledgement.

    None when there is no such notice.
    """
    notice = await notices.get(notice_id)
    if notice is None:
        return None
    counts = (await notices.counts([notice_id]))[notice_id]
    pending = await notices.not_acknowledged(notice_id)
    if not notice.ack_required:
        # Nobody is asked to acknowledge it: HR follows whom it has not reached.
        pending = [p for p in pending if p.state != notices.DELIVERED]
    return PendingExport(notice, counts, pending)


def tables(export: PendingExport) -> list[Table]:
    """The two sheets: summary, and who has not acknowledged."""
    notice, counts = export.notice, export.counts
    sent = sent_on(notice)

    def summary_rows() -> Iterator[tuple[Any, ...]]:
        yield (t("notice_track.xlsx_subject"), notice.subject)
        yield (t("notice_track.xlsx_doc_no"), notice.doc_no or "")
        yield (t("notice_track.xlsx_sent"), official_date(sent) if sent else "")
        yield (t("notice_track.xlsx_reply_by"), official_date(notice.reply_by) if notice.reply_by else "")
        yield (t("notice_track.xlsx_total"), counts.total)
        yield (t("notice_track.state_delivered"), counts.delivered)
        yield (t("notice_track.state_unreachable"), counts.unreachable)
        yield (t("notice_track.state_held"), counts.held)
        yield (t("notice_track.state_queued"), counts.waiting)
        yield (t("notice_track.xlsx_acknowledged"), counts.acknowledged)
        yield (t("notice_track.xlsx_not_acknowledged"), len(export.pending))

    def pending_rows() -> Iterator[tuple[Any, ...]]:
        for person in export.pending:
            yield (person.unit, person.employee_code, person.name, state_label(person.state))

    return [
        Table(
            t("notice_track.xlsx_summary_sheet"), "summary",
            (t("notice_track.xlsx_item"), t("notice_track.xlsx_value")), (24, 60), summary_rows,
        ),
        Table(
            t("notice_track.xlsx_pending_sheet"), "pending",
            (t("notice_track.xlsx_unit"), t("notice_track.xlsx_code"), t("notice_track.xlsx_name"),
             t("notice_track.xlsx_state")),
            (30, 14, 30, 16), pending_rows,
        ),
    ]  # fmt: skip


async def build(notice_id: int, out: Path) -> PendingExport | None:
    """Collect and write the workbook to `out` (owner-only); None when there is no such notice."""
    export = await collect(notice_id)
    if export is None:
        return None
    # Tens of thousands of rows for a whole-agency notice: written in a thread, off the event loop.
    await asyncio.to_thread(write_tables, tables(export), out)
    return export


def file_name(notice_id: int) -> str:
    """An ASCII file name (chat apps mangle Thai ones): notice-12-pending.xlsx."""
    return f"notice-{notice_id}-pending.xlsx"
