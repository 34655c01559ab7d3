"""A crash loses no acknowledged certificate: real service processes, SIGKILL, restart, cards within 90 s.

The service runs as `python -m bot` in child processes pointed at the LINE fake.
Certificates are sent through the signed webhook; once every one is
acknowledged (200), the process that took them is killed with SIGKILL and
started again at once. Every certificate must get exactly one card within
90 seconds of the restart: its inbox event, reading job and outbox message
were leased by the dead process, and those leases must not outlive it by much.
On PostgreSQL a second service process shares the database throughout.
"""

from __future__ import annotations

import asyncio
import io
import json
import time

import aiohttp
import pytest
from PIL import Image

from storage import people
from storage.db import close_db, open_db
from storage.models import Staff
from tests.builders.credentials import LINE_SECRET
from tests.builders.processes import Service, service_env
from tests.builders.paths import SAMPLE_CERTIFICATE as SAMPLE
from tests.builders.roster import load_roster
from tests.fakes.line_events import image_event, line_user_id, line_webhook_body, sign_line_body

CARD = "ตรวจสอบข้อมูลใบประกาศนียบัตร"
CERTIFICATES = 6
RECOVERY_SECONDS = 90
KILL_AFTER = 1.0  # seconds after the last acknowledgement: events, reads and cards are all in flight

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="shared sample certificate not found")


def _certificate(width: int) -> bytes:
    """The sample as a chat-app JPEG; each width gives a different file."""
    image = Image.open(SAMPLE).convert("RGB")
    image.thumbnail((width, width * 2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def _staff_on_line(database_url: str, users: list[str]) -> None:
    """A roster with one learner per LINE user, each already linked."""
    rows = "".join(
        f"E1{i:02d},นาย,สมชาย,รักเรียน{i},นักวิชาการ,สำนักงานทดสอบ,E001,staff,\n" for i in range(len(users))
    )
    ctx = await open_db(database_url)
    try:
        from tests.builders.roster import ROSTER_CSV

        await load_roster(ROSTER_CSV + rows)
        for i, user in enumerate(users):
            await people.link("line", user, await Staff.get(employee_code=f"E1{i:02d}"))
    finally:
        await close_db(ctx)


async def _send_certificates(service: Service, line_api, users: list[str]) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for i, user in enumerate(users):
            message_id = f"{900000 + i:014d}"
            line_api.add_content(message_id, _certificate(1100 + 20 * i), "image/jpeg")
            raw = json.dumps(
                line_webhook_body([image_event(user, message_id, line_api.issue_reply_token(user))])
            ).encode()
            headers = {"Content-Type": "application/json", "X-Line-Signature": sign_line_body(raw, LINE_SECRET)}
            async with session.post(service.url + "/webhook/line", data=raw, headers=headers) as response:
                assert response.status == 200  # acknowledged: from here on it must not be lost


def _cards(line_api, users: list[str]) -> dict[str, int]:
    return {u: sum(CARD in text for text in line_api.texts_to(u)) for u in users}


async def test_certificates_acknowledged_before_a_sigkill_get_one_card_each_after_restart(
    database_url, line_api, tmp_path
):
    postgres = database_url.startswith("postgres")
    users = [line_user_id(f"crash-{i}") for i in range(CERTIFICATES)]
    await _staff_on_line(database_url, users)
    env = service_env(database_url, line_api.url, tmp_path / "data")
    primary = Service("primary", env, tmp_path)
    # On PostgreSQL a second process shares the work: it must neither lose nor double anything.
    partner = Service("partner", {**env, "MIGRATE_ON_START": "false"}, tmp_path) if postgres else None
    try:
        await primary.start()
        if partner:
            await partner.start()
        await _send_certificates(primary, line_api, users)
        await asyncio.sleep(KILL_AFTER)
        primary.kill()
        restarted = time.monotonic()
        await primary.start()
        print(f"restart took {time.monotonic() - restarted:.1f} s")
        while time.monotonic() - restarted < RECOVERY_SECONDS:
            if all(n >= 1 for n in _cards(line_api, users).values()):
                break
            await asyncio.sleep(0.5)
        print(f"cards within {time.monotonic() - restarted:.1f} s of the restart (start-up included)")
        await asyncio.sleep(2)  # a second card, if any, would come now
        cards = _cards(line_api, users)
        assert cards == {u: 1 for u in users}, (
            f"cards per certificate {list(cards.values())} within {RECOVERY_SECONDS} s of the restart\n"
            + primary.log_tail()
        )
    finally:
        primary.stop()
        if partner:
            partner.stop()
