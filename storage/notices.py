"""Circular notices (หนังสือเวียน): who they are addressed to, whether they arrived, who acknowledged.

A notice's audience is kept as a small rule (everyone, some units, supervisors, those
below target, a list of codes) and resolved to people when it is queued, so a notice
scheduled for next week reaches next week's roster. Each addressee gets one
`NoticeRecipient` row: its state says whether a chat got the notice, and its
acknowledgement is written once, whichever channel and however often it is pressed.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tortoise.functions import Count

from storage import reminders
from storage.models import ChatIdentity, Notice, NoticeRecipient, Staff, Unit
from storage.progress import MET, progress_of

AUDIENCE_KINDS = ("all", "units", "supervisors", "behind", "codes")
QUEUED, DELIVERED, UNREACHABLE, HELD = "queued", "delivered", "unreachable", "held"
MAX_CODES = 5000  # employee codes one notice may list
WHOLE_AGENCY_FROM = 500  # from this many people, progress is read for everyone at once

Acknowledged = Literal["recorded", "again", "not_addressed"]


@dataclass(frozen=True, slots=True)
class Audience:
    """People a notice's rule picks today, and listed codes that match nobody."""

    staff_ids: list[int]
    unknown_codes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Reach:
    """Where an audience can be reached: chats per channel, and who has none."""

    chats: dict[int, list[tuple[str, str]]]  # staff id -> (channel, chat) not blocked
    unreachable: list[int]  # no linked chat, or every one blocked the bot

    def people_on(self, channel: str) -> int:
        """How many people have a chat on `channel`."""
        return sum(1 for chats in self.chats.values() if any(c == channel for c, _ in chats))

    def only_on(self, channel: str) -> int:
        """How many people `channel` is the only way to reach."""
        return sum(1 for chats in self.chats.values() if {c for c, _ in chats} == {channel})


@dataclass(frozen=True, slots=True)
class Counts:
    """Where a notice stands."""

    total: int = 0
    delivered: int = 0
    unreachable: int = 0
    held: int = 0
    acknowledged: int = 0

    @property
    def waiting(self) -> int:
        """Queued and not yet delivered (the dispatcher is still at work)."""
        return self.total - self.delivered - self.unreachable - self.held


async def descendants(unit_ids: Iterable[int]) -> set[int]:
    """These units and every unit below them (the tree is read once: agencies have hundreds, not millions)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for unit_id, parent_id in await Unit.all().values_list("id", "parent_id"):
        children[parent_id].append(unit_id)
    found: set[int] = set()
    todo = list(unit_ids)
    while todo:
        unit_id = todo.pop()
        if unit_id in found:
            continue
        found.add(unit_id)
        todo.extend(children.get(unit_id, []))
    return found


async def resolve(audience: dict[str, Any], today: dt.date) -> Audience:
    """The active staff a notice's audience rule picks on `today`."""
    kind = audience.get("kind")
    active = Staff.filter(active=True)
    if kind == "all":
        return Audience(list(await active.order_by("id").values_list("id", flat=True)))
    if kind == "units":
        units = [int(u) for u in audience.get("units") or []]
        if audience.get("subunits"):
            units = sorted(await descendants(units))
        ids = await active.filter(unit_id__in=units).order_by("id").values_list("id", flat=True)
        return Audience(list(ids))
    if kind == "supervisors":
        return Audience(list(await active.filter(is_supervisor=True).order_by("id").values_list("id", flat=True)))
    if kind == "behind":
        rows = await active.order_by("id").values_list("id", "target_group")
        progress = await progress_of(list(rows), today, whole_agency=len(rows) >= WHOLE_AGENCY_FROM)
        return Audience([staff_id for staff_id, _ in rows if progress[staff_id].status != MET])
    if kind == "codes":
        codes = list(dict.fromkeys(str(c).strip() for c in audience.get("codes") or [] if str(c).strip()))
        found = dict(await active.filter(employee_code__in=codes).values_list("employee_code", "id"))
        return Audience(sorted(found.values()), [c for c in codes if c not in found])
    raise ValueError(f"unknown audience kind {kind!r}")


async def reach(staff_ids: Sequence[int]) -> Reach:
    """Each person's chats that have not blocked the bot, and who has none."""
    chats: dict[int, list[tuple[str, str]]] = defaultdict(list)
    wanted = set(staff_ids)
    query = ChatIdentity.filter(blocked_at__isnull=True)
    if len(wanted) < WHOLE_AGENCY_FROM:
        query = query.filter(staff_id__in=list(wanted))
    for staff_id, channel, chat in await query.order_by("id").values_list("staff_id", "channel", "platform_user_id"):
        if staff_id in wanted:
            chats[staff_id].append((channel, chat))
    return Reach(dict(chats), [s for s in staff_ids if s not in chats])


async def routes(reach: Reach) -> dict[int, list[tuple[str, str]]]:
    """Where a notice goes for each reachable person: the channel they chose for reminders, else every chat."""
    chosen = await reminders.choices()
    going: dict[int, list[tuple[str, str]]] = {}
    for staff_id, chats in reach.chats.items():
        picked = [chat for chat in chats if chat[0] == chosen.get(staff_id)]
        going[staff_id] = picked or list(chats)
    return going


async def create(
    *,
    subject: str,
    body: str,
    audience: dict[str, Any],
    created_by: int | None,
    send_at: float,
    doc_no: str | None = None,
    reply_by: dt.date | None = None,
    attachments: Sequence[dict[str, Any]] = (),
    ack_required: bool = True,
    urgent: bool = False,
    line_overflow: str = "telegram",
) -> Notice:
    """Store a confirmed notice; the scheduler queues it once `send_at` has come."""
    if audience.get("kind") not in AUDIENCE_KINDS:
        raise ValueError("unknown audience kind")
    return await Notice.create(
        subject=subject,
        body=body,
        audience=audience,
        created_by_id=created_by,
        send_at=send_at,
        doc_no=doc_no or None,
        reply_by=reply_by,
        attachments=list(attachments),
        ack_required=ack_required,
        urgent=urgent,
        line_overflow=line_overflow,
        created_at=time.time(),
    )


async def due(now: float) -> list[Notice]:
    """Notices whose time has come and that nobody has queued yet, first sendings and re-sends."""
    return await Notice.filter(status__in=("scheduled", "resend"), send_at__lte=now).order_by("send_at", "id")


async def claim(notice_id: int, now: float, *, resend: bool = False) -> bool:
    """Take a due notice (or its re-send) for queueing, inside the queueing transaction: one process wins."""
    if resend:
        return bool(await Notice.filter(id=notice_id, status="resend").update(status="queued"))
    return bool(await Notice.filter(id=notice_id, status="scheduled").update(status="queued", queued_at=now))


async def add_recipients(notice_id: int, states: dict[int, str]) -> dict[int, int]:
    """One row per addressee with its first state; returns staff id -> recipient id."""
    await NoticeRecipient.bulk_create(
        [NoticeRecipient(notice_id=notice_id, staff_id=staff_id, state=state) for staff_id, state in states.items()],
        batch_size=1000,
    )
    return dict(await NoticeRecipient.filter(notice_id=notice_id).values_list("staff_id", "id"))


async def mark_delivered(recipient_ids: Iterable[int], at: float) -> None:
    """A chat got the notice (the first delivery counts; an unreachable mark from another chat is undone)."""
    ids = list(set(recipient_ids))
    for start in range(0, len(ids), 1000):
        await NoticeRecipient.filter(id__in=ids[start : start + 1000], delivered_at__isnull=True).update(
            state=DELIVERED, delivered_at=at
        )


async def mark_unreachable(recipient_ids: Iterable[int]) -> None:
    """Every chat refused for good (blocked the bot): unless another chat delivered it already."""
    ids = list(set(recipient_ids))
    for start in range(0, len(ids), 1000):
        await NoticeRecipient.filter(id__in=ids[start : start + 1000], delivered_at__isnull=True).update(
            state=UNREACHABLE
        )


@functools.cache
def _ack_sql(dialect: str) -> str:
    sql = (
        f"UPDATE {NoticeRecipient._meta.db_table} SET acknowledged_at = ?, ack_channel = ? "
        "WHERE notice_id = ? AND staff_id = ? AND acknowledged_at IS NULL"
    )
    if dialect == "postgres":  # asyncpg numbers its parameters
        sql = sql.replace("?", "${}").format(*range(1, sql.count("?") + 1))
    return sql


async def acknowledge(notice_id: int, staff_id: int, channel: str, at: float) -> Acknowledged:
    """Record a press of รับทราบ once, with its time and channel; later presses change nothing.

    The conditional UPDATE is written out: after a notice to a whole agency it runs hundreds
    of times a second, and building it through the query builder cost more than running it.
    """
    db = NoticeRecipient._meta.db  # the transaction's connection when called inside one
    won, _ = await db.execute_query(_ack_sql(db.capabilities.dialect), [at, channel, notice_id, staff_id])
    if won:
        return "recorded"
    if await NoticeRecipient.exists(notice_id=notice_id, staff_id=staff_id):
        return "again"
    return "not_addressed"


async def counts(notice_ids: Sequence[int]) -> dict[int, Counts]:
    """Delivered / unreachable / held / acknowledged per notice, in two grouped queries."""
    by_state: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        await NoticeRecipient.filter(notice_id__in=list(notice_ids))
        .annotate(n=Count("id"))
        .group_by("notice_id", "state")
        .values_list("notice_id", "state", "n")
    )
    for notice_id, state, n in rows:
        by_state[notice_id][state] = n
    acked = dict(
        await NoticeRecipient.filter(notice_id__in=list(notice_ids), acknowledged_at__isnull=False)
        .annotate(n=Count("id"))
        .group_by("notice_id")
        .values_list("notice_id", "n")
    )
    result = {}
    for notice_id in notice_ids:
        states = by_state.get(notice_id, {})
        result[notice_id] = Counts(
            total=sum(states.values()),
            delivered=states.get(DELIVERED, 0),
            unreachable=states.get(UNREACHABLE, 0),
            held=states.get(HELD, 0),
            acknowledged=acked.get(notice_id, 0),
        )
    return result


async def recent(limit: int = 10) -> list[Notice]:
    """The latest notices, newest first."""
    return await Notice.all().order_by("-id").limit(limit)


async def get(notice_id: int) -> Notice | None:
    """One notice by id."""
    return await Notice.get_or_none(id=notice_id)


@dataclass(frozen=True, slots=True)
class Pending:
    """Someone who has not acknowledged a notice yet."""

    unit: str
    employee_code: str
    name: str
    state: str  # queued, delivered, unreachable, held


async def not_acknowledged(notice_id: int) -> list[Pending]:
    """Who has not acknowledged, sorted by unit then code (what HR chases)."""
    rows = await NoticeRecipient.filter(notice_id=notice_id, acknowledged_at__isnull=True).values_list(
        "state", "staff__employee_code", "staff__title", "staff__first_name", "staff__last_name", "staff__unit__name"
    )
    found = [
        Pending(unit or "", code, f"{title}{first} {last}".strip(), state)
        for state, code, title, first, last, unit in rows
    ]
    return sorted(found, key=lambda p: (p.unit, p.employee_code))


async def waiting_ids(notice_id: int) -> list[int]:
    """Staff ids of addressees who have not acknowledged (a re-send goes to them)."""
    return list(
        await NoticeRecipient.filter(notice_id=notice_id, acknowledged_at__isnull=True)
        .order_by("staff_id")
        .values_list("staff_id", flat=True)
    )


async def recipient_ids(notice_id: int, staff_ids: Sequence[int]) -> dict[int, int]:
    """Staff id -> recipient id for these addressees of a notice."""
    return dict(
        await NoticeRecipient.filter(notice_id=notice_id, staff_id__in=list(staff_ids)).values_list("staff_id", "id")
    )


async def set_states(recipient_ids: Iterable[int], state: str) -> None:
    """Set the state of recipients not yet delivered (queued again on a re-send, or held)."""
    ids = list(set(recipient_ids))
    for start in range(0, len(ids), 1000):
        await NoticeRecipient.filter(id__in=ids[start : start + 1000], delivered_at__isnull=True).update(state=state)
