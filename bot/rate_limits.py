"""Per-person limits on how many messages and files the bot takes in a minute.

A sliding window per (channel, user), kept in memory in each process. That is
deliberately simple: with several worker processes (PROCESS_ROLE=worker) each
one counts on its own, so one person may get up to N times the limit through;
the limit exists to keep a flood from filling the disk and the OCR queue, not
to meter anyone exactly. Memory is bounded: at most `max_keys` senders are
remembered (least recently seen forgotten first), each with at most `limit`
timestamps.

A sender over the limit is answered once per window; what follows in that
window is dropped without a word, so a flood gets one polite answer, not one
apology per message.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from enum import Enum

WINDOW_SECONDS = 60.0
MAX_KEYS = 10_000


class Verdict(Enum):
    """What to do with one event under a limit."""

    ALLOW = "allow"
    WARN = "warn"  # over the limit: answer once
    DROP = "drop"  # over the limit and already answered in this window


@dataclass(slots=True)
class _Sender:
    accepted: deque[float]
    warned_until: float = 0.0


@dataclass(slots=True)
class SlidingWindowLimiter:
    """At most `limit` accepted events per `window` seconds per key."""

    window: float = WINDOW_SECONDS
    max_keys: int = MAX_KEYS
    _senders: OrderedDict[str, _Sender] = field(default_factory=OrderedDict)

    def check(self, key: str, limit: int, now: float) -> Verdict:
        """Count one event for `key` at `now` (epoch seconds) if it is within `limit`."""
        if limit <= 0:
            return Verdict.ALLOW  # 0 turns the limit off
        sender = self._senders.get(key)
        if sender is None:
            sender = _Sender(deque())
            self._senders[key] = sender
            while len(self._senders) > self.max_keys:
                self._senders.popitem(last=False)
        else:
            self._senders.move_to_end(key)
        while sender.accepted and sender.accepted[0] <= now - self.window:
            sender.accepted.popleft()
        if len(sender.accepted) < limit:
            sender.accepted.append(now)
            return Verdict.ALLOW
        if now < sender.warned_until:
            return Verdict.DROP
        sender.warned_until = now + self.window
        return Verdict.WARN

    def __len__(self) -> int:
        return len(self._senders)


class PersonLimits:
    """The message and file limits of one process, keyed by channel and platform user."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.messages = SlidingWindowLimiter(max_keys=max_keys)
        self.files = SlidingWindowLimiter(max_keys=max_keys)

    def check(
        self, channel: str, user: str, *, is_file: bool, max_messages: int, max_files: int, now: float
    ) -> tuple[Verdict, str | None]:
        """The verdict for one event and, when it is WARN, the `[limits]` text key to answer with."""
        key = f"{channel}:{user}"
        verdict = self.messages.check(key, max_messages, now)
        if verdict is not Verdict.ALLOW:
            return verdict, "limits.too_many_messages" if verdict is Verdict.WARN else None
        if is_file:
            verdict = self.files.check(key, max_files, now)
            if verdict is not Verdict.ALLOW:
                return verdict, "limits.too_many_files" if verdict is Verdict.WARN else None
        return Verdict.ALLOW, None
