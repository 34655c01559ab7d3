"""Real `python -m bot` processes for tests that kill, restart or run two of them on one database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from tests.builders.paths import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        log = (self.logs / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.log_tail()
                try:
                    async with session.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return
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
