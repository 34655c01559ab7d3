"""Nothing personal in the logs or the metrics: whole conversations on every channel, logged at DEBUG.

A person links with a code, chats, sends a certificate, confirms it; their supervisor approves;
they look at their progress, get a circular notice and acknowledge it; the signed image link is
opened and /metrics scraped. Every log record of every logger (the service's own logging set-up
at LOG_LEVEL=DEBUG, with the web server's access log) and every metric label is then searched
for roster names, employee codes, what the user typed, link codes, chat ids, tokens and secrets.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from aiohttp.test_utils import TestServer

from bot.access_log import RedactingAccessLogger
from bot.app import create_app
from bot.logging_setup import QUIET_LOGGERS, TokenScrubber
from scheduler.notices import queue_due
from storage import notices
from storage.models import Submission
from tests.builders.certificates import SAMPLE, jpeg, settle_ocr
from tests.builders.chat import ChatUser, settle
from tests.builders.credentials import LINE_SECRET, LINE_TOKEN, TELEGRAM_SECRET, TELEGRAM_TOKEN
from tests.builders.notices import broadcast_settled
from tests.builders.roster import LEARNER_ROW, ROSTER_CSV, code_for, load_roster

SIM_TOKEN = "sim-token-never-logged-0123456789"
METRICS_TOKEN = "metrics-token-never-logged-0123456789"
FILE_LINK_SECRET = "file-link-secret-never-logged-0123456789"
# What the learner types besides commands: free text a log must never repeat.
CHAT_TEXT = "ขอสอบถามเรื่องลาคลอดค่ะ เบอร์ 0812345678"
# Telegram ids long enough not to turn up by chance in a timestamp or a counter.
TELEGRAM_IDS = (7304918265, 7304918266)
ROSTER = ROSTER_CSV + LEARNER_ROW


@pytest.fixture
def settings(settings):
    """The suite's settings with every secret set, so that each can be looked for."""
    return settings.model_copy(
        update={"sim_token": SIM_TOKEN, "metrics_token": METRICS_TOKEN, "file_link_secret": FILE_LINK_SECRET}
    )


@pytest.fixture
async def client(aiohttp_client, settings, reader_pool):
    """The app served with the access logger production uses (`python -m bot serve`)."""
    server = TestServer(create_app(settings, reader_pool=reader_pool))
    await server.start_server(access_log_class=RedactingAccessLogger)
    return await aiohttp_client(server)


@pytest.fixture
def debug_logs(caplog):
    """Every logger at DEBUG, as `LOG_LEVEL=DEBUG` sets them up (tokens scrubbed by the handler's filter)."""
    for name in QUIET_LOGGERS:  # first: each call also sets the capturing handler's level
        caplog.set_level(logging.WARNING, logger=name)
    caplog.set_level(logging.DEBUG, logger="aiohttp.access")
    caplog.set_level(logging.DEBUG)
    scrubber = TokenScrubber()
    caplog.handler.addFilter(scrubber)
    yield caplog
    caplog.handler.removeFilter(scrubber)


def _roster_words() -> set[str]:
    """Every name part and employee code of the test roster."""
    words: set[str] = set()
    for line in ROSTER.splitlines()[1:]:
        code, _title, first, last, *_ = line.split(",")
        words |= {code, first, last}
    return words


async def _linked(user: ChatUser, employee_code: str, codes: list[str]) -> ChatUser:
    code = await code_for(employee_code)
    codes.append(code)
    await user.says(code)
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(user.texts())
    return user


def _leaks(text: str, secrets: set[str], codes: set[str]) -> list[str]:
    """Which forbidden strings occur in a text (employee codes as whole words)."""
    found = [s for s in secrets if s in text]
    found += [c for c in codes if re.search(rf"(?<![A-Za-z0-9]){re.escape(c)}(?![A-Za-z0-9])", text)]
    return sorted(found)


@pytest.mark.parametrize("channel", ["line", "telegram", "sim"])
async def test_no_personal_data_in_logs_or_metrics(client, services, users_on, telegram_user, debug_logs, channel):
    await load_roster(ROSTER)
    if channel == "telegram":
        learner, boss = telegram_user(TELEGRAM_IDS[0]), telegram_user(TELEGRAM_IDS[1])
    else:
        learner, boss = users_on(channel)(), users_on(channel)()
    link_codes: list[str] = []
    await learner.follows()
    await _linked(learner, "E010", link_codes)
    await _linked(boss, "E001", link_codes)
    await learner.says(CHAT_TEXT)

    await learner.sends_file(jpeg(SAMPLE), "c.jpg", image=True, mime="image/jpeg")
    await settle_ocr(client)
    await learner.presses("✅ ยืนยัน")
    assert "ขออนุมัติใบประกาศ #" in boss.last()
    await boss.presses("✅ อนุมัติ")
    assert "ได้รับอนุมัติแล้วโดย" in learner.last()
    await learner.says("ความก้าวหน้า")

    notice = await notices.create(
        subject="ขอเชิญประชุมประจำเดือน", body="ขอเชิญบุคลากรเข้าประชุม ณ ห้องประชุม 1",
        audience={"kind": "codes", "codes": ["E010"]}, created_by=None, send_at=dt.datetime.now(dt.UTC).timestamp(),
        urgent=True,
    )
    assert await queue_due(services) == 1
    await broadcast_settled(services)
    await settle(client)  # the /sim page polls for it
    await learner.presses("รับทราบ")
    assert "บันทึกการรับทราบแล้ว" in learner.last()
    assert (await notices.counts([notice.id]))[notice.id].acknowledged == 1

    submission = await Submission.get(status="approved")
    link = services.links.path(submission.file_sha256)
    assert (await client.get(link)).status == 200
    assert (await client.get(f"/sim?token={SIM_TOKEN}")).status == 200
    scrape = await client.get("/metrics")
    assert scrape.status == 200
    metrics = await scrape.text()

    secrets = {
        *(w for w in _roster_words() if not w.startswith("E")), CHAT_TEXT, "0812345678", *link_codes,
        str(learner.user_id), str(boss.user_id), LINE_SECRET, LINE_TOKEN, TELEGRAM_TOKEN,
        TELEGRAM_TOKEN.split(":")[1], TELEGRAM_SECRET, SIM_TOKEN, METRICS_TOKEN, FILE_LINK_SECRET,
        link.rsplit("/", 1)[1],  # a signed link's signature opens the certificate
    }
    codes = {w for w in _roster_words() if w.startswith("E")}
    logged = debug_logs.text + "\n".join(r.getMessage() for r in debug_logs.records)
    assert len(debug_logs.records) > 20 and "aiohttp.access" in {r.name for r in debug_logs.records}
    leaked = [(r.name, r.getMessage()[:300]) for r in debug_logs.records if _leaks(r.getMessage(), secrets, codes)]
    assert leaked == []
    assert _leaks(logged, secrets, codes) == []
    assert _leaks(metrics, secrets, codes) == []
