"""How much work waits in the shared queues: cheap counts for /metrics, read at scrape time."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import InboundEvent, OcrJob, OutboxMessage


@dataclass(frozen=True, slots=True)
class QueueDepths:
    """Rows waiting in each queue, whichever process will take them."""

    inbox: int  # events stored and not handled yet
    dead_letters: int  # events given up on
    ocr: int  # certificates not read yet
    outbox: int  # outgoing messages not sent yet


async def queue_depths() -> QueueDepths:
    """Count each queue; every `status` column is indexed, so each is one index scan."""
    return QueueDepths(
        inbox=await InboundEvent.filter(status="pending").count(),
        dead_letters=await InboundEvent.filter(status="failed").count(),
        ocr=await OcrJob.filter(status="pending").count(),
        outbox=await OutboxMessage.filter(status="pending").count(),
    )
