"""What every channel adapter provides to the dispatcher and the delivery loop."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.events import Capabilities, ChannelName, FileRef, Incoming, Reply


class DeliveryError(Exception):
    """Sending failed; `permanent` when retrying cannot help (blocked bot, bad request).

    `retry_after`: seconds the platform asked us to wait before the next try (a 429), if it said.
    `unreachable`: the person blocked the bot; do not retry, report them unreachable.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or unreachable
        self.retry_after = retry_after
        self.unreachable = unreachable


@dataclass(frozen=True, slots=True)
class Allowance:
    """What is left of a channel's monthly message allowance, as far as the platform told us."""

    left: int | None  # messages still allowed this month; None: no limit, or not known
    known: bool = True  # False when the platform could not be asked (then nothing is held back)

    def fits(self, messages: int) -> bool:
        """Whether `messages` more can go out (an unknown or unlimited allowance never stops a send)."""
        return self.left is None or messages <= self.left


UNLIMITED = Allowance(None)
UNKNOWN = Allowance(None, known=False)


class DownloadError(Exception):
    """A user's file could not be fetched from the platform."""


class FileTooLarge(DownloadError):
    """A user's file is over the configured size limit."""


class ChannelAdapter(Protocol):
    """Translate between one platform and the neutral events and replies."""

    name: ChannelName
    capabilities: Capabilities  # what handlers may ask of it: edits, files, limits

    def to_incoming(self, payload: dict[str, Any], received_at: float) -> Incoming | None:
        """Turn a stored raw event into a neutral one (None for events the bot ignores)."""
        ...

    def acknowledgement(self, event: Incoming) -> Awaitable[None] | None:
        """The platform's courtesy call before handling (answering a Telegram callback query), or None
        where there is none: a storm of LINE presses then costs no task each."""
        ...

    async def download(self, ref: FileRef, max_bytes: int) -> bytes:
        """Fetch the bytes of a file a user sent."""
        ...

    async def deliver(
        self,
        chat: str,
        replies: list[Reply],
        reply_token: str | None,
        reply_token_at: float | None,
        key: str,
    ) -> list[str]:
        """Send replies to one chat, using a reply token while it is valid; returns platform message ids.

        `key` is stable across retries of the same outbox message (for idempotency keys).
        """
        ...

    async def close(self) -> None:
        """Release HTTP clients."""
        ...
