"""Prometheus metrics, one registry per app so tests can build many apps in one process.

Counters and histograms count what this process did; the gauges of queue depths and of
LINE's allowance are set when /metrics is scraped (see `bot.app.metrics`), so every
process reports the same shared queues.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.channels.base import Allowance

logger = logging.getLogger(__name__)

# LINE's quota is two HTTP requests: a scrape asks at most this often, and waits at most
# ALLOWANCE_WAIT_SECONDS for the answer (a slower one lands in the gauge at the next scrape).
ALLOWANCE_MAX_AGE_SECONDS = 300.0
ALLOWANCE_WAIT_SECONDS = 2.0


@dataclass
class Metrics:
    """The service's counters and histograms."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        # Outcomes: ok, bad_signature/bad_secret, bad_body (signed but unusable), too_large, off.
        self.webhooks = Counter(
            "bot_webhook_requests", "Webhook requests by channel and outcome",
            ["channel", "outcome"], registry=r,
        )
        self.webhook_bad_events = Counter(
            "bot_webhook_bad_events", "Events of a signed webhook body dropped at intake, by reason",
            ["channel", "reason"], registry=r,
        )
        self.webhook_seconds = Histogram(
            "bot_webhook_seconds", "Time from request to answer, events stored",
            ["channel"], registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2),
        )
        self.events_received = Counter(
            "bot_events_received", "Events taken in (webhooks, Telegram polling, /sim) by channel, before handling",
            ["channel"], registry=r,
        )
        self.events = Counter(
            "bot_events", "Inbox events handled by channel and outcome",
            ["channel", "outcome"], registry=r,
        )
        self.handle_seconds = Histogram(
            "bot_event_handle_seconds", "Time to handle one stored event", registry=r
        )
        self.deliveries = Counter(
            "bot_deliveries", "Outbox deliveries by channel and outcome",
            ["channel", "outcome"], registry=r,
        )
        self.ocr_seconds = Histogram(
            "bot_ocr_seconds", "Time to read one certificate in the worker pool", registry=r,
            buckets=(0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 20, 30),
        )
        # Outcomes: read, unreadable (final), crashed / timeout (a worker died or hung on a read; retried).
        self.ocr_jobs = Counter(
            "bot_ocr_jobs", "Certificate reading jobs by outcome", ["outcome"], registry=r
        )
        self.deliver_seconds = Histogram(
            "bot_delivery_seconds", "Time to deliver one outbox message", registry=r
        )

        self.dead_letters = Gauge(
            "bot_inbox_dead_letters", "Events the service gave up on (python -m bot events failed)",
            registry=r,
        )
        self.pending_events = Gauge(
            "bot_inbox_pending_events", "Events stored and not handled yet", registry=r
        )
        self.pending_ocr_jobs = Gauge(
            "bot_ocr_jobs_pending", "Certificates waiting to be read (or being read)", registry=r
        )
        self.pending_outbox = Gauge(
            "bot_outbox_pending", "Outgoing messages not sent yet (due now or waiting to retry)", registry=r
        )
        self.line_allowance_left = Gauge(
            "bot_line_allowance_left",
            "LINE pushes left this month (+Inf: no monthly limit; NaN: unknown, or LINE is off)", registry=r,
        )
        self.line_allowance_left.set(math.nan)

    def start_at_zero(self, channels: list[str]) -> None:
        """Show the outcomes that matter from the first scrape, at 0, so that a rate or alert on
        failures works before the first failure (a labelled series appears only once used)."""
        for channel in channels:
            self.events_received.labels(channel)
            for outcome in ("done", "error", "dead_letter"):
                self.events.labels(channel, outcome)
            for outcome in ("sent", "failed"):
                self.deliveries.labels(channel, outcome)
        for outcome in ("read", "unreadable", "crashed", "timeout"):
            self.ocr_jobs.labels(outcome)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)


class AllowanceReading:
    """LINE's allowance as the gauge shows it: noted whenever a sweep asks, asked again when stale."""

    def __init__(
        self, ask: Callable[[], Awaitable[Allowance]], gauge: Gauge, max_age: float = ALLOWANCE_MAX_AGE_SECONDS
    ) -> None:
        self._ask = ask
        self._gauge = gauge
        self._max_age = max_age
        self._at = -math.inf
        self._asking: asyncio.Task[Allowance] | None = None

    async def ask(self) -> Allowance:
        """Ask LINE now (what a sweep or a notice's preview does) and note the answer."""
        allowance = await self._ask()
        self._note(allowance)
        return allowance

    def _note(self, allowance: Allowance) -> None:
        self._at = time.monotonic()
        if not allowance.known:
            self._gauge.set(math.nan)
        else:
            self._gauge.set(math.inf if allowance.left is None else allowance.left)

    async def refresh(self) -> None:
        """At scrape time: ask again if the last answer is stale, waiting briefly for it."""
        if time.monotonic() - self._at < self._max_age:
            return
        if self._asking is None or self._asking.done():
            self._asking = asyncio.create_task(self.ask(), name="line-allowance-gauge")
        try:
            await asyncio.wait_for(asyncio.shield(self._asking), ALLOWANCE_WAIT_SECONDS)
        except TimeoutError:
            pass  # the answer lands in the gauge when it comes
        except Exception:
            logger.warning("reading LINE's allowance for the metrics failed", exc_info=True)

    async def close(self) -> None:
        """Stop a question still in flight (shutdown)."""
        if self._asking is not None and not self._asking.done():
            self._asking.cancel()
            await asyncio.gather(self._asking, return_exceptions=True)
