"""Fixtures of the app tests: a fresh database per test (SQLite or PostgreSQL), platform fakes, the app.

TEST_DATABASE=sqlite (default) or postgres (with TEST_POSTGRES_URL) picks the storage,
so `scripts/test` runs the same suite on both.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.app import SERVICES, create_app
from certificates.pool import ReaderPool
from config.settings import Settings
from tests.builders.chat import ChatUsers, LineUser, SimUser, TelegramUser
from tests.builders.credentials import LINE_SECRET, LINE_TOKEN, TELEGRAM_SECRET, TELEGRAM_TOKEN
from tests.fakes import FakeLineAPI, FakeTelegramAPI
from tests.fakes.s3_server import LocalS3


_template_ready: dict[str, bool] = {}
# Unique per test run, so that runs side by side (both databases at once) never share one.
_RUN = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
POSTGRES_TEMPLATE = f"bot_test_template_{_RUN}"
SQLITE_TEMPLATE = Path(tempfile.gettempdir()) / f"bot-test-template-{_RUN}.sqlite3"


def _admin_url(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


async def _postgres_database(url: str) -> str:
    """A fresh database cloned from a migrated template (fast: no migrations per test)."""
    from storage.db import migrate_schema

    admin = await asyncpg.connect(_admin_url(url, "postgres"))
    try:
        if not _template_ready.get(url):
            await admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_TEMPLATE}")
            await admin.execute(f"CREATE DATABASE {POSTGRES_TEMPLATE}")
            await migrate_schema(_admin_url(url, POSTGRES_TEMPLATE))
            _template_ready[url] = True
        name = f"bot_test_{uuid.uuid4().hex[:12]}"
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {POSTGRES_TEMPLATE}")
        return name
    finally:
        await admin.close()


async def _drop_postgres_database(url: str, name: str) -> None:
    admin = await asyncpg.connect(_admin_url(url, "postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


async def _sqlite_database(path: Path) -> str:
    """A copy of a migrated template file (migrating costs about 1.7 s a test; a copy, milliseconds)."""
    from storage.db import migrate_schema

    if not _template_ready.get("sqlite"):
        await migrate_schema(f"sqlite://{SQLITE_TEMPLATE}")
        _template_ready["sqlite"] = True
    shutil.copyfile(SQLITE_TEMPLATE, path)
    return f"sqlite://{path}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only the tests that use a database: the others already ran on SQLite.

    A test uses one when `database_url` is among its fixtures (directly or through
    `settings`, `client`...), so a new test needs no marker to run on both.
    """
    if os.environ.get("TEST_DATABASE", "sqlite") != "postgres":
        return
    keep = [item for item in items if "database_url" in getattr(item, "fixturenames", ())]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


@pytest.fixture(scope="session", autouse=True)
def _drop_templates() -> Iterator[None]:
    """Remove this run's template databases at the end."""
    yield
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_TEMPLATE}{suffix}").unlink(missing_ok=True)
    url = os.environ.get("TEST_POSTGRES_URL")
    if url and _template_ready.get(url):
        async def drop() -> None:
            admin = await asyncpg.connect(_admin_url(url, "postgres"))
            try:
                await admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_TEMPLATE}")
            finally:
                await admin.close()

        asyncio.run(drop())


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database for one test, on the storage TEST_DATABASE names."""
    if os.environ.get("TEST_DATABASE", "sqlite") == "postgres":
        url = os.environ["TEST_POSTGRES_URL"]
        name = await _postgres_database(url)
        yield _admin_url(url, name)
        await _drop_postgres_database(url, name)
    else:
        yield await _sqlite_database(tmp_path / "bot.sqlite3")


@pytest.fixture
async def line_api() -> AsyncIterator[FakeLineAPI]:
    """The LINE Messaging API fake."""
    fake = FakeLineAPI(channel_access_token=LINE_TOKEN)
    await fake.start()
    yield fake
    await fake.close()
    fake.assert_clean()


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramAPI]:
    """The Telegram Bot API fake."""
    fake = FakeTelegramAPI(token=TELEGRAM_TOKEN)
    await fake.start()
    yield fake
    await fake.close()
    fake.assert_clean()


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, line_api: FakeLineAPI, telegram_api: FakeTelegramAPI
) -> Settings:
    """Settings with both channels pointed at the fakes."""
    return Settings(
        _env_file=None,
        app_env="development",
        data_dir=tmp_path / "data",
        database_url=database_url,
        line_channel_secret=LINE_SECRET,
        line_channel_access_token=LINE_TOKEN,
        line_api_base_url=line_api.url,
        line_data_api_base_url=line_api.url,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_webhook_secret=TELEGRAM_SECRET,
        telegram_api_base_url=telegram_api.url,
        demo_roster=False,
        http_timeout_seconds=5,
        ocr_workers=1,
        # The scheduled sweep uses the real clock; reminder tests call it with their own.
        reminders_enabled=False,
    )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[LocalS3]:
    """A local S3-compatible server (moto), started when a test first asks for it; one bucket per test."""
    server = LocalS3()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_reader_pool() -> Iterator[ReaderPool]:
    """One warm certificate reader for the whole run: starting one per app costs about a second."""
    pool = ReaderPool(1)
    asyncio.run(pool.start())
    yield pool
    asyncio.run(pool.close())


@pytest.fixture
def reader_pool(shared_reader_pool: ReaderPool) -> ReaderPool | None:
    """The reader pool the `client` app uses; a test module returns None to let the app own one."""
    return shared_reader_pool


@pytest.fixture
async def client(aiohttp_client, settings: Settings, reader_pool: ReaderPool | None):
    """A test client of the real app (webhooks, simulator, health)."""
    return await aiohttp_client(create_app(settings, reader_pool=reader_pool))


@pytest.fixture
def services(client):
    """The running app's shared services."""
    return client.server.app[SERVICES]


@pytest.fixture
def line_user(client, line_api: FakeLineAPI):
    """Factory of LINE users chatting through the signed webhook."""
    return lambda user_id=None: LineUser(client, line_api, LINE_SECRET, user_id or "U" + uuid.uuid4().hex)


@pytest.fixture
def telegram_user(client, telegram_api: FakeTelegramAPI):
    """Factory of Telegram users chatting through the secret-token webhook."""
    counter = iter(range(1, 10**9))

    def make(user_id: int | None = None) -> TelegramUser:
        return TelegramUser(
            client, telegram_api, TELEGRAM_SECRET, user_id or 10_000 + next(counter), counter
        )

    return make


@pytest.fixture
def sim_user(client):
    """Factory of simulator users (the /sim page's API)."""
    return lambda employee_code=None: SimUser(client, employee_code)


CHANNELS = ("line", "telegram", "sim")


@pytest.fixture
def users_on(line_user, telegram_user, sim_user):
    """`users_on("telegram")`: new people on a named channel (for flows whose channel matters)."""
    makers = {"line": line_user, "telegram": telegram_user, "sim": lambda: sim_user(None)}
    return lambda channel: ChatUsers(channel, makers[channel])


@pytest.fixture(params=CHANNELS)
def chat_user(request, users_on) -> ChatUsers:
    """New people on each channel in turn: the test runs once on LINE, once on Telegram, once on /sim.

    `chat_user()` has not linked; `await chat_user.linked("E005")` has, with a code.
    """
    return users_on(request.param)
