"""LINE rich menus: one per role, created through the Messaging API and linked to each user.

The tiles of each role's menu are the route menu entries (`bot.menus.role_menus`) that
picture menus show.

Menus are found again by name (`ocsc-<role>-<layout digest>`), so a restart or a second
process reuses them, and a changed layout makes new ones and deletes the old. Linking is
kept in step with the roster by `sync()`, which the app runs in the background whenever a
turn signals "menus" (an account linked, a roster imported).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from linebot.v3.messaging import RichMenuRequest
from linebot.v3.messaging.exceptions import ApiException

from bot.channels.line import LineChannel
from bot.channels.line_menu_image import layout_version, menu_object, render_png
from bot.menus import MENU_ROLES, BackgroundSync, MenuItem, menu_role
from storage.models import ChatIdentity

logger = logging.getLogger(__name__)

NAME_PREFIX = "ocsc-"


def menu_name(role: str, tiles: tuple[MenuItem, ...]) -> str:
    """The name that identifies the current version of a role's menu."""
    return f"{NAME_PREFIX}{role}-{layout_version(tiles)}"


@dataclass
class EnsureResult:
    """What `ensure()` found or changed on LINE."""

    ids: dict[str, str]  # role -> richMenuId
    created: list[str] = field(default_factory=list)  # roles
    deleted: int = 0


class LineMenus(BackgroundSync):
    """Creates the role menus on LINE and links users to the one their roles call for."""

    channel_name = "LINE"

    def __init__(self, channel: LineChannel, menus: dict[str, tuple[MenuItem, ...]]) -> None:
        super().__init__()
        self.channel = channel
        self.tiles = {role: tuple(item for item in menus[role] if item.tile) for role in MENU_ROLES}
        self._ids: dict[str, str] | None = None

    async def ensure(self) -> EnsureResult:
        """Create any missing role menu (with its picture) and delete outdated ones of ours."""
        api, timeout = self.channel.api, self.channel.timeout
        listed = (await api.get_rich_menu_list(_request_timeout=timeout)).richmenus
        wanted = {menu_name(role, self.tiles[role]): role for role in MENU_ROLES}
        result = EnsureResult(ids={})
        for menu in listed:
            if menu.name in wanted and wanted[menu.name] not in result.ids:
                result.ids[wanted[menu.name]] = menu.rich_menu_id
        for role in MENU_ROLES:
            if role in result.ids:
                continue
            tiles = self.tiles[role]
            request = RichMenuRequest.from_dict(menu_object(tiles, menu_name(role, tiles)))
            created = await api.create_rich_menu(request, _request_timeout=timeout)
            image = await asyncio.to_thread(render_png, tiles)
            await self.channel.blob.set_rich_menu_image(
                created.rich_menu_id, image, _headers={"Content-Type": "image/png"}, _request_timeout=timeout
            )
            result.ids[role] = created.rich_menu_id
            result.created.append(role)
        keep = set(result.ids.values())
        for menu in listed:
            if menu.name.startswith(NAME_PREFIX) and menu.rich_menu_id not in keep:
                await api.delete_rich_menu(menu.rich_menu_id, _request_timeout=timeout)
                result.deleted += 1
        self._ids = result.ids
        return result

    async def link(self, user_id: str, role: str) -> None:
        """Show `role`'s menu to one LINE user."""
        if self._ids is None:
            await self.ensure()
        assert self._ids is not None
        menu_id = self._ids[role]
        await self.channel.api.link_rich_menu_id_to_user(user_id, menu_id, _request_timeout=self.channel.timeout)
        await ChatIdentity.filter(channel="line", platform_user_id=user_id).update(menu=menu_id)

    async def sync(self, *, force: bool = False) -> int:
        """Link every linked LINE user whose menu should change (all of them when forced)."""
        identities = await ChatIdentity.filter(channel="line").values_list(
            "platform_user_id", "staff__is_supervisor", "staff__is_admin", "menu"
        )
        if self._ids is None:
            await self.ensure()
        assert self._ids is not None
        linked = 0
        for user_id, is_supervisor, is_admin, shown in identities:
            role = menu_role(is_supervisor, is_admin)
            if not force and shown == self._ids[role]:
                continue
            try:
                await self.link(user_id, role)
                linked += 1
            except ApiException as exc:  # e.g. the user blocked the bot: the others still get theirs
                logger.warning("rich menu link failed: LINE %s", exc.status)
        return linked

    def forget(self) -> None:
        """A menu may have been deleted by hand: look again next time."""
        self._ids = None
