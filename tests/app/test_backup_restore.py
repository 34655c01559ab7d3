"""Backup while the service runs, restore into an empty place, and the service answers as before.

Real `python -m bot` processes and commands: a person with approved courses and a stored
certificate image chats on LINE (the fake); `backup` runs while the service is up; `restore`
fills a new data directory (and, on PostgreSQL, a new database); a service started on it gives
the same progress answer and serves the same signed image link, byte for byte.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from PIL import Image

from bot.file_links import FileLinks
from storage import people
from storage.db import close_db, open_db
from storage.files import FileStore
from storage.models import Staff, Submission
from storage.seed import seed_courses
from tests.builders.credentials import LINE_SECRET
from tests.builders.databases import drop_database, empty_database

from tests.builders.paths import REPO
from tests.builders.processes import Service, service_env
from tests.builders.progress import seed_team
from tests.builders.submissions import approved
from tests.fakes.line_events import line_user_id, line_webhook_body, sign_line_body, text_event

MIGRATIONS = REPO / "storage" / "migrations"
LATEST_MIGRATION = max(p.stem for p in MIGRATIONS.glob("0*.py"))
PROGRESS = "ความก้าวหน้า"


def _bot(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data_dir), "LINE_CHANNEL_SECRET": "",
           "TELEGRAM_BOT_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (90, 120), (200, 180, 40)).save(out, "PNG")
    return out.getvalue()


async def _seed(database_url: str, data_dir: Path, user: str) -> str:
    """E005 half-way through the year, with a certificate image in the store; linked on LINE."""
    ctx = await open_db(database_url)
    try:
        await seed_courses()
        await seed_team()
        stored = FileStore(data_dir / "files").put_sync(_picture())
        submission = await approved("E005", title="การบริหารโครงการ", hours=6)
        await Submission.filter(id=submission.id).update(file_sha256=stored.sha256, file_size=stored.size)
        await people.link("line", user, await Staff.get(employee_code="E005"))
        return stored.sha256
    finally:
        await close_db(ctx)


async def _ask_progress(service: Service, line_api, user: str) -> str:
    before = len(line_api.texts_to(user))
    raw = json.dumps(line_webhook_body([text_event(user, PROGRESS, line_api.issue_reply_token(user))])).encode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign_line_body(raw, LINE_SECRET)}
    async with aiohttp.ClientSession() as session:
        async with session.post(service.url + "/webhook/line", data=raw, headers=headers) as response:
            assert response.status == 200
    deadline = time.monotonic() + 60
    while len(line_api.texts_to(user)) == before:
        assert time.monotonic() < deadline, service.log_tail()
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # a second message of the same answer, if any
    return "\n".join(line_api.texts_to(user)[before:])


async def _fetch(service: Service, path: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session:
        async with session.get(service.url + path) as response:
            return response.status, await response.read()


async def test_backup_while_running_then_restore_answers_the_same(database_url, line_api, tmp_path):
    user = line_user_id("backup-e005")
    data_dir = tmp_path / "data"
    sha = await _seed(database_url, data_dir, user)
    # No FILE_LINK_SECRET: the key the service keeps in DATA_DIR must travel with the backup.
    env = service_env(database_url, line_api.url, data_dir, FILE_LINK_SECRET="")
    original = Service("original", env, tmp_path)
    restored_url, restored_db = await empty_database(database_url, tmp_path, "restored")
    restored_dir = tmp_path / "restored"
    restored = Service("restored", service_env(restored_url, line_api.url, restored_dir, FILE_LINK_SECRET=""), tmp_path)
    try:
        await original.start()
        answer = await _ask_progress(original, line_api, user)
        assert "ความก้าวหน้า ปีงบประมาณ" in answer, answer
        link = FileLinks((data_dir / "file_link_secret").read_text().strip()).path(sha)
        status, image = await _fetch(original, link)
        assert status == 200 and image == _picture()

        backup = _bot("backup", "--out", str(tmp_path / "backup"), database_url=database_url, data_dir=data_dir)
        assert backup.returncode == 0, backup.stderr
        manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
        assert manifest["database"] == ("postgres" if restored_db else "sqlite")
        assert manifest["migration"] == LATEST_MIGRATION
        assert manifest["file_count"] == 1 and manifest["files"] == [sha]
        original.stop()

        done = _bot("restore", str(tmp_path / "backup"), database_url=restored_url, data_dir=restored_dir)
        assert done.returncode == 0, done.stderr
        again = _bot("restore", str(tmp_path / "backup"), database_url=restored_url, data_dir=restored_dir)
        assert again.returncode != 0 and "restore only into an empty data directory" in again.stderr

        await restored.start()
        assert await _ask_progress(restored, line_api, user) == answer
        assert await _fetch(restored, link) == (200, image)
    finally:
        original.stop()
        restored.stop()
        if restored_db:
            await drop_database(database_url, restored_db)


def test_restore_refuses_a_database_that_is_not_empty(database_url, tmp_path):
    backup = _bot("backup", "--out", str(tmp_path / "backup"), database_url=database_url, data_dir=tmp_path / "data")
    assert backup.returncode == 0, backup.stderr
    # The same database: it has tables. The data directory is new and empty.
    refused = _bot("restore", str(tmp_path / "backup"), database_url=database_url, data_dir=tmp_path / "new")
    assert refused.returncode == 1
    assert "refused" in refused.stderr and ("already" in refused.stderr)
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())
