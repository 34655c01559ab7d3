"""Where the web routes hand new events over: stored durably, then the processor is woken.

The routes get an `Ingest` when they are built and know nothing else of the
processor. The processor reads `in_flight` to let webhook requests that are
still storing go first (see `EventProcessor._yield_to_webhooks`).
"""

from __future__ import annotations

from collections.abc import Callable

from storage.inbox import InboxWriter, NewEvent


class Ingest:
    """Stores events from this process's web routes and wakes the processor."""

    def __init__(self, writer: InboxWriter, wake: Callable[[], None]) -> None:
        self._writer = writer
        self._wake = wake
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
        self._wake()
