"""Where the web routes hand new events over: stored durably, then the processor is woken.

The routes get an `Ingest` when they are built and know nothing else of the
processor. The processor reads `in_flight` to let webhook requests that are
still storing go first (see `EventProcessor._yield_to_webhooks`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from storage.inbox import InboxWriter, NewEvent

if TYPE_CHECKING:
    from bot.metrics import Metrics


class Ingest:
    """Stores events from this process's web routes and wakes the processor."""

    def __init__(self, writer: InboxWriter, wake: Callable[[], None], metrics: Metrics | None = None) -> None:
        self._writer = writer
        self._wake = wake
        self._metrics = metrics
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """How many requests are storing events right now."""
        return self._in_flight

    async def store(self, events: list[NewEvent]) -> None:
        """Commit the events (duplicates by event_id are ignored), then wake the processor.

        If the commit fails the processor is not woken: nothing new was stored.
        """
        self._in_flight += 1
        try:
            await self._writer.store(events)
        finally:
            self._in_flight -= 1
        if self._metrics is not None:
            for channel, count in Counter(e.channel for e in events).items():
                self._metrics.events_received.labels(channel).inc(count)
        self._wake()
