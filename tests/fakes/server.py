"""Shared plumbing of the fake API servers: loopback aiohttp lifecycle, call log, violations.

In the style of opsdroid's ExternalAPIMockServer: a real HTTP server on 127.0.0.1 that the
real SDK clients talk to, recording every call. Subclasses add the routes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# What handlers learn about a request (endpoint, decoded body, token-free path) for the log;
# typed request keys exist from aiohttp 3.12 on, plain strings do before.
_NOTE: Any = web.RequestKey("fake_call", dict) if hasattr(web, "RequestKey") else "fake_call"


def note(request: web.Request, **fields: Any) -> None:
    """Tell the call log what this request is: endpoint=, body=, path= (all optional)."""
    request.setdefault(_NOTE, {}).update(fields)


@dataclass
class Call:
    """One HTTP request the fake received, as the app sent it."""

    method: str  # HTTP method
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON (LINE), decoded parameters (Telegram), or None
    status: int = 0  # what the fake answered
    endpoint: str = ""  # LINE: the spec path template; Telegram: the Bot API method name


class FakeServer:
    """Base class: start/close on a loopback port, async context manager, recording."""

    #: spec violations (app bugs) as readable strings; every one was also answered 4xx
    violations: list[str]
    #: API-level refusals that are not spec violations (bad reply token, retry-key conflict...)
    errors: list[str]

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, history: int | None = None) -> None:
        self.host = host
        self.port = port
        # `history` bounds memory in long standalone runs; tests keep everything.
        self.history = history
        self._calls: collections.deque[Call] = collections.deque(maxlen=history)
        # (recipient, wall-clock time) of each message accepted: benchmarks time webhook -> reply with it.
        self.arrivals: collections.deque[tuple[str, float]] = collections.deque(maxlen=history)
        self.violations = []
        self.errors = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- lifecycle -------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp application; subclasses add their routes to it."""
        app = web.Application(middlewares=[self._record_middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/__fake__/arrivals", self._control_arrivals)
        return app

    async def start(self) -> Self:
        """Bind the loopback port (0 picks a free one) and set `url`."""
        self.load_specs()
        # access_log=None: Telegram paths carry the bot token and the app's traffic is personal.
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{port}"
        return self

    async def close(self) -> None:
        """Stop serving; recorded data stays readable."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def load_specs(self) -> None:
        """Parse the specs before the first request so timing-sensitive callers do not pay it."""

    # --- recording -------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every request received, oldest first (refused ones included, see `Call.status`)."""
        return list(self._calls)

    def calls_to(self, endpoint: str) -> list[Call]:
        """The calls to one endpoint (LINE path template or Telegram method name)."""
        return [c for c in self._calls if c.endpoint == endpoint]

    def arrived(self, recipient: str) -> None:
        """Note that a message for `recipient` was accepted now."""
        self.arrivals.append((recipient, time.time()))

    async def _control_arrivals(self, _request: web.Request) -> web.Response:
        return web.json_response(list(self.arrivals))

    def clear(self) -> None:
        """Forget recorded calls, deliveries, violations and errors (registered data stays)."""
        self._calls.clear()
        self.arrivals.clear()
        self.violations.clear()
        self.errors.clear()

    def assert_clean(self) -> None:
        """Raise AssertionError listing every spec violation seen since the last clear()."""
        if self.violations:
            listing = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(f"{len(self.violations)} API spec violation(s):\n{listing}")

    def _violate(self, where: str, problems: Iterable[str]) -> None:
        self.violations.extend(f"{where}: {p}" for p in problems)
        if self.history is not None and len(self.violations) > 2 * self.history:
            del self.violations[: -self.history]  # a standalone run keeps the latest only

    @web.middleware
    async def _record_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/__fake__/"):  # control endpoints are not API traffic
            return await handler(request)
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            info = request.get(_NOTE, {})
            self._calls.append(
                Call(
                    method=request.method,
                    path=info.get("path", request.path),
                    headers=dict(request.headers),
                    body=info.get("body"),
                    status=status,
                    endpoint=info.get("endpoint", ""),
                )
            )

    def stats(self) -> dict[str, Any]:
        """Counts per endpoint and status, and the violations: what a benchmark run reports."""
        counts = collections.Counter(f"{c.endpoint or c.path} {c.status}" for c in self._calls)
        return {"calls": dict(counts), "violations": list(self.violations), "errors": len(self.errors)}

    # --- standalone ------------------------------------------------------------------------

    async def serve_until_stopped(self) -> None:
        """Serve until SIGINT/SIGTERM, printing the URL first and a summary (no content) last."""
        await self.start()
        print(f"{type(self).__name__} listening on {self.url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await self.close()
        summary = self.stats()
        print(f"{type(self).__name__} summary: {summary['calls']}", file=sys.stderr)
        print(f"{len(summary['violations'])} violation(s)", file=sys.stderr)
        for line in summary["violations"][:50]:
            print(f"  - {line}", file=sys.stderr)


def cli_parser(description: str) -> argparse.ArgumentParser:
    """The options both standalone fakes share."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument(
        "--history", type=int, default=1000, help="how many calls/messages/violations to keep (memory bound)"
    )
    return parser
