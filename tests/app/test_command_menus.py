"""Menus built from the routes: every entry reaches its own route; Telegram lists per role and chat."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from bot.events import Incoming
from bot.menus import MENU_ROLES, UNLINKED, role_menus
from bot.routing import Router, find_route
from config.texts import t
from handlers import ROUTERS
from tests.builders.credentials import TELEGRAM_TOKEN
from tests.builders.roster import ROSTER_CSV, code_for, load_roster

MENUS = role_menus(ROUTERS)
THAI = re.compile(r"[\u0E00-\u0E7F]")


def typed(text: str) -> Incoming:
    return Incoming(event_id="x", channel="sim", user="u", chat="u", kind="text", text=text)


@pytest.mark.parametrize("menu", [UNLINKED, *MENU_ROLES])
def test_every_menu_entry_reaches_its_own_route(menu):
    """A tap or a listed command is answered by the route that declared it, not shadowed by another."""
    assert MENUS[menu]
    for item in MENUS[menu]:
        assert THAI.search(t(item.label_key)), item.label_key
        sent = [item.tap] + ([f"/{item.command}"] if item.command else [])
        for text in sent:
            found = find_route(ROUTERS, typed(text), None, linked=menu != UNLINKED)
            assert found is not None, text
            route, _ = found
            assert route.menu is not None and route.menu.label_key == item.label_key, text
            if menu != UNLINKED:
                assert route.allows({"staff", menu}), text


def test_menus_per_role():
    commands = {menu: [i.command for i in items if i.command] for menu, items in MENUS.items()}
    assert commands[UNLINKED] == ["start"]
    assert commands["staff"] == ["menu", "submit", "progress", "mine", "me", "reminders", "help"]
    assert commands["supervisor"] == [
        "menu", "submit", "progress", "mine", "pending", "team", "me", "reminders", "help",
    ]  # fmt: skip
    assert commands["admin"] == [
        "menu", "submit", "progress", "mine", "pending", "team", "summary", "report", "notices", "broadcast", "me",
        "reminders", "help",
    ]  # fmt: skip
    tiles = {menu: [i.tap for i in items if i.tile] for menu, items in MENUS.items()}
    assert tiles["staff"] == ["ส่งใบประกาศ", "ความก้าวหน้า", "รายการของฉัน", "วิธีใช้"]
    assert tiles["admin"] == [
        "ส่งใบประกาศ", "ความก้าวหน้า", "รายการของฉัน", "รออนุมัติ", "ทีมของฉัน", "สรุปหน่วยงาน", "รายงาน", "วิธีใช้",
    ]  # fmt: skip


def test_router_roles_apply_to_routes_that_name_none():
    router = Router("x", roles=("admin",))

    @router.command("a")
    async def a(turn):  # pragma: no cover - never run
        ...

    @router.command("b", roles=("supervisor",))
    async def b(turn):  # pragma: no cover - never run
        ...

    assert [r.roles for r in router.routes] == [frozenset({"admin"}), frozenset({"supervisor"})]
    assert not router.routes[0].allows({"staff", "supervisor"}) and router.routes[1].allows({"staff", "supervisor"})
    with pytest.raises(ValueError, match="menu_tap"):
        router.text(r"x(.*)", menu="menu.title")


async def shown(telegram_api, chat_id: int, expected: list[str], timeout: float = 10.0) -> list[str]:
    """The chat's command list once the background sync set it (or what it is at the timeout)."""
    for _ in range(int(timeout / 0.05)):
        if telegram_api.commands_shown(chat_id) == expected:
            break
        await asyncio.sleep(0.05)
    return telegram_api.commands_shown(chat_id)


def words(menu: str) -> list[str]:
    return [i.command for i in MENUS[menu] if i.command]


async def test_telegram_users_see_their_roles_commands_and_a_promotion_changes_them(
    client, telegram_api, telegram_user
):
    await load_roster()
    staff, admin, stranger = telegram_user(), telegram_user(), telegram_user()
    await staff.says(await code_for("E002"))
    assert await shown(telegram_api, staff.user_id, words("staff")) == words("staff")
    await admin.says(await code_for("E001"))  # supervisor+admin: the widest list
    assert await shown(telegram_api, admin.user_id, words("admin")) == words("admin")
    # Who has not linked sees the default list: only what works before linking.
    await stranger.says("สวัสดี")
    assert telegram_api.commands_shown(stranger.user_id) == telegram_api.commands_shown() == ["start"]

    promoted = ROSTER_CSV.replace("E001,staff,มีประสบการณ์", "E001,supervisor,มีประสบการณ์")
    assert promoted != ROSTER_CSV
    await admin.sends_file(promoted.encode(), "roster.csv")
    assert "นำเข้ารายชื่อเรียบร้อย" in admin.last()
    assert await shown(telegram_api, staff.user_id, words("supervisor")) == words("supervisor")

    scopes = [c.body.get("scope") for c in telegram_api.calls_to("setMyCommands")]
    assert {"type": "chat", "chat_id": staff.user_id} in scopes
    # Descriptions are the Thai labels.
    listed = telegram_api.commands[telegram_api._commands_key({"scope": {"type": "chat", "chat_id": staff.user_id}})]
    assert all(THAI.search(c["description"]) for c in listed)
    # Every listed command answers (a real command, not "didn't understand").
    for word in words("supervisor"):
        await staff.says(f"/{word}")
        assert "ไม่เข้าใจ" not in "\n".join(staff.texts()[-3:]), word


async def test_the_telegram_fake_checks_the_command_scope_against_the_spec(telegram_api):
    url = f"{telegram_api.url}/bot{TELEGRAM_TOKEN}/setMyCommands"
    commands = [{"command": "menu", "description": "เมนูหลัก"}]
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"commands": commands, "scope": {"type": "chat"}}) as response:
            assert response.status == 400
        async with http.post(url, json={"commands": commands, "scope": {"type": "chat", "chat_id": 42}}) as response:
            assert response.status == 200
    assert telegram_api.violations == ["setMyCommands: scope.chat_id: required field is missing"]
    assert telegram_api.commands_shown(42) == ["menu"] and telegram_api.commands_shown(43) == []
    telegram_api.violations.clear()
