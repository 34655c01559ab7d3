"""Shared plumbing of the fake API servers: loopback aiohttp lifecycle, call log, violations.

In the style of opsdroid's ExternalAPIMockServer: a real HTTP server on 127.0.0.1 that the
real SDK clients talk to, recording every call. Subclasses add the routes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

from .faults import Fault, FaultPlan, Faults

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
        # Counters that outlive `history`, for benchmarks and tests of large broadcasts.
        self.requests: collections.Counter[str] = collections.Counter()  # per endpoint
        self.refused_for_rate: collections.Counter[str] = collections.Counter()  # per endpoint
        self.rates_enforced = False  # the platform's documented rate limits (subclasses define them)
        self.faults = Faults()

    # --- lifecycle -------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp application with the shared control endpoints; subclasses add their routes."""
        app = web.Application(middlewares=[self._record_middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_post("/__fake__/faults", self._control_faults)
        app.router.add_get("/__fake__/arrivals", self._control_arrivals)
        return app

    # --- rate limits and faults ------------------------------------------------------------

    def enforce_rates(self, on: bool = True) -> None:
        """Refuse what goes over the platform's documented rates with its 429 (off by default)."""
        self.rates_enforced = on

    def inject_faults(self, plan: FaultPlan | None = None, **shares: Any) -> None:
        """Give a share of the sending requests a fault: `inject_faults(server_error=0.05, seed=1)`."""
        self.faults.set(plan or FaultPlan(**shares))

    def draw_fault(self) -> Fault | None:
        """The fault the current sending request gets (None: handle it normally)."""
        return self.faults.draw()

    async def after_handling(self, request: web.Request, fault: Fault | None) -> None:
        """Carry out the faults that strike once the request was handled: a late answer, a drop."""
        if fault == "slow":
            await asyncio.sleep(self.faults.plan.slow_seconds)
        elif fault == "drop_after":
            self.drop(request)

    @staticmethod
    def drop(request: web.Request) -> None:
        """Close the connection without an answer (the client sees a disconnect)."""
        if request.transport is not None:
            request.transport.abort()

    async def _control_faults(self, request: web.Request) -> web.Response:
        """POST {"rates": bool, "faults": {plan}}: switch rate limits and faults in a standalone run."""
        body = await request.json()
        if "rates" in body:
            self.enforce_rates(bool(body["rates"]))
        if "faults" in body:
            try:
                self.inject_faults(FaultPlan.from_dict(body["faults"]))
            except (TypeError, ValueError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"rates": self.rates_enforced, "faults": self.faults.plan.to_dict()})

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
        """Forget recorded calls, deliveries, violations, errors and counters (registered data stays)."""
        self._calls.clear()
        self.requests.clear()
        self.refused_for_rate.clear()
        self.faults.injected.clear()
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
            self.requests[info.get("endpoint") or request.path] += 1
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
        return {
            "calls": dict(counts),
            "violations": list(self.violations),
            "errors": len(self.errors),
            "requests": dict(self.requests),
            "refused_for_rate": dict(self.refused_for_rate),
            "faults_injected": dict(self.faults.injected),
            "rates_enforced": self.rates_enforced,
        }

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
    parser.add_argument("--enforce-rates", action="store_true", help="refuse what exceeds the platform's rates (429)")
    parser.add_argument(
        "--faults", default="", help='JSON fault plan, e.g. {"server_error": 0.02, "drop_after": 0.01, "seed": 7}'
    )
    return parser


def apply_cli(fake: FakeServer, args: argparse.Namespace) -> None:
    """Switch on what the shared options asked for."""
    fake.enforce_rates(args.enforce_rates)
    if args.faults:
        fake.inject_faults(FaultPlan.from_dict(json.loads(args.faults)))
