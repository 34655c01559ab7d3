"""What a circular notice would do if confirmed now: whom it reaches, on which channel, at what cost, and when.

One computation for the chat preview and for `python -m bot broadcast`, so both
show the same facts. Nothing here writes: the draft is an unsaved `Notice`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.channels.base import Allowance
from bot.events import Capabilities
from fiscal.calendar import today_bangkok
from fiscal.quiet_hours import quiet_release
from handlers.notice_card import line_requests
from storage import notices
from storage.models import Notice, Staff, Unit

NAMES_SHOWN = 10  # unreachable people named in a preview; the rest are counted
MAX_ATTACHMENTS = 3
# Kinds a notice may carry: what every phone opens without an app.
ATTACHMENT_KINDS = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
CHANNEL_ORDER = ("line", "telegram", "sim")


class Outlet(Protocol):
    """What a preview asks of the sending side: a channel's limits and LINE's allowance left."""

    def can(self, channel: str) -> Capabilities: ...

    async def allowance(self, channel: str) -> Allowance: ...


def attachment_kind(head: bytes) -> str | None:
    """"pdf", "jpeg" or "png" from a file's first bytes, else None (other types are refused)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return None


@dataclass(slots=True)
class Preview:
    """The facts an admin confirms a notice on."""

    people: int  # addressees the audience picks today
    on: dict[str, int]  # channel -> people with a chat there
    reachable: int
    unreachable: int
    unreachable_names: list[str]  # the first NAMES_SHOWN of them, by employee code
    unknown_codes: list[str]
    line_people: int
    line_requests: int  # LINE requests per person: one carries up to five messages
    line_messages: int  # what the monthly allowance is charged: people on LINE x requests each
    allowance: Allowance
    line_and_telegram: int  # people on LINE who also have Telegram (they can get it there instead)
    send_at: float
    release_at: float | None  # when quiet hours let it go out, if `send_at` falls in them and it is not urgent

    @property
    def short(self) -> bool:
        """Whether LINE's allowance cannot carry everyone on LINE."""
        return not self.allowance.fits(self.line_messages)

    @property
    def goes_at(self) -> float:
        """When it really goes out."""
        return self.release_at or self.send_at

    @property
    def unreachable_more(self) -> int:
        """Unreachable people not named."""
        return self.unreachable - len(self.unreachable_names)


def draft_notice(
    *,
    subject: str,
    body: str,
    doc_no: str | None = None,
    reply_by: dt.date | None = None,
    attachments: Sequence[dict[str, Any]] = (),
    audience: dict[str, Any],
    ack_required: bool = True,
    urgent: bool = False,
    line_overflow: str = "telegram",
    send_at: float = 0.0,
) -> Notice:
    """An unsaved notice (id 0) to render and count; `notices.create` stores the confirmed one."""
    return Notice(
        id=0, subject=subject, body=body, doc_no=doc_no or None, reply_by=reply_by, attachments=list(attachments),
        audience=audience, ack_required=ack_required, urgent=urgent, line_overflow=line_overflow, send_at=send_at,
    )


async def preview(
    notice: Notice,
    out: Outlet,
    *,
    quiet: tuple[dt.time, dt.time] | None,
    zone: ZoneInfo,
    now: dt.datetime,
) -> Preview:
    """Resolve the audience as of today and count who it reaches where, LINE's cost, and the real send time."""
    audience = await notices.resolve(notice.audience, today_bangkok(now))
    reach = await notices.reach(audience.staff_ids)
    # As the queueing job routes it: a person who chose one channel for reminders gets it there.
    going = {staff_id: {channel for channel, _ in chats} for staff_id, chats in (await notices.routes(reach)).items()}
    on = {channel: sum(1 for channels in going.values() if channel in channels) for channel in CHANNEL_ORDER}
    names = await _names(reach.unreachable)
    line = out.can("line")
    requests = line_requests(notice, line)
    line_people = on["line"]
    both = sum(
        1 for staff_id, chats in reach.chats.items()
        if "line" in going[staff_id] and any(channel == "telegram" for channel, _ in chats)
    )
    send_at = max(notice.send_at or 0.0, now.timestamp())
    release = None if notice.urgent else quiet_release(dt.datetime.fromtimestamp(send_at, dt.UTC), quiet, zone)
    return Preview(
        people=len(audience.staff_ids),
        on=on,
        reachable=len(reach.chats),
        unreachable=len(reach.unreachable),
        unreachable_names=names,
        unknown_codes=audience.unknown_codes,
        line_people=line_people,
        line_requests=requests,
        line_messages=line_people * requests,
        allowance=await out.allowance("line"),
        line_and_telegram=both,
        send_at=send_at,
        release_at=release.timestamp() if release else None,
    )


async def _names(staff_ids: list[int]) -> list[str]:
    """The first unreachable people by employee code, as printed on documents."""
    if not staff_ids:
        return []
    people = await Staff.filter(id__in=staff_ids[:5000]).order_by("employee_code").limit(NAMES_SHOWN)
    return [f"{p.display_name} ({p.employee_code})" for p in people]


@dataclass(frozen=True, slots=True)
class UnitChoice:
    """A unit as an admin picks it: its own name and where it sits in the tree."""

    id: int
    name: str
    path: str  # "สำนักงานทดสอบ > กลุ่มส่งเสริม"


async def unit_choices() -> list[UnitChoice]:
    """Every unit, in tree order (by path), for the chat's buttons and the command line's names."""
    rows = await Unit.all().values_list("id", "name", "parent_id")
    by_id = {unit_id: (name, parent_id) for unit_id, name, parent_id in rows}

    def path(unit_id: int) -> str:
        parts, seen, current = [], set(), unit_id
        while current is not None and current in by_id and current not in seen:
            seen.add(current)
            name, current = by_id[current]
            parts.append(name)
        return " > ".join(reversed(parts))

    return sorted((UnitChoice(unit_id, name, path(unit_id)) for unit_id, name, _ in rows), key=lambda u: u.path)
