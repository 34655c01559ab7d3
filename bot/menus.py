"""Menus built from the routes, and the one signal that keeps every channel's menus in step.

Each route may carry a `MenuEntry`; here they become, per menu role, the list a channel
shows: LINE draws the tiles as a rich menu picture, Telegram sets them as the command list
of the person's chat. A person gets the menu of their widest role. People who have not
linked yet get the entries of public routes (linking), everyone else those of the others.

When links or roles change, a turn signals "menus"; `MenuSyncers` wakes each channel's
syncer, which compares what each person should see with what it last set.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from bot.routing import Route, Router
from config.texts import t

logger = logging.getLogger(__name__)

UNLINKED = "unlinked"
MENU_ROLES = ("staff", "supervisor", "admin")
# What Telegram accepts as a command word (BotCommand.command).
COMMAND_WORD = re.compile(r"^[a-z0-9_]{1,32}$")


@dataclass(frozen=True)
class MenuItem:
    """One menu entry as channels use it."""

    label_key: str  # catalog key of the Thai label
    tap: str  # what a tap sends, as if typed
    command: str | None  # the slash command word, when the route has one a command list accepts
    tile: bool  # shown on picture menus (LINE rich menu)

    @property
    def label(self) -> str:
        """The Thai label."""
        return t(self.label_key)


def menu_role(is_supervisor: bool, is_admin: bool) -> str:
    """The one menu a person gets: the widest of their roles."""
    return "admin" if is_admin else "supervisor" if is_supervisor else "staff"


def _item(route: Route) -> MenuItem:
    entry = route.menu
    assert entry is not None
    command = entry.command
    if command is None:
        command = next((w for w in route.words if COMMAND_WORD.match(w)), None)
    # A command route's tile sends its first word people type (Thai), as they would type it.
    typed = [w for w in route.words if not COMMAND_WORD.match(w)] or list(route.words)
    tap = entry.tap if entry.tap is not None else typed[0]
    return MenuItem(entry.label_key, tap, command if command and COMMAND_WORD.match(command) else None, entry.tile)


def _shown(route: Route, menu: str) -> bool:
    entry = route.menu
    if entry is None:
        return False
    if menu == UNLINKED:
        return route.public
    if route.public:
        return False  # linking routes: linked people have the menu itself
    roles = {"staff", menu}
    return route.allows(roles) and (not entry.roles or bool(entry.roles & roles))


def role_menus(routers: Iterable[Router]) -> dict[str, tuple[MenuItem, ...]]:
    """The entries of each menu ("unlinked" and every role), in menu order."""
    routes = [route for router in routers for route in router.routes if route.menu is not None]
    menus: dict[str, tuple[MenuItem, ...]] = {}
    for menu in (UNLINKED, *MENU_ROLES):
        shown = sorted((r for r in routes if _shown(r, menu)), key=lambda r: r.menu.order if r.menu else 0)
        menus[menu] = tuple(_item(r) for r in shown)
    return menus


class MenuSyncer(Protocol):
    """A channel's menu keeper: shows each linked person their role's menu."""

    def wake(self) -> None:
        """Bring menus in step soon, in the background."""

    async def stop(self) -> None:
        """Let a running sync end (bounded)."""


class BackgroundSync:
    """`wake()` runs the subclass's `sync()` in the background; wakes while it runs make it run once more."""

    channel_name = "?"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._again = False

    async def sync(self, *, force: bool = False) -> int:
        """Set the menu of every person whose menu should change; how many were set."""
        raise NotImplementedError

    def forget(self) -> None:
        """A sync failed: drop what is remembered of the platform's side, to look again next time."""

    def wake(self) -> None:
        """Run `sync()` soon in the background."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        self._again = True
        while self._again:
            self._again = False
            try:
                changed = await self.sync()
                if changed:
                    logger.info("%s menus set for %d user(s)", self.channel_name, changed)
            except Exception:
                self.forget()
                logger.exception("%s menu sync failed", self.channel_name)

    async def stop(self) -> None:
        """Wait for a running sync to end (bounded), then cancel it."""
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(self._task, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                pass


class MenuSyncers:
    """The channels' menu syncers, woken together by the "menus" signal."""

    def __init__(self) -> None:
        self._syncers: list[MenuSyncer] = []

    def add(self, syncer: MenuSyncer) -> None:
        """Have `syncer` woken with the others."""
        self._syncers.append(syncer)

    def wake(self) -> None:
        """Links or roles changed: every channel updates its menus."""
        for syncer in self._syncers:
            syncer.wake()

    async def stop(self) -> None:
        """Stop every syncer."""
        for syncer in self._syncers:
            await syncer.stop()
