"""Linking a chat account to the roster with a one-time code, and the first greeting.

Guessing is limited twice: per chat (in its conversation state) and across all
chats (wrong guesses logged in `LinkAttempt`, so a new chat or another process
does not reset it). When a chat links to someone who already has linked chats,
those chats are told and get a button that removes the new link: a code that
was stolen or guessed cannot quietly give a stranger someone's powers.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from bot.events import Action, Button, Reply
from bot.routing import Router
from bot.sending import Chat
from bot.turn import Turn
from config.texts import t
from fiscal.thai_dates import short_datetime
from handlers.menu import show_menu
from handlers.privacy import send_privacy_notice
from storage import link_codes, people
from storage.models import ChatIdentity, Staff

logger = logging.getLogger(__name__)
router = Router("linking")

# Codes are 31^8 ≈ 8.5e11 strong; a per-chat limit still stops anyone guessing at volume.
MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW_SECONDS = 3600
REMOVE_ACTION = "link.rm"


@router.follow()
async def greet(turn: Turn) -> None:
    """A new chat (LINE follow, simulator open, Telegram /start): how to link and the privacy notice, or the menu."""
    if turn.person is None:
        turn.reply("link.welcome_new")
        send_privacy_notice(turn)
    else:
        show_menu(turn)


@router.text(
    r"/start(?:@\w+)?", public=True, menu="menu.cmd_start", menu_tap="/start", menu_command="start", tile=False
)
async def start(turn: Turn) -> None:
    """Telegram /start without a payload."""
    await greet(turn)


@router.text(r"/start(?:@\w+)?\s+(\S+)", public=True)
async def start_with_code(turn: Turn, code: str) -> None:
    """Telegram deep link t.me/<bot>?start=CODE: the chat's first contact, so the privacy notice follows."""
    await link_account(turn, code)
    send_privacy_notice(turn)


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
    now = time.time()
    failures = [ts for ts in turn.state.data.get("link_failures", []) if ts > now - ATTEMPT_WINDOW_SECONDS]
    if len(failures) >= MAX_FAILED_ATTEMPTS:
        turn.reply("link.bad_code")
        return
    guess_limit = turn.settings.link_guesses_per_hour
    if await link_codes.recent_failures(now) >= guess_limit:
        # Refused like a wrong code: a guesser learns nothing from the answer.
        turn.reply("link.bad_code")
        return
    staff = await link_codes.redeem(code, turn.settings.link_code_ttl_days)
    if staff is None:
        turn.state.set(turn.state.name or "link.unlinked", link_failures=[*failures, now])
        if link_codes.looks_like_code(code):  # only what could be a code is a guess
            await link_codes.record_failure(turn.incoming.channel, now)
            if await link_codes.recent_failures(now) == guess_limit:
                logger.warning(
                    "link-code guess limit reached: %d wrong codes in the last hour across all chats; "
                    "every code is refused until the hour has passed",
                    guess_limit,
                )
        turn.reply("link.bad_code")
        return
    if not staff.active:
        turn.reply("link.inactive")
        return
    others = await people.identities_of(staff.id)
    identity = await people.link(turn.incoming.channel, turn.incoming.user, staff)
    turn.signal("menus")  # the channel shows the new member their role's menu, if it has one
    await _tell_other_chats(turn, staff, identity, others)
    turn.state.clear()
    turn.person = staff
    turn.reply("link.done", name=staff.display_name, unit=staff.unit.name if staff.unit else t("link.no_unit"))
    show_menu(turn)


def channel_name(channel: str) -> str:
    """A channel as people call it."""
    return t(f"link.channel_{channel}")


def _linked_at(identity: ChatIdentity) -> dt.datetime:
    return identity.linked_at or dt.datetime.now(dt.UTC)


async def _tell_other_chats(turn: Turn, staff: Staff, identity: ChatIdentity, others: list[ChatIdentity]) -> None:
    """Tell the person's already-linked chats, with a button that undoes the new link."""
    new_chat = (identity.channel, identity.platform_user_id)
    linked_at = _linked_at(identity)
    # Row ids are never reused (SQLite AUTOINCREMENT, PostgreSQL sequences): an old button cannot undo a later link.
    action = Action(REMOVE_ACTION, (str(identity.id),))
    notice = Reply(
        t("link.added_elsewhere", channel=channel_name(identity.channel), at=short_datetime(linked_at)),
        buttons=(Button(t("link.remove_button"), action),),
    )
    for other in others:
        if (other.channel, other.platform_user_id) == new_chat:
            continue
        turn.send_to(Chat(other.channel, other.platform_user_id), notice)


@router.action(REMOVE_ACTION)
async def remove_link(turn: Turn, identity_id: str = "", *_: str) -> None:
    """Undo a new link, pressed from one of the person's other chats (checked here, not trusted from the button)."""
    person = turn.person
    assert person is not None
    identity = await people.identity_by_id(int(identity_id)) if identity_id.isdigit() else None
    if identity is None or identity.staff_id != person.id:
        if identity is not None:
            logger.warning("staff %s pressed removal of another person's chat link", person.id)
        turn.reply("link.remove_gone")
        return
    if (identity.channel, identity.platform_user_id) == (turn.incoming.channel, turn.incoming.user):
        turn.reply("link.remove_not_here")
        return
    await people.unlink(identity)
    logger.info("staff %s removed a %s chat link from another chat", person.id, identity.channel)
    turn.send_to(Chat(identity.channel, identity.platform_user_id), Reply(t("link.removed_you")))
    turn.reply(
        "link.removed",
        channel=channel_name(identity.channel),
        at=short_datetime(_linked_at(identity)),
    )
