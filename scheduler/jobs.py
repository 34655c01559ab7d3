"""Scheduled jobs: plain async functions that use the same services as the chat handlers."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Services

logger = logging.getLogger(__name__)


async def retry_deliveries(services: Services) -> None:
    """Deliver outbox messages that are due: retries, and anything left by a crash."""
    tried = await services.delivery.sweep()
    if tried:
        logger.info("delivery sweep tried %d messages", tried)


async def wake_processor(services: Services) -> None:
    """Nudge the event processor, in case another process stored events for us."""
    services.processor.wake()
