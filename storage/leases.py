"""Short leases on queued work, renewed by a heartbeat while the holding process lives.

Inbox events, OCR jobs and outbox messages are claimed by writing a lease
(`lease_until`) and the claiming process's id (`lease_owner`). A lease lasts
LEASE_SECONDS; a live process renews every lease it holds every
HEARTBEAT_SECONDS, so long work (a slow PDF, a queue of a sender's events)
keeps its claim. A process that dies stops renewing, and its work is free for
any process, a restarted one included, within LEASE_SECONDS, instead of
waiting out a lease sized for the slowest job.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time

from storage.models import InboundEvent, OcrJob, OutboxMessage

logger = logging.getLogger(__name__)

LEASE_SECONDS = 10.0
HEARTBEAT_SECONDS = 3.0
LEASED_MODELS = (InboundEvent, OcrJob, OutboxMessage)


def _process_id() -> str:
    # Host and pid name the holder for an operator; the random part makes a restarted
    # process with a recycled pid a different holder.
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{secrets.token_hex(4)}"[:40]


OWNER = _process_id()


def lease_until(now: float | None = None) -> float:
    """When a lease taken (or renewed) now runs out."""
    return (now if now is not None else time.time()) + LEASE_SECONDS


async def renew() -> int:
    """Extend every lease this process holds on unfinished work; returns how many."""
    until = lease_until()
    renewed = 0
    for model in LEASED_MODELS:
        renewed += await model.filter(lease_owner=OWNER, status="pending").update(lease_until=until)
    return renewed


class LeaseHeartbeat:
    """A background task that renews this process's leases until stopped."""

    def __init__(self, interval: float = HEARTBEAT_SECONDS) -> None:
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start renewing."""
        self._task = asyncio.create_task(self._run(), name="lease-heartbeat")

    async def stop(self) -> None:
        """Stop renewing; what is still held lapses within LEASE_SECONDS."""
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await renew()
            except Exception:
                # A missed beat only shortens the leases' margin; the next one retries.
                logger.exception("renewing leases failed")
