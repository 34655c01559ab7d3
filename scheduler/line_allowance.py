"""Keeping a reminder sweep within LINE's monthly message allowance.

Every LINE push counts against the agency's monthly allowance once per request and
recipient (`bot/sending.py` bundles a chat's messages into one request, and a reminder is
one message), so a sweep costs one message per person per linked LINE chat. When that
is more than is left this month:

- people also linked on Telegram get the reminder there only;
- the rest go out on LINE, most urgent first (least of the target done, then the most
  agreed courses missing), while the allowance lasts;
- whoever is left out is held back: not claimed, so a later sweep still in the same
  window (after the plan is raised, or on the 1st when the month's allowance renews)
  sends it, once;
- the admins are told, once per reminder window; their LINE chats are counted first,
  so the notice itself fits.

`plan` is pure: the sweep passes what is due and what is left, and sends what it says.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.channels.base import UNLIMITED, Allowance
from bot.events import Reply
from bot.sending import Chat
from config.texts import t
from storage import people
from storage import reminders as store
from storage.approvals import admins

if TYPE_CHECKING:
    from bot.sending import Notifier, Sending
    from scheduler.reminders import DueReminder, Window

logger = logging.getLogger(__name__)

LINE = "line"
FALLBACK = "telegram"  # free to send on, and people linked on both read it there too
ADMIN_KIND = "line_allowance"  # the admins' notice, claimed like a reminder: once per admin and window


@dataclass(frozen=True, slots=True)
class Plan:
    """How a sweep's reminders fit the allowance: who goes where, and who waits."""

    line_messages: int  # what the sweep would use as due, before any planning
    allowance: Allowance
    only_on: dict[int, tuple[str, ...]] = field(default_factory=dict)  # staff id -> the channels they get it on
    held_back: frozenset[int] = frozenset()  # staff ids not sent (and not claimed) this sweep

    @property
    def short(self) -> bool:
        """Whether the allowance did not cover the sweep as due."""
        return not self.allowance.fits(self.line_messages)

    @property
    def moved(self) -> int:
        """How many people get it on Telegram instead of LINE."""
        return len(self.only_on)


def line_messages(due: Sequence[DueReminder]) -> int:
    """LINE messages the reminders would use: one push per person per linked LINE chat."""
    return sum(item.channels.count(LINE) for item in due)


def urgency(item: DueReminder) -> tuple[float, int, int]:
    """Sort key, most urgent first: the smallest share of the target done, then most agreed courses missing."""
    return (item.progress.fraction, -len(item.progress.missing_required), item.staff_id)


def plan(due: Sequence[DueReminder], allowance: Allowance, admin_line_chats: int = 0) -> Plan:
    """Fit the due reminders into what is left of the allowance (pure).

    `admin_line_chats` is what the admins' notice would cost on LINE when the
    allowance falls short; it is kept back from the reminders so that the notice goes out.
    """
    needed = line_messages(due)
    if allowance.fits(needed):
        return Plan(needed, allowance)
    budget = max(0, (allowance.left or 0) - admin_line_chats)
    only_on: dict[int, tuple[str, ...]] = {}
    line_only: list[DueReminder] = []
    for item in due:
        if LINE not in item.channels:
            continue
        # Someone who chose LINE but also linked Telegram would rather read it there than not at all.
        if FALLBACK in (item.linked or item.channels):
            only_on[item.staff_id] = tuple(c for c in (item.linked or item.channels) if c != LINE)
        else:
            line_only.append(item)
    held: list[int] = []
    for item in sorted(line_only, key=urgency):
        cost = item.channels.count(LINE)
        if cost <= budget:
            budget -= cost
        else:
            held.append(item.staff_id)
    return Plan(needed, allowance, only_on, frozenset(held))



@dataclass(frozen=True, slots=True)
class Fitted:
    """A plan with what sending it needs: the chats of people moved off LINE, the admins to tell."""

    plan: Plan
    chats: dict[int, list[Chat]] = field(default_factory=dict)  # staff id -> the chats they get it on
    admin_ids: tuple[int, ...] = ()  # admins not yet told in this window

    @property
    def held_back(self) -> frozenset[int]:
        """Who is neither sent nor claimed this sweep."""
        return self.plan.held_back

    def send_to(self, out: Sending, staff_id: int, reply: Reply) -> None:
        """Queue one person's reminder on the chats the plan gives them."""
        if staff_id in self.chats:
            for chat in self.chats[staff_id]:
                out.send_to(chat, reply)
        else:
            out.send_to(staff_id, reply)

    async def tell_admins(self, out: Sending, window: Window, now: dt.datetime) -> None:
        """Queue the admins' notice of what could not go out on LINE (call inside the sending transaction)."""
        if not self.plan.held_back or not self.admin_ids:
            return
        told = await store.claim(
            self.admin_ids, window.fiscal_year, window.round, ADMIN_KIND, window.offset_days, now
        )
        notice = Reply(
            text=t(
                "line_allowance.admin_notice", round=window.round, held=len(self.plan.held_back),
                moved=self.plan.moved, left=self.plan.allowance.left or 0, needed=self.plan.line_messages,
            )
        )
        for admin_id in told:
            out.send_to(admin_id, notice)


async def fit(notifier: Notifier, due: Sequence[DueReminder], window: Window) -> Fitted:
    """Ask what is left of the LINE allowance and plan the sweep within it.

    Nothing is asked when the sweep needs no LINE message; an allowance that cannot be
    read holds nothing back (the adapter logged why).
    """
    needed = line_messages(due)
    if not needed:
        return Fitted(Plan(0, UNLIMITED))
    allowance = await notifier.allowance(LINE)
    if allowance.fits(needed):
        return Fitted(Plan(needed, allowance))
    told = await store.already_claimed(window.fiscal_year, window.round, ADMIN_KIND, window.offset_days)
    admin_ids = tuple(a.id for a in await admins() if a.id not in told)
    admin_chats = await people.identities_of_many(list(admin_ids))
    notice_cost = sum(1 for found in admin_chats.values() for i in found if i.channel == LINE)
    planned = plan(due, allowance, notice_cost)
    moved = await people.identities_of_many(list(planned.only_on))
    chats = {
        staff_id: [Chat(i.channel, i.platform_user_id) for i in moved.get(staff_id, []) if i.channel != LINE]
        for staff_id in planned.only_on
    }
    logger.warning(
        "LINE allowance short: %d left, %d needed; %d moved to Telegram, %d held back",
        allowance.left or 0, needed, planned.moved, len(planned.held_back),
    )
    return Fitted(planned, chats, admin_ids)
