"""Circular notices that went out, built with the storage functions the queueing job and dispatcher use.

The tracking tests need notices whose recipients already stand somewhere (delivered,
unreachable, held by LINE's allowance, still queued) without running a broadcast;
acknowledgements then come through the real webhooks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterable
from typing import Any

from fiscal.calendar import today_bangkok
from fiscal.thai_dates import BANGKOK, official_date
from storage import notices
from storage.models import Notice, OutboxMessage, Staff


class QuietHours:
    """Quiet hours three hours long that start six hours after the suite does.

    Composing a notice and the queueing job woken by its confirm read the real clock, so
    with the default 20:00-07:00 a "send now" test run in the evening would see its notice
    held. These never hold the run's own "now", and give a time inside them to try.
    """

    def __init__(self, start_hour: int) -> None:
        self.start, self.end = start_hour, (start_hour + 3) % 24

    @property
    def setting(self) -> str:
        """The QUIET_HOURS value."""
        return f"{self.start:02d}:00-{self.end:02d}:00"

    def inside(self, day: dt.date) -> dt.datetime:
        """Half past the first quiet hour on `day`, in Bangkok."""
        return dt.datetime.combine(day, dt.time(self.start, 30), BANGKOK)

    def outside(self, day: dt.date) -> dt.datetime:
        """Twelve hours after the quiet hours start on `day`: never inside them, whatever hour the suite runs."""
        return dt.datetime.combine(day, dt.time(self.start), BANGKOK) + dt.timedelta(hours=12)

    def release(self, day: dt.date) -> dt.datetime:
        """When a notice held at `inside(day)` may go: the end of the quiet hours, that day or the next."""
        end_day = day + dt.timedelta(days=1) if self.end < self.start else day
        return dt.datetime.combine(end_day, dt.time(self.end, 0), BANGKOK)


QUIET = QuietHours((dt.datetime.now(BANGKOK) + dt.timedelta(hours=6)).hour)


# What the compose flow types, and the admin's steps up to "when".
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SUBJECT = "ขอเชิญประชุมประจำเดือน"
BODY = "ขอเชิญบุคลากรกลุ่มส่งเสริมเข้าประชุม ณ ห้องประชุม 1"
REPLY_BY = today_bangkok() + dt.timedelta(days=30)


async def compose_to_unit(admin, *, attach: bool = True) -> None:
    """Every step up to the time step: a PDF, to กลุ่มส่งเสริม only, acknowledgement required."""
    await admin.says("ส่งหนังสือเวียน")
    assert "เรื่อง" in admin.last()
    await admin.says(SUBJECT)
    assert "เลขที่หนังสือ" in admin.last()
    await admin.says("ศธ 1244/ว 123")
    await admin.says(official_date(REPLY_BY))
    assert "ข้อความของหนังสือ" in admin.last()
    await admin.says(BODY)
    if attach:
        await admin.sends_file(PDF, "agenda.pdf", mime="application/pdf")
        assert "แนบ agenda.pdf แล้วค่ะ (1/3)" in admin.last()
    await admin.presses("ไม่มี/เสร็จแล้ว")
    await admin.presses("เลือกหน่วยงาน")
    await admin.presses("กลุ่มส่งเสริม")
    assert "เลือกแล้ว: สำนักงานทดสอบ > กลุ่มส่งเสริม" in admin.last()
    await admin.presses("ตกลง เฉพาะที่เลือก")
    await admin.presses("ต้องกดรับทราบ")
    assert "ส่งเมื่อไร" in admin.last()


async def compose_to_attachments(admin) -> None:
    """The first steps, to the attachments: the subject and body, no document number, no reply deadline."""
    await admin.says("ส่งหนังสือเวียน")
    await admin.says(SUBJECT)
    await admin.presses("ข้าม")
    await admin.presses("ข้าม")
    await admin.says(BODY)


async def sent_notice(
    *,
    subject: str = "ประชุมประจำเดือน",
    delivered: Iterable[str] = (),
    unreachable: Iterable[str] = (),
    held: Iterable[str] = (),
    queued: Iterable[str] = (),
    reply_in_days: int | None = 7,
    doc_no: str | None = "ศธ 0001/ว 12",
    ack_required: bool = True,
) -> Notice:
    """A notice queued now to these employee codes, its recipients in the states named (reply by today + days)."""
    delivered, unreachable, held, queued = list(delivered), list(unreachable), list(held), list(queued)
    codes = delivered + unreachable + held + queued
    staff = dict(await Staff.filter(employee_code__in=codes).values_list("employee_code", "id"))
    assert set(staff) == set(codes), codes
    now = time.time()
    notice = await notices.create(
        subject=subject,
        body="ขอเชิญประชุมประจำเดือน ณ ห้องประชุม 1",
        audience={"kind": "codes", "codes": codes},
        created_by=None,
        send_at=now,
        doc_no=doc_no,
        reply_by=today_bangkok() + dt.timedelta(days=reply_in_days) if reply_in_days is not None else None,
        ack_required=ack_required,
    )
    assert await notices.claim(notice.id, now)
    states = {staff[c]: notices.HELD if c in held else notices.QUEUED for c in codes}
    ids = await notices.add_recipients(notice.id, states)
    await notices.mark_delivered([ids[staff[c]] for c in delivered], now)
    await notices.mark_unreachable([ids[staff[c]] for c in unreachable])
    return await Notice.get(id=notice.id)


def next_office_hours() -> dt.datetime:
    """Tomorrow 10:00 in Bangkok: after anything due now, outside quiet hours."""
    return dt.datetime.combine(today_bangkok() + dt.timedelta(days=1), dt.time(10), BANGKOK)


async def broadcast_settled(services: Any, timeout: float = 15.0) -> None:
    """Wait until the broadcast dispatcher has nothing left to send, then for chat replies in flight."""
    deadline = time.monotonic() + timeout
    while await OutboxMessage.filter(notice_id__isnull=False, status="pending").exists():
        assert time.monotonic() < deadline, "the broadcast did not finish"
        services.broadcaster.wake()
        await asyncio.sleep(0.05)
    await services.notifier.drain()
    await services.processor.drain()
