"""Drive the running service with signed LINE and Telegram text events and print throughput.

Usage (from the repository root):
    .venv/bin/python -m bench.webhooks.run [--events 4000] [--concurrency 32] [--postgres-url URL]
    .venv/bin/python -m bench.webhooks.run --burst 10 [--rate 500] [--postgres-url URL]

`--burst` times button presses from many linked users at a fixed offered rate, from
webhook to reply, instead (see bench/webhooks/burst.py).

It starts, each in its own process on loopback: the LINE and Telegram API fakes
(so replies have somewhere to go), the bare aiohttp app, and the service on
SQLite, then on PostgreSQL when a URL is given (scripts/bench-webhooks starts
one). The load comes from this process. Every event is distinct and correctly
signed; the service verifies it and commits it before answering.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import aiohttp

from bench.webhooks import burst

REPO = Path(__file__).resolve().parents[2]
LINE_SECRET = "bench-line-secret"
LINE_TOKEN = "bench-line-token"
TELEGRAM_TOKEN = "123456:BENCH-telegram-token-abcdefghijkl"
TELEGRAM_SECRET = "bench-telegram-secret"


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def line_request(i: int) -> tuple[str, bytes, dict[str, str]]:
    """A signed LINE webhook with one distinct text event."""
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": f"U{i % 500:032x}"},
        "webhookEventId": uuid.uuid4().hex[:26].upper(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        "message": {"id": str(10**12 + i), "type": "text", "quoteToken": "q" * 10, "text": f"สวัสดี {i}"},
    }
    body = json.dumps({"destination": "Ubench", "events": [event]}).encode()
    signature = base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return "/webhook/line", body, {"X-Line-Signature": signature, "Content-Type": "application/json"}


def telegram_request(i: int) -> tuple[str, bytes, dict[str, str]]:
    """A Telegram update with one distinct text message and the secret token."""
    user = 100_000 + i % 500
    update = {
        "update_id": 1_000_000 + i,
        "message": {
            "message_id": i,
            "date": int(time.time()),
            "chat": {"id": user, "type": "private", "first_name": "B"},
            "from": {"id": user, "is_bot": False, "first_name": "B"},
            "text": f"สวัสดี {i}",
        },
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}
    return "/webhook/telegram", json.dumps(update).encode(), headers


async def drive(base_url: str, requests: list[tuple[str, bytes, dict[str, str]]], concurrency: int) -> dict[str, float]:
    """Send all requests with a fixed number in flight; return rate and latency percentiles."""
    latencies: list[float] = []
    failures = 0
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal failures
            for path, body, headers in queue:
                started = time.perf_counter()
                async with session.post(base_url + path, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        failures += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rate": len(requests) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "failures": failures,
    }


async def wait_ready(url: str, timeout: float = 60) -> None:
    """Poll until the server answers."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(url)


@contextmanager
def process(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A child process that is terminated on exit; its output goes to a log file, never a pipe
    (a full pipe would block the child and skew the figures)."""
    log = tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False)
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def pending_events(port: int) -> int:
    """Events the service stored but has not handled yet."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
            return (await response.json())["pending_events"]


async def measure_service(
    database_url: str, fakes: dict[str, str], args: argparse.Namespace, *, split: bool
) -> dict[str, Any]:
    """Start the service on one database (one process, or a web and a worker process) and drive it."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "APP_ENV": "production",
            "DATA_DIR": data_dir,
            "DATABASE_URL": database_url or "",
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "LINE_CHANNEL_SECRET": LINE_SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN,
            "LINE_API_BASE_URL": fakes["line"],
            "LINE_DATA_API_BASE_URL": fakes["line"],
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE_URL": fakes["telegram"],
            "LOG_LEVEL": "WARNING",
            "PROCESS_ROLE": "web" if split else "all",
            "OCR_WORKERS": "1",
        }
        worker_env = {**env, "PROCESS_ROLE": "worker", "PORT": str(free_port()), "MIGRATE_ON_START": "false"}
        # BENCH_PROFILE=FILE: the (single) service process runs under cProfile, its stats in FILE.
        profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
        with process([sys.executable, *profile, "-m", "bot"], env):
            await wait_ready(f"http://127.0.0.1:{port}/healthz")
            with process([sys.executable, "-m", "bot"], worker_env) if split else _nothing():
                if split:
                    await wait_ready(f"http://127.0.0.1:{worker_env['PORT']}/healthz")
                if args.burst:
                    secrets_ = {"line": LINE_SECRET, "telegram": TELEGRAM_SECRET}
                    url = database_url or f"sqlite://{Path(data_dir, 'bot.sqlite3').resolve()}"
                    return await burst.run_burst(
                        f"http://127.0.0.1:{port}", url, fakes, secrets_, args.burst, args.rate
                    )
                return await _drive_and_drain(port, args)


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


async def _drive_and_drain(port: int, args: argparse.Namespace) -> dict[str, float]:
    """Send the load, then time how long handling the stored events takes to catch up."""
    result = await drive(f"http://127.0.0.1:{port}", build_requests(args.events), args.concurrency)
    drain_started = time.perf_counter()
    while await pending_events(port) and time.perf_counter() - drain_started < 300:
        await asyncio.sleep(0.5)
    result["drain_s"] = time.perf_counter() - drain_started
    return result


def build_requests(n: int) -> list[tuple[str, bytes, dict[str, str]]]:
    """Half LINE, half Telegram, interleaved, all distinct."""
    offset = int(time.time() * 1000) % 10**7 * 10
    return [line_request(offset + i) if i % 2 == 0 else telegram_request(offset + i) for i in range(n)]


async def main_burst(args: argparse.Namespace) -> None:
    """Burst mode: the service as one process, then as a web and a worker process, on SQLite and PostgreSQL."""
    line_port, telegram_port = free_port(), free_port()
    fakes = {"line": f"http://127.0.0.1:{line_port}", "telegram": f"http://127.0.0.1:{telegram_port}"}
    keep = ["--history", str(int(args.burst * args.rate) * 4)]  # every arrival of the burst is timed
    results: dict[str, dict[str, Any]] = {}
    with (
        process([sys.executable, "-m", "tests.fakes.line_api", "--port", str(line_port), "--token", LINE_TOKEN, *keep]),
        process([sys.executable, "-m", "tests.fakes.telegram_api", "--port", str(telegram_port), "--token", TELEGRAM_TOKEN, *keep]),
    ):
        await wait_ready(f"{fakes['line']}/__fake__/stats")
        await wait_ready(f"{fakes['telegram']}/__fake__/stats")
        for split in (False, True):
            layout = "web+worker" if split else "1 process"
            if args.database in ("both", "sqlite"):
                results[f"SQLite, {layout}"] = await measure_service("", fakes, args, split=split)
                burst.print_burst(results, args.burst, args.rate, os.cpu_count())  # figures as they come
            if args.postgres_url and args.database in ("both", "postgres"):
                results[f"PostgreSQL, {layout}"] = await measure_service(args.postgres_url, fakes, args, split=split)
    burst.print_burst(results, args.burst, args.rate, os.cpu_count())


async def main_async(args: argparse.Namespace) -> None:
    line_port, telegram_port, bare_port = free_port(), free_port(), free_port()
    fakes = {"line": f"http://127.0.0.1:{line_port}", "telegram": f"http://127.0.0.1:{telegram_port}"}
    results: dict[str, dict[str, float]] = {}
    with (
        process([sys.executable, "-m", "tests.fakes.line_api", "--port", str(line_port), "--token", LINE_TOKEN, "--lenient-reply-tokens"]),
        process([sys.executable, "-m", "tests.fakes.telegram_api", "--port", str(telegram_port), "--token", TELEGRAM_TOKEN]),
        process([sys.executable, str(REPO / "bench/webhooks/bare_app.py"), str(bare_port)]),
    ):
        await wait_ready(f"http://127.0.0.1:{bare_port}/")
        await asyncio.sleep(1)
        await drive(f"http://127.0.0.1:{bare_port}", build_requests(500), args.concurrency)  # warm-up
        results["bare aiohttp"] = await drive(f"http://127.0.0.1:{bare_port}", build_requests(args.events), args.concurrency)
        results["SQLite, 1 process"] = await measure_service("", fakes, args, split=False)
        results["SQLite, web+worker"] = await measure_service("", fakes, args, split=True)
        if args.postgres_url:
            results["PostgreSQL, 1 process"] = await measure_service(args.postgres_url, fakes, args, split=False)
            results["PostgreSQL, web+worker"] = await measure_service(args.postgres_url, fakes, args, split=True)
    bare = results["bare aiohttp"]["rate"]
    print(f"\nwebhook benchmark: {args.events} signed events (half LINE, half Telegram), {args.concurrency} in flight, loopback, {os.cpu_count()} cores")
    print(f"{'target':<26}{'events/s':>10}{'vs bare':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}{'drain s':>9}")
    for name, r in results.items():
        drain = f"{r['drain_s']:.1f}" if "drain_s" in r else "-"
        print(f"{name:<26}{r['rate']:>10.0f}{r['rate'] / bare:>9.2f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{int(r['failures']):>9}{drain:>9}")
    print("goal: service >= 0.25 x bare, with signatures checked and events committed before the 200")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL"))
    parser.add_argument("--burst", type=float, default=0, help="seconds of button presses at --rate (burst mode)")
    parser.add_argument("--rate", type=float, default=500, help="presses per second offered in burst mode")
    parser.add_argument("--database", choices=("both", "sqlite", "postgres"), default="both")
    args = parser.parse_args()
    asyncio.run(main_burst(args) if args.burst else main_async(args))


if __name__ == "__main__":
    main()
