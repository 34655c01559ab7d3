"""Production-safe defaults, and the fictional demo roster: loaded only when asked, gone at the first real import."""

from __future__ import annotations

import re

import pytest

from bot.app import create_app
from config.settings import Settings
from storage import roster
from storage.models import ChatIdentity, Staff
from tests.builders.chat import SimUser
from tests.builders.paths import REPO
from tests.builders.roster import ROSTER_CSV


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("APP_ENV", "DEMO_ROSTER", "SIM_ENABLED", "SIM_TOKEN", "TELEGRAM_BOT_TOKEN", "LINE_CHANNEL_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_the_code_defaults_to_production(clean_env):
    settings = Settings(_env_file=None)
    assert settings.app_env == "production"
    assert not settings.demo_roster_on
    # Development no longer brings the demo roster along: only DEMO_ROSTER does.
    assert not Settings(_env_file=None, app_env="development").demo_roster_on
    assert Settings(_env_file=None, demo_roster=True).demo_roster_on
    assert not Settings(_env_file=None, telegram_bot_token="1:x").sim_on


def test_shipped_config_files_are_production_safe():
    assert re.search(r"^APP_ENV=production$", (REPO / ".env.example").read_text(), re.M)
    compose = (REPO / "docker-compose.yml").read_text()
    assert "change-me" not in compose
    # Every use of the password refuses to start without one (the database, the app, the scaled profile).
    assert compose.count("${POSTGRES_PASSWORD:?") >= 2
    assert compose.count("${POSTGRES_PASSWORD") == compose.count("${POSTGRES_PASSWORD:?")
    assert re.search(r"^\s+APP_ENV: production$", compose, re.M)


async def test_development_alone_loads_no_demo_roster(aiohttp_client, settings, clean_env):
    development = Settings(_env_file=None, **settings.model_dump(exclude={"demo_roster"}))
    assert development.app_env == "development"
    await aiohttp_client(create_app(development))
    assert not await Staff.exists()


async def _demo_client(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings.model_copy(update={"demo_roster": True})))
    demo = await Staff.all().count()
    assert demo > 0 and await Staff.filter(is_demo=True).count() == demo
    return client


async def test_an_admin_upload_replaces_the_demo_roster(aiohttp_client, settings):
    client = await _demo_client(aiohttp_client, settings)
    admin = SimUser(client, "D0003")  # a demo admin, as a newcomer tries the bot
    await admin.sends_file(ROSTER_CSV.encode(), "roster.csv")
    assert admin.last() == "นำเข้ารายชื่อเรียบร้อยค่ะ เพิ่มใหม่ 3 คน ปรับปรุง 0 คน"
    assert set(await Staff.all().values_list("employee_code", flat=True)) == {"E001", "E002", "E003"}
    assert not await Staff.filter(is_demo=True).exists()
    assert not await ChatIdentity.exists()
    people = await (await client.get("/sim/api/people")).json()
    assert {p["code"] for p in people} == {"E001", "E002", "E003"}


async def test_a_real_roster_cannot_lean_on_a_demo_supervisor(aiohttp_client, settings):
    await _demo_client(aiohttp_client, settings)
    rows, errors = roster.parse(
        roster.read_table("employee_code,first_name,last_name,supervisor_code\nR1,จริง,คนแรก,D0001\n".encode(), "r.csv")
    )
    result = await roster.import_roster(rows, errors)
    assert result.errors == ["บรรทัด 2: ไม่พบผู้บังคับบัญชารหัส D0001"]
    assert await Staff.filter(is_demo=True).exists()  # a rejected import changes nothing
