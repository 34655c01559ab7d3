"""Linking a chat account to the roster with a one-time code, and the first greeting."""

from __future__ import annotations

import time

from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from handlers.menu import show_menu
from storage import link_codes, people

router = Router("linking")

# Codes are 31^8 ≈ 8.5e11 strong; a per-chat limit still stops anyone guessing at volume.
MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW_SECONDS = 3600


@router.follow()
async def greet(turn: Turn) -> None:
    """A new chat (LINE follow, simulator open): explain how to link, or show the menu."""
    if turn.person is None:
        turn.reply("link.welcome_new")
    else:
        show_menu(turn)


@router.text(r"/start(?:@\w+)?", public=True)
async def start(turn: Turn) -> None:
    """Telegram /start without a payload."""
    await greet(turn)


@router.text(r"/start(?:@\w+)?\s+(\S+)", public=True)
async def start_with_code(turn: Turn, code: str) -> None:
    """Telegram deep link t.me/<bot>?start=CODE."""
    await link_account(turn, code)


@router.text(r"(?:link|เชื่อม(?:บัญชี)?)\s*[:：]?\s*([A-Za-z0-9\- ]{8,12})", public=True)
async def link_command(turn: Turn, code: str) -> None:
    """`link CODE` or `เชื่อม CODE`."""
    await link_account(turn, code)


@router.text(r"([A-Za-z0-9\- ]{8,12})", unlinked_only=True)
async def bare_code(turn: Turn, code: str) -> None:
    """A message from an unlinked user that is just a code."""
    await link_account(turn, code)


async def link_account(turn: Turn, code: str) -> None:
    """Redeem a code and bind this chat account to its staff member."""
    if turn.person is not None:
        turn.reply("link.already", name=turn.person.display_name)
        return
    failures = [ts for ts in turn.state.data.get("link_failures", []) if ts > time.time() - ATTEMPT_WINDOW_SECONDS]
    if len(failures) >= MAX_FAILED_ATTEMPTS:
        turn.reply("link.bad_code")
        return
    staff = await link_codes.redeem(code)
    if staff is None:
        turn.state.set(turn.state.name or "link.unlinked", link_failures=[*failures, time.time()])
        turn.reply("link.bad_code")
        return
    if not staff.active:
        turn.reply("link.inactive")
        return
    await people.link(turn.incoming.channel, turn.incoming.user, staff)
    turn.state.clear()
    turn.person = staff
    turn.reply("link.done", name=staff.display_name, unit=staff.unit.name if staff.unit else t("link.no_unit"))
    show_menu(turn)
