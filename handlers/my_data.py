"""A copy of my data (PDPA right of access): `ข้อมูลของฉัน` or `/mydata` in any chat.

A linked person gets the same zip `python -m bot person export` writes: as a file where the
channel carries files, otherwise as a one-time link that expires (the zip is built when the
link is used, so no copy waits on the server). An unlinked chat is told that nothing but
its chat id and recent messages is held.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from bot.events import Reply
from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from fiscal.calendar import today_bangkok
from handlers.privacy import send_privacy_notice
from reports.files import chat_reports_dir
from storage import data_copies
from storage.personal_data import export_person
from storage.private_files import private_output

logger = logging.getLogger(__name__)
router = Router("my_data")

COPY_LINK_HOURS = 24
# A copy sent as a file waits on disk until delivery, among the files sent to chats that PDPA
# erasure empties; copies older than this are removed at the next request.
COPY_FILE_MAX_AGE_SECONDS = 24 * 3600
COPY_PATH = "/copy/"


@router.command("mydata", "ข้อมูลของฉัน", "my data", public=True, global_=True)
async def my_data(turn: Turn) -> None:
    """Send the person's copy of their data, or tell an unlinked chat what little is held."""
    person = turn.person
    if person is None:
        turn.reply("my_data.unlinked", event_days=turn.settings.event_retention_days)
        send_privacy_notice(turn)
        return
    if turn.can.files == "none":
        base = (turn.settings.public_base_url or "").rstrip("/")
        if not base.startswith("https://"):
            turn.reply("my_data.no_link")
            return
        token = await data_copies.new_link(person.id, COPY_LINK_HOURS * 3600)
        logger.info("staff %s asked for a copy of their data: one-time link on %s", person.id, turn.incoming.channel)
        turn.reply("my_data.link", hours=COPY_LINK_HOURS, url=f"{base}{COPY_PATH}{token}")
        return
    assert turn.files is not None, "the processor hands handlers the file store"
    data = await export_person(person, turn.files)
    name = f"my-data-{today_bangkok().year + 543}.zip"
    folder = chat_reports_dir(turn.settings.data_dir)
    path = folder / f"copy-{time.time_ns()}.zip"
    await asyncio.to_thread(_write_copy, folder, path, data)
    logger.info("staff %s asked for a copy of their data: file on %s", person.id, turn.incoming.channel)
    if turn.can.files == "local":
        turn.reply("my_data.saved", name=name)  # never the server path
    turn.reply_raw(Reply(text=t("my_data.file"), file_path=str(path), file_name=name))


def _write_copy(folder: Path, path: Path, data: bytes) -> None:
    """Write a copy owner-only, after removing copies old enough to have been delivered."""
    cutoff = time.time() - COPY_FILE_MAX_AGE_SECONDS
    if folder.is_dir():
        for old in folder.glob("copy-*.zip"):
            try:
                if old.stat().st_mtime < cutoff:
                    old.unlink()
            except FileNotFoundError:
                pass  # another process removed it first
    with private_output(path, "wb") as fh:
        fh.write(data)
