"""Prometheus metrics, one registry per app so tests can build many apps in one process."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


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

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
