"""Real `python -m bot` processes for tests that kill, restart or run two of them on one database."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from tests.builders.paths import REPO


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free_port() -> int:
    """A free port below the kernel's ephemeral range.

    A port from `bind(("", 0))` is released before the child binds it, and the kernel may hand it meanwhile to a
    fake API server of the other test run (CI runs SQLite and PostgreSQL side by side), which then gets our health
    checks. Ports below the ephemeral range are never handed out by `bind(0)`.
    """
    floor = _ephemeral_floor()
    for _ in range(200):
        port = random.randrange(max(1024, floor - 12000), floor)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")


class Service:
    """One `python -m bot` process of the service under test."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.env = {**env, "PORT": str(self.port)}
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        for _ in range(3):
            if await self._start_once():
                return
            # The other test run took our port between the check and the child's bind: move.
            self.port = _free_port()
            self.env["PORT"] = str(self.port)
        raise AssertionError(f"{self.name} found no free port:\n{self.log_tail()}")

    async def _start_once(self) -> bool:
        """Start the process and wait until healthy; False if its port was taken."""
        path = self.logs / f"{self.name}.log"
        seen = path.stat().st_size if path.exists() else 0
        with path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    output = path.read_bytes()[seen:].decode(errors="replace")
                    if "address already in use" in output.lower():
                        return False
                    raise AssertionError(f"{self.name} exited:\n{self.log_tail()}")
                try:
                    async with session.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return True
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} did not start:\n{self.log_tail()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log_tail(self) -> str:
        path = self.logs / f"{self.name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def service_env(database_url: str, line_api_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production-mode service on LINE (pointed at the fake), with `extra` settings."""
    from tests.builders.credentials import LINE_SECRET, LINE_TOKEN

    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "TELEGRAM_", "SIM_", "REMINDER"))}
    return {
        **inherited,
        "APP_ENV": "production",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "HOST": "127.0.0.1",
        "LINE_CHANNEL_SECRET": LINE_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN,
        "LINE_API_BASE_URL": line_api_url,
        "LINE_DATA_API_BASE_URL": line_api_url,
        "SIM_ENABLED": "false",
        "DEMO_ROSTER": "false",
        "FILE_LINK_SECRET": "process-test-link-secret",
        "OCR_WORKERS": "1",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def run_cli(settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot <args>` against the test's database and data folder; no channel unless `env` sets one."""
    env = {
        **os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(settings.data_dir),
        "LINE_CHANNEL_SECRET": "", "TELEGRAM_BOT_TOKEN": "", **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
