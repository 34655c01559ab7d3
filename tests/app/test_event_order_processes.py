"""Two web and two worker processes on one PostgreSQL: every event handled once, in order per person.

Real `python -m bot` processes (PROCESS_ROLE=web twice, PROCESS_ROLE=worker twice)
share one database and one data folder, with LINE and Telegram pointed at the fakes.
Twenty linked people (sixteen on LINE, four on Telegram) each type ten numbered
messages as fast as the webhooks answer, alternating between the two web processes,
and three of them send a certificate photo among their messages. Each text gets the
"unknown command" answer; each LINE answer comes with the reply token of the event it
answers, so the fake tells which event an answer is for. The order of handling is read
from the database: per person, the events' `processed_at` must follow the order sent.
(Replies are delivered after each event's commit by the process that handled it, so two
workers' replies to one person can, rarely, reach the platform in the other order; the
order of handling, and so of what each answer says, is what this guarantees.)

Then a second burst, and one worker gets SIGTERM in the middle of it: it must exit
within seconds, hand back what it held (nothing pending stays leased to it), and the
burst must still be handled entirely, each event once and in order per person.

SQLite serves one process at a time, so these tests run on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import socket
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field

import aiohttp
import pytest

from config.texts import t
from storage import people
from storage.db import close_db, open_db
from storage.models import InboundEvent, OcrJob, Staff
from tests.builders.certificates import CARD, RECEIVED, SAMPLE, jpeg
from tests.builders.credentials import LINE_SECRET, TELEGRAM_SECRET, TELEGRAM_TOKEN
from tests.builders.processes import Service, service_env
from tests.builders.roster import ROSTER_CSV, load_roster
from tests.fakes.line_events import image_event, line_user_id, line_webhook_body, sign_line_body, text_event
from tests.fakes.telegram_updates import message_update

ON_LINE, ON_TELEGRAM = 16, 4
TEXTS = 10
WAIT_SECONDS = 120
# Between one person's messages: a burst of a few seconds, longer than a worker's idle poll (0.1 s),
# so both workers are at it and a person's events go now to one, now to the other.
PAUSE_SECONDS = 0.2
EXIT_SECONDS = 10  # a SIGTERMed worker's grace (5 s) and its shutdown, on a busy machine
UNKNOWN = t("common.unknown")
_update_ids = itertools.count(500_000)


@dataclass
class Person:
    """One linked person and what they sent, in the order sent."""

    channel: str
    user: str  # LINE user id, or Telegram chat id
    sent: list[str] = field(default_factory=list)  # inbox event ids
    tokens: list[str] = field(default_factory=list)  # LINE: the reply token of each event
    texts: int = 0
    certificates: int = 0

    @property
    def user_key(self) -> str:
        return f"{self.channel}:{self.user}"


class Burst:
    """Posts people's messages to the web processes as the platforms would."""

    def __init__(self, webs: list[Service], line_api, telegram_api) -> None:
        self.webs, self.line_api, self.telegram_api = webs, line_api, telegram_api
        self.photo = jpeg(SAMPLE)

    async def send(self, session: aiohttp.ClientSession, person: Person, index: int, *, photo: bool = False) -> None:
        """One event of `person`, stored when this returns; `index` picks the web process."""
        web = self.webs[index % len(self.webs)]
        if person.channel == "telegram":
            update_id = next(_update_ids)
            person.texts += 1
            body = json.dumps(message_update(update_id, int(person.user), f"ข้อความที่ {person.texts}")).encode()
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}
            event_id = f"telegram:{update_id}"
            path = "/webhook/telegram"
        else:
            token = self.line_api.issue_reply_token(person.user)
            if photo:
                person.certificates += 1
                message_id = f"{abs(hash(person.user)) % 10**8}{person.certificates:06d}"
                self.line_api.add_content(message_id, self.photo, "image/jpeg")
                event = image_event(person.user, message_id, token)
            else:
                person.texts += 1
                event = text_event(person.user, f"ข้อความที่ {person.texts}", token)
            body = json.dumps(line_webhook_body([event])).encode()
            headers = {"X-Line-Signature": sign_line_body(body, LINE_SECRET), "Content-Type": "application/json"}
            event_id = f"line:{event['webhookEventId']}"
            path = "/webhook/line"
            person.tokens.append(token)
        person.sent.append(event_id)  # before the post: the event may be handled before it answers
        async with session.post(web.url + path, data=body, headers=headers) as response:
            assert response.status == 200, await response.text()

    async def run(self, everyone: list[Person], texts: int, photos: dict[int, int]) -> None:
        """Everyone types `texts` messages at once; person i (of `photos`) sends a photo after the
        message numbered photos[i]. Each person's messages alternate between the web processes."""

        async def one(i: int, person: Person) -> None:
            for n in range(texts):
                await asyncio.sleep(PAUSE_SECONDS)
                await self.send(session, person, i + n)
                if photos.get(i) == n + 1:
                    await self.send(session, person, i + n + 1, photo=True)

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            await asyncio.gather(*(one(i, p) for i, p in enumerate(everyone)))


async def _people(line_api) -> list[Person]:
    rows = "".join(
        f"Q{i:03d},นาง,ลำดับ,ทดสอบ{i},นักวิชาการ,สำนักงานทดสอบ > กลุ่มลำดับ,E001,staff,\n"
        for i in range(ON_LINE + ON_TELEGRAM)
    )
    await load_roster(ROSTER_CSV + rows)
    staff = await Staff.filter(employee_code__startswith="Q").order_by("employee_code")
    everyone = [Person("line", line_user_id(f"order-{i}")) for i in range(ON_LINE)]
    everyone += [Person("telegram", str(80_000 + i)) for i in range(ON_TELEGRAM)]
    for person, member in zip(everyone, staff):
        await people.link(person.channel, person.user, member)
    return everyone


def _unknown_answers(person: Person, line_api, telegram_api) -> int:
    fake = line_api if person.channel == "line" else telegram_api
    return sum(text == UNKNOWN for text in fake.texts_to(person.user))


def _cards(person: Person, line_api) -> int:
    return sum(CARD in text for text in line_api.texts_to(person.user))


async def _all_done(everyone: list[Person], line_api, telegram_api) -> bool:
    expected = sum(len(p.sent) for p in everyone)
    if await InboundEvent.filter(status="done").count() < expected:
        return False
    if await OcrJob.filter(status="pending").exists():
        return False
    return all(
        _unknown_answers(p, line_api, telegram_api) >= p.texts and _cards(p, line_api) >= p.certificates
        for p in everyone
    )


async def _wait_until_done(everyone: list[Person], line_api, telegram_api, services: list[Service]) -> None:
    started = time.monotonic()
    while not await _all_done(everyone, line_api, telegram_api):
        if time.monotonic() - started > WAIT_SECONDS:
            done = await InboundEvent.filter(status="done").count()
            logs = "\n".join(f"--- {s.name}\n{s.log_tail()}" for s in services)
            raise AssertionError(f"{done} of {sum(len(p.sent) for p in everyone)} events done\n{logs}")
        await asyncio.sleep(0.3)
    await asyncio.sleep(2)  # a repeat, if any, would come now


async def _assert_each_once_and_in_order(everyone: list[Person], line_api, telegram_api) -> None:
    rows = await InboundEvent.all().order_by("id").values("event_id", "user_key", "status", "processed_at")
    assert sorted(r["event_id"] for r in rows) == sorted(e for p in everyone for e in p.sent)  # stored once each
    assert {r["status"] for r in rows} == {"done"}
    handled: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for row in rows:
        handled[row["user_key"]].append((row["processed_at"], row["event_id"]))
    # Replies by reply token: which event each LINE answer was for.
    answered: dict[str, int] = defaultdict(int)
    for call in line_api.calls_to("/v2/bot/message/reply"):
        answered[call.body["replyToken"]] += 1
    for person in everyone:
        # Handled in the order sent, whichever worker took each event.
        assert [e for _, e in sorted(handled[person.user_key])] == person.sent, person.user_key
        # What the person saw: one answer per text, one card per certificate.
        assert _unknown_answers(person, line_api, telegram_api) == person.texts, person.user_key
        assert _cards(person, line_api) == person.certificates, person.user_key
        if person.channel == "line":
            assert [answered[token] for token in person.tokens] == [1] * len(person.tokens), person.user_key
            texts = line_api.texts_to(person.user)
            assert sum(RECEIVED in text for text in texts) == person.certificates, person.user_key


async def _handled_by(service: Service) -> float:
    """How many events a process handled, from its /metrics (this machine may read them)."""
    async with aiohttp.ClientSession() as session, session.get(service.url + "/metrics") as response:
        text = await response.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("bot_events_total{") and 'outcome="done"' in line
    )


def _owner_prefix(service: Service) -> str:
    """The lease owner names of a process start with its host and pid (storage/leases.py)."""
    assert service.process is not None
    return f"{socket.gethostname()[:20]}:{service.process.pid}:"


async def test_two_web_and_two_worker_processes_handle_a_burst_once_in_order_and_survive_a_sigterm(
    database_url, line_api, telegram_api, tmp_path
):
    if not database_url.startswith("postgres"):
        pytest.skip("several service processes share one database on PostgreSQL only")
    ctx = await open_db(database_url, run_migrations=False)
    env = service_env(
        database_url, line_api.url, tmp_path / "data",
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
        TELEGRAM_API_BASE_URL=telegram_api.url, TELEGRAM_MODE="webhook", HTTP_TIMEOUT_SECONDS="5",
        MIGRATE_ON_START="false",
    )
    webs = [Service(f"web-{i}", {**env, "PROCESS_ROLE": "web"}, tmp_path) for i in (1, 2)]
    # Small batches (16 events a claim), so both workers take turns at the same people's events.
    workers = [
        Service(f"worker-{i}", {**env, "PROCESS_ROLE": "worker", "EVENT_WORKERS": "1"}, tmp_path) for i in (1, 2)
    ]
    services = webs + workers
    try:
        everyone = await _people(line_api)
        await asyncio.gather(*(s.start() for s in services))
        burst = Burst(webs, line_api, telegram_api)

        # A burst: 200 texts and 3 certificates, spread over both web processes, taken by both workers.
        await burst.run(everyone, TEXTS, photos={0: 3, 1: 5, 2: 8})
        await _wait_until_done(everyone, line_api, telegram_api, services)
        await _assert_each_once_and_in_order(everyone, line_api, telegram_api)
        shares = [await _handled_by(w) for w in workers]
        print(f"events handled by each worker: {shares}")
        assert min(shares) > 0, shares  # both workers took part

        # A second burst, and a SIGTERM to one worker while it is being handled.
        stopping = workers[0]
        owner = _owner_prefix(stopping)
        before = sum(_unknown_answers(p, line_api, telegram_api) for p in everyone)
        sending = asyncio.create_task(burst.run(everyone, TEXTS, photos={3: 2, 4: 6, 5: 9}))
        started = time.monotonic()
        while sum(_unknown_answers(p, line_api, telegram_api) for p in everyone) < before + 30:
            assert time.monotonic() - started < WAIT_SECONDS, stopping.log_tail()
            await asyncio.sleep(0.05)
        assert stopping.process is not None
        stopping.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        try:
            code = await asyncio.to_thread(stopping.process.wait, EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the worker ran on {EXIT_SECONDS} s after SIGTERM\n{stopping.log_tail()}") from None
        print(f"the SIGTERMed worker exited in {time.monotonic() - signalled:.1f} s")
        assert code == 0, stopping.log_tail()
        # It handed back what it held: nothing pending is leased to it any more.
        assert not await InboundEvent.filter(status="pending", lease_owner__startswith=owner).exists()
        assert not await OcrJob.filter(status="pending", lease_owner__startswith=owner).exists()
        await sending
        await _wait_until_done(everyone, line_api, telegram_api, services)
        await _assert_each_once_and_in_order(everyone, line_api, telegram_api)
        assert all(p.texts == 2 * TEXTS for p in everyone)
    finally:
        for service in services:
            service.stop()
        await close_db(ctx)
