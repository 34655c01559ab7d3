"""Burst mode of the webhook bench: button presses at a fixed offered rate, timed to the reply.

The acknowledgement storm after a notice is many distinct people each pressing a
button once, at up to 500 presses a second. This drives the running service with
that shape: `seconds` x `rate` signed events, half LINE postbacks and half Telegram
callback queries, each from its own linked staff member (seeded straight into the
database before the burst), sent open-loop at their scheduled times whatever the
service's latency. The press is the menu's help button, a cheap action that
answers with one reply, as the acknowledgement does.

Printed per database: events stored/s (webhook 200s), events handled/s (from the
events' own processed_at), the backlog left when the burst ends, and p50/p99 from
the webhook POST to the reply's arrival at the platform fake.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

ACTION = "menu.help"  # answers a linked staff member with one reply, no other writes


@dataclass(slots=True)
class Press:
    """One planned press: who, on which channel, the signed request, and when it was posted."""

    channel: str
    user: str  # the platform user id, also the chat the reply goes to
    path: str = ""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    posted_at: float = 0.0
    answered: int = 0  # HTTP status of the webhook


def plan(count: int) -> list[Press]:
    """`count` distinct users, LINE and Telegram alternating; ids are fresh for every run."""
    salt = secrets.randbelow(10**4)
    presses = []
    for i in range(count):
        if i % 2 == 0:
            presses.append(Press("line", "U" + hashlib.sha256(f"burst:{salt}:{i}".encode()).hexdigest()[:32]))
        else:
            presses.append(Press("telegram", str(5 * 10**9 + salt * 10**6 + i)))
    return presses


def in_child(step: str, url: str, data: str) -> str:
    """Run one database step in a child process: the ORM keeps per-dialect state, so one
    bench process cannot talk to SQLite and then PostgreSQL."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.webhooks.burst", step, url], input=data, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


async def seed(database_url: str, presses: list[Press]) -> None:
    """Put one staff member and one linked chat per press into the service's database."""
    from storage.db import close_db, open_db
    from storage.models import ChatIdentity, Staff, Unit

    ctx = await open_db(database_url, run_migrations=False)
    try:
        unit = await Unit.create(name=f"bench {secrets.token_hex(4)}")
        staff = [
            Staff(employee_code=f"BB{unit.id:04d}{i:06d}", first_name="ทดสอบ", last_name=f"คนที่ {i}", unit=unit)
            for i in range(len(presses))
        ]
        await Staff.bulk_create(staff, batch_size=1000)
        ids = dict(await Staff.filter(unit=unit).values_list("employee_code", "id"))
        await ChatIdentity.bulk_create(
            [
                ChatIdentity(channel=p.channel, platform_user_id=p.user, staff_id=ids[s.employee_code])
                for p, s in zip(presses, staff, strict=True)
            ],
            batch_size=1000,
        )
    finally:
        await close_db(ctx)


async def sign(presses: list[Press], line_fake: str, line_secret: str, telegram_secret: str) -> None:
    """Build each signed webhook; LINE reply tokens are issued by the fake so replies name their user."""
    async with aiohttp.ClientSession() as session:
        sem = asyncio.Semaphore(32)

        async def token(user: str) -> str:
            async with sem, session.post(f"{line_fake}/__fake__/reply-tokens", json={"userId": user, "ttl": 600}) as r:
                return (await r.json())["replyToken"]

        line = [p for p in presses if p.channel == "line"]
        tokens = await asyncio.gather(*(token(p.user) for p in line))
    for n, press in enumerate(presses):
        if press.channel == "line":
            event = {
                "type": "postback",
                "mode": "active",
                "timestamp": int(time.time() * 1000),
                "source": {"type": "user", "userId": press.user},
                "webhookEventId": secrets.token_hex(13).upper(),
                "deliveryContext": {"isRedelivery": False},
                "replyToken": tokens.pop(0),
                "postback": {"data": ACTION},
            }
            press.body = json.dumps({"destination": "Ubench", "events": [event]}).encode()
            digest = hmac.new(line_secret.encode(), press.body, hashlib.sha256).digest()
            press.path = "/webhook/line"
            press.headers = {"X-Line-Signature": base64.b64encode(digest).decode(), "Content-Type": "application/json"}
        else:
            user = int(press.user)
            chat = {"id": user, "type": "private", "first_name": "B"}
            update = {
                "update_id": 10**8 + secrets.randbelow(10**8) * 100 + n % 100,
                "callback_query": {
                    "id": str(secrets.randbelow(10**18)),
                    "from": {"id": user, "is_bot": False, "first_name": "B"},
                    "message": {
                        "message_id": 1,
                        "from": {"id": 1, "is_bot": True, "first_name": "Bot", "username": "bench_bot"},
                        "chat": chat,
                        "date": int(time.time()),
                        "text": "…",
                    },
                    "chat_instance": str(secrets.randbelow(10**18)),
                    "data": ACTION,
                },
            }
            press.body = json.dumps(update).encode()
            press.path = "/webhook/telegram"
            press.headers = {"X-Telegram-Bot-Api-Secret-Token": telegram_secret, "Content-Type": "application/json"}


async def pending(session: aiohttp.ClientSession, base_url: str) -> int:
    """Events stored but not handled yet, from the service's health check."""
    async with session.get(f"{base_url}/healthz") as response:
        return int((await response.json())["pending_events"])


async def fire(base_url: str, presses: list[Press], rate: float) -> tuple[float, float, int]:
    """Post every press at its scheduled time (open loop); returns (start, end of the burst, backlog then)."""
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def post(press: Press) -> None:
            press.posted_at = time.time()
            try:
                async with session.post(base_url + press.path, data=press.body, headers=press.headers) as r:
                    await r.read()
                    press.answered = r.status
            except aiohttp.ClientError:
                press.answered = -1

        tasks = []
        start = time.monotonic()
        started_at = time.time()
        for i, press in enumerate(presses):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(press)))
        await asyncio.gather(*tasks)
        ended_at = time.time()
        backlog = await pending(session, base_url)
    return started_at, ended_at, backlog


async def arrivals(fakes: dict[str, str]) -> dict[tuple[str, str], float]:
    """The first reply's arrival time per (channel, user) at the fakes."""
    first: dict[tuple[str, str], float] = {}
    async with aiohttp.ClientSession() as session:
        for channel, url in fakes.items():
            async with session.get(f"{url}/__fake__/arrivals") as response:
                for user, at in await response.json():
                    first.setdefault((channel, user), at)
    return first


async def handled_rate(database_url: str, started_at: float) -> tuple[int, float]:
    """(events done, events handled per second from the burst's start to the last one done)."""
    from storage.db import close_db, open_db
    from storage.models import InboundEvent

    ctx = await open_db(database_url, run_migrations=False)
    try:
        done = InboundEvent.filter(status="done", received_at__gte=started_at - 1)
        count = await done.count()
        last = await done.order_by("-processed_at").limit(1).values_list("processed_at", flat=True)
    finally:
        await close_db(ctx)
    span = (last[0] - started_at) if last else 0.0
    return count, count / span if span > 0 else 0.0


async def run_burst(
    base_url: str, database_url: str, fakes: dict[str, str], secrets_: dict[str, str], seconds: float, rate: float
) -> dict[str, Any]:
    """Seed, sign, fire, wait for every reply (at most 5 minutes) and measure."""
    presses = plan(int(seconds * rate))
    users = json.dumps([[p.channel, p.user] for p in presses])
    await asyncio.to_thread(in_child, "seed", database_url, users)
    await sign(presses, fakes["line"], secrets_["line"], secrets_["telegram"])
    started_at, ended_at, backlog = await fire(base_url, presses, rate)
    ok = [p for p in presses if p.answered == 200]
    deadline = time.monotonic() + 300
    async with aiohttp.ClientSession() as session:
        while await pending(session, base_url) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
    got: dict[tuple[str, str], float] = {}
    while time.monotonic() < deadline:  # the last deliveries may still be on their way
        got = await arrivals(fakes)
        if all((p.channel, p.user) in got for p in ok):
            break
        await asyncio.sleep(0.5)
    waits = sorted(got[(p.channel, p.user)] - p.posted_at for p in ok if (p.channel, p.user) in got)
    done, handled = json.loads(await asyncio.to_thread(in_child, "handled", database_url, repr(started_at)))
    last_200 = max((p.posted_at for p in ok), default=started_at)
    return {
        "offered": len(presses) / (ended_at - started_at) if ended_at > started_at else 0.0,
        "stored": len(ok) / max(1e-9, ended_at - started_at),
        "handled": handled,
        "backlog": backlog,
        "non200": len(presses) - len(ok),
        "unanswered": len(ok) - len(waits),
        "done": done,
        "p50": waits[len(waits) // 2] if waits else float("nan"),
        "p99": waits[int(0.99 * (len(waits) - 1))] if waits else float("nan"),
        "max": waits[-1] if waits else float("nan"),
        "_last_post": last_200,
    }


def print_burst(results: dict[str, dict[str, Any]], seconds: float, rate: float, cores: int | None) -> None:
    """The burst figures, one line per target."""
    print(f"\nburst: {seconds:g} s of button presses at {rate:g}/s offered, each from its own linked user, "
          f"half LINE postbacks, half Telegram callbacks; {cores} cores")
    header = f"{'target':<26}{'stored/s':>9}{'handled/s':>10}{'backlog':>8}{'p50 s':>8}{'p99 s':>8}{'max s':>8}"
    print(header + f"{'non-200':>8}{'no reply':>9}")
    for name, r in results.items():
        print(
            f"{name:<26}{r['stored']:>9.0f}{r['handled']:>10.0f}{r['backlog']:>8}{r['p50']:>8.2f}{r['p99']:>8.2f}"
            f"{r['max']:>8.2f}{r['non200']:>8}{r['unanswered']:>9}"
        )
    print("goal: handled >= offered (500/s), p99 webhook -> reply <= 2 s")


def main() -> None:
    """The child-process steps: `seed URL` (users as JSON on stdin) and `handled URL` (start time on stdin)."""
    step, url = sys.argv[1:3]
    arg = sys.stdin.read()
    if step == "seed":
        asyncio.run(seed(url, [Press(channel, user) for channel, user in json.loads(arg)]))
    else:
        print(json.dumps(asyncio.run(handled_rate(url, float(arg)))))


if __name__ == "__main__":
    main()
