"""Certificate pictures as people send them, and waiting for the reader to finish with them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from bot.app import SERVICES
from tests.builders.chat import ChatUser, ChatUsers, settle
from tests.builders.paths import SAMPLE_CERTIFICATE
from tests.builders.roster import LEARNER_ROW, ROSTER_CSV, load_roster

SAMPLE = SAMPLE_CERTIFICATE
LEARNER = "E010"  # the person the sample certificate names (LEARNER_ROW)
RECEIVED = "ได้รับใบประกาศนียบัตรแล้ว"
CARD = "ตรวจสอบข้อมูลใบประกาศนียบัตร"


def jpeg(path: Path, width: int = 1200) -> bytes:
    """A chat-app style JPEG of an image."""
    image = Image.open(path).convert("RGB")
    image.thumbnail((width, width * 2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def pdf(path: Path) -> bytes:
    """An image-only PDF of an image, as a scanner app makes."""
    out = io.BytesIO()
    Image.open(path).convert("RGB").save(out, "PDF", resolution=150)
    return out.getvalue()


async def settle_ocr(client: Any) -> None:
    """Wait for reading jobs and their cards."""
    await client.server.app[SERVICES].ocr.drain(timeout=120)
    await settle(client)


async def learner_on(users: ChatUsers) -> ChatUser:
    """The sample certificate's learner, linked on the given channel."""
    await load_roster(ROSTER_CSV + LEARNER_ROW)
    return await users.linked(LEARNER)


async def send_and_read(client: Any, user: ChatUser, data: bytes, name: str, *, image: bool, mime: str | None = None) -> None:
    """Send a file, see it acknowledged, and wait until its card (or refusal) has arrived."""
    await user.sends_file(data, name, image=image, mime=mime)
    assert RECEIVED in user.last()
    await settle_ocr(client)
