"""Telegram command menus: one list per role, set per linked chat (`BotCommandScopeChat`).

The lists come from the route menu entries that have a command word Telegram accepts
(`bot.menus.role_menus`). The default scope holds what someone who has not linked yet can
use; each linked person's private chat gets their role's list when they link and when
their role changes (the "menus" signal), and `python -m bot line-menus` sets them all.
"""

from __future__ import annotations

import hashlib
import logging

from telegram.error import TelegramError

from bot.channels.telegram import TelegramChannel
from bot.menus import UNLINKED, BackgroundSync, MenuItem, menu_role
from storage.models import ChatIdentity

logger = logging.getLogger(__name__)


def command_list(items: tuple[MenuItem, ...]) -> tuple[tuple[str, str], ...]:
    """(word, Thai description) of the entries that have a command word."""
    return tuple((item.command, item.label) for item in items if item.command)


class TelegramMenus(BackgroundSync):
    """Keeps each linked Telegram chat's command list at its person's role."""

    channel_name = "Telegram"

    def __init__(self, channel: TelegramChannel, menus: dict[str, tuple[MenuItem, ...]]) -> None:
        super().__init__()
        self.channel = channel
        self.commands = {menu: command_list(items) for menu, items in menus.items()}
        # What a chat's `menu` column holds once its list is set: the role and the list's version.
        self.versions = {menu: f"{menu}-{_digest(commands)}" for menu, commands in self.commands.items()}
        self._default_set = False

    async def set_default(self) -> None:
        """Everyone's list, until their chat gets its own: what an unlinked user can use."""
        await self.channel.set_commands(self.commands[UNLINKED])
        self._default_set = True

    async def sync(self, *, force: bool = False) -> int:
        """Set the list of every linked chat whose role changed (all of them when forced)."""
        if force or not self._default_set:
            await self.set_default()
        identities = await ChatIdentity.filter(channel="telegram").values_list(
            "platform_user_id", "staff__is_supervisor", "staff__is_admin", "menu"
        )
        changed = 0
        for chat, is_supervisor, is_admin, shown in identities:
            role = menu_role(is_supervisor, is_admin)
            if not force and shown == self.versions[role]:
                continue
            try:
                await self.channel.set_commands(self.commands[role], chat_id=chat)
            except TelegramError as exc:  # e.g. the user blocked the bot: the others still get theirs
                logger.warning("Telegram command menu not set for a chat: %s", type(exc).__name__)
                continue
            await ChatIdentity.filter(channel="telegram", platform_user_id=chat).update(menu=self.versions[role])
            changed += 1
        return changed

    def forget(self) -> None:
        """Set the default list again next time."""
        self._default_set = False


def _digest(commands: tuple[tuple[str, str], ...]) -> str:
    return hashlib.sha256(repr(commands).encode("utf-8")).hexdigest()[:12]
