"""LINE rich menus: one per role on the (fake) LINE, each user linked to their role's menu."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.app import SERVICES
from bot.channels.line_menu_image import HEIGHT, WIDTH
from bot.channels.line_menus import LineMenus
from bot.channels.telegram_menus import TelegramMenus
from bot.menus import role_menus
from handlers import ROUTERS
from tests.builders.credentials import LINE_SECRET, LINE_TOKEN
from tests.builders.paths import REPO
from tests.builders.roster import ROSTER_CSV, code_for, load_roster


async def menu_of(line_api, user_id: str, timeout: float = 10.0) -> dict | None:
    """The menu the fake shows the user once the background sync got to them."""
    for _ in range(int(timeout / 0.05)):
        menu = line_api.rich_menu_of(user_id)
        if menu is not None:
            return menu
        await asyncio.sleep(0.05)
    return None


def role_of(menu: dict) -> str:
    return menu["name"].split("-")[1]


async def test_linking_shows_the_staff_menu_and_an_admin_gets_the_admin_menu(client, line_api, line_user):
    await load_roster()
    staff = line_user()
    await staff.says(await code_for("E002"))
    menu = await menu_of(line_api, staff.user_id)
    assert menu is not None and role_of(menu) == "staff"
    assert [a["action"]["text"] for a in menu["areas"]] == ["ส่งใบประกาศ", "ความก้าวหน้า", "รายการของฉัน", "วิธีใช้"]

    admin = line_user()
    await admin.says(await code_for("E001"))  # supervisor+admin: the widest menu wins
    menu = await menu_of(line_api, admin.user_id)
    assert menu is not None and role_of(menu) == "admin"
    assert "สรุปหน่วยงาน" in [a["action"]["text"] for a in menu["areas"]]

    # One menu per role on LINE, each with a picture of its own size.
    assert sorted(role_of(m) for m in line_api.rich_menus.values()) == ["admin", "staff", "supervisor"]
    for menu_id, menu in line_api.rich_menus.items():
        data, content_type = line_api.rich_menu_images[menu_id]
        assert content_type == "image/png" and len(data) < 1024 * 1024
        image = Image.open(io.BytesIO(data))
        assert image.format == "PNG" and image.size == (WIDTH, HEIGHT) == (
            menu["size"]["width"], menu["size"]["height"]
        )
        tiles = [item for item in role_menus(ROUTERS)[role_of(menu)] if item.tile]
        assert len(menu["areas"]) == len(tiles)


async def test_every_menu_area_sends_a_command_the_bot_answers(client, line_api, line_user):
    await load_roster()
    admin = line_user()
    await admin.says(await code_for("E001"))
    menu = await menu_of(line_api, admin.user_id)
    assert menu is not None
    for area in menu["areas"]:
        await admin.says(area["action"]["text"])
        # Not the "didn't understand" fallback: every tap reaches a real command.
        assert "ไม่เข้าใจ" not in admin.last(), area["action"]["text"]


async def test_roster_import_moves_a_new_supervisor_to_the_supervisor_menu(client, line_api, line_user):
    await load_roster()
    staff = line_user()
    await staff.says(await code_for("E002"))
    menu = await menu_of(line_api, staff.user_id)
    assert menu is not None and role_of(menu) == "staff"

    admin = line_user()
    await admin.says(await code_for("E003"))
    promoted = ROSTER_CSV.replace("E001,staff,มีประสบการณ์", "E001,supervisor,มีประสบการณ์")
    assert promoted != ROSTER_CSV
    await admin.sends_file(promoted.encode(), "roster.csv")
    assert "นำเข้ารายชื่อเรียบร้อย" in admin.last()
    for _ in range(200):
        menu = line_api.rich_menu_of(staff.user_id)
        if menu is not None and role_of(menu) == "supervisor":
            break
        await asyncio.sleep(0.05)
    assert menu is not None and role_of(menu) == "supervisor"
    assert role_of(line_api.rich_menu_of(admin.user_id)) == "admin"
    assert len(line_api.rich_menus) == 3  # the sync reuses the menus it made


async def _cli(database_url: str, fake_url: str, tmp_path: Path) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "DEMO_ROSTER": "false",
        "LINE_CHANNEL_SECRET": LINE_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN,
        "LINE_API_BASE_URL": fake_url,
        "LINE_DATA_API_BASE_URL": fake_url,
        "TELEGRAM_BOT_TOKEN": "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "line-menus",
        cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_line_menus_cli_creates_three_menus_once_and_links_everyone(
    client, line_api, line_user, database_url, tmp_path, monkeypatch
):
    await load_roster()
    staff = line_user()
    await staff.says(await code_for("E002"))
    assert await menu_of(line_api, staff.user_id) is not None
    # Start from a LINE account without our menus, as on the first deployment.
    line_api.rich_menus.clear()
    line_api.rich_menu_images.clear()
    line_api.user_rich_menus.clear()

    code, out, err = await _cli(database_url, line_api.url, tmp_path)
    assert code == 0, err
    assert "3 created" in out and "1 user(s) linked" in out
    assert sorted(role_of(m) for m in line_api.rich_menus.values()) == ["admin", "staff", "supervisor"]
    assert role_of(line_api.rich_menu_of(staff.user_id)) == "staff"
    first_ids = set(line_api.rich_menus)

    code, out, err = await _cli(database_url, line_api.url, tmp_path)
    assert code == 0, err
    assert "0 created" in out and "3 kept" in out
    assert set(line_api.rich_menus) == first_ids


async def test_outdated_menus_of_ours_are_replaced_and_others_left_alone(client, line_api, line_user, services):
    from bot.channels.line_menus import LineMenus

    menus = LineMenus(services.channels["line"], role_menus(ROUTERS))
    first = await menus.ensure()
    assert sorted(first.created) == ["admin", "staff", "supervisor"]
    # An old layout of ours and somebody else's menu, both with pictures.
    old_id = next(iter(line_api.rich_menus))
    line_api.rich_menus[old_id]["name"] = "ocsc-staff-0000000000"
    line_api.rich_menus["richmenu-" + "f" * 32] = {**line_api.rich_menus[old_id], "name": "campaign"}
    line_api.rich_menu_images["richmenu-" + "f" * 32] = line_api.rich_menu_images[old_id]
    second = await menus.ensure()
    assert second.deleted == 1 and len(second.created) == 1
    names = sorted(m["name"].split("-")[0] for m in line_api.rich_menus.values())
    assert names == ["campaign", "ocsc", "ocsc", "ocsc"]


async def test_a_restarted_service_does_not_set_every_menu_again(client, line_api, telegram_api, line_user, telegram_user):
    await load_roster()
    on_line, on_telegram = line_user(), telegram_user()
    await on_line.says(await code_for("E002"))
    await on_telegram.says(await code_for("E001"))
    assert await menu_of(line_api, on_line.user_id) is not None
    channels = client.server.app[SERVICES].channels
    entries = role_menus(ROUTERS)
    # What a fresh process (no memory of what it set) does on the next "menus" signal.
    for _ in range(100):
        if await TelegramMenus(channels["telegram"], entries).sync() == 0:
            break
        await asyncio.sleep(0.05)  # the running service's own sync may still be setting them
    line_api.clear()
    telegram_api.clear()
    assert await LineMenus(channels["line"], entries).sync() == 0
    assert await TelegramMenus(channels["telegram"], entries).sync() == 0
    assert not line_api.calls_to("/v2/bot/user/{userId}/richmenu/{richMenuId}")
    # The default list is set once per process; no chat's own list is set again.
    assert not [c for c in telegram_api.calls_to("setMyCommands") if "chat_id" in str(c.body.get("scope"))]
