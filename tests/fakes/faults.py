"""Rate limits and injected faults for the platform fakes, all off unless switched on.

A broadcast bench needs the platforms to push back as they do in production: refuse what
goes over their documented rates (429), fail now and then (5xx), answer too late, or drop
the connection, either before the request is handled or after (the message IS delivered but
the client sees an error: what LINE's retry keys are for, and a real duplicate risk on
Telegram). Faults are drawn from a seeded RNG so a run can be repeated.
"""

from __future__ import annotations

import collections
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

Fault = Literal["429", "5xx", "slow", "drop", "drop_after"]


@dataclass
class FaultPlan:
    """Shares (0–1) of the requests that get each fault; they are drawn in this order."""

    too_many: float = 0.0  # answered 429 as if over the rate (with a retry-after)
    server_error: float = 0.0  # answered 500
    slow: float = 0.0  # handled, but answered `slow_seconds` later (beyond the client's timeout)
    drop: float = 0.0  # connection dropped before anything is handled
    drop_after: float = 0.0  # handled (delivered), then the connection is dropped
    slow_seconds: float = 10.0
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        """A plan from JSON (unknown keys refused, so a typo does not silently inject nothing)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (for the stats)."""
        return asdict(self)


class Faults:
    """Draws a fault (or none) per request from a plan, counting what it injected."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.injected: collections.Counter[str] = collections.Counter()
        self.set(plan or FaultPlan())

    def set(self, plan: FaultPlan) -> None:
        """Switch to a plan, reseeding the RNG."""
        self.plan = plan
        self._rng = random.Random(plan.seed)

    def draw(self) -> Fault | None:
        """The fault the next request gets, or None."""
        plan = self.plan
        shares: tuple[tuple[Fault, float], ...] = (
            ("429", plan.too_many),
            ("5xx", plan.server_error),
            ("slow", plan.slow),
            ("drop", plan.drop),
            ("drop_after", plan.drop_after),
        )
        if not any(share for _, share in shares):
            return None
        roll = self._rng.random()
        for name, share in shares:
            if roll < share:
                self.injected[name] += 1
                return name
            roll -= share
        return None


class RateWindow:
    """At most `limit` events per `period` seconds per key, over a sliding window."""

    def __init__(self, limit: int, period: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self._seen: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._takes = 0

    def room(self, key: str = "", count: int = 1) -> float:
        """0 when `count` more events fit now, else the seconds until they would (nothing recorded)."""
        now = self.clock()
        seen = self._seen.get(key)
        if not seen:
            return 0.0 if count <= self.limit else self.period
        while seen and seen[0] <= now - self.period:
            seen.popleft()
        over = len(seen) + count - self.limit
        if over <= 0:
            return 0.0
        # The `over`-th oldest event must leave the window first.
        return max(0.001, seen[min(over, len(seen)) - 1] + self.period - now)

    def take(self, key: str = "", count: int = 1) -> float:
        """Record `count` events now and return 0, or, when over the limit, record nothing
        and return the seconds until there would be room."""
        wait = self.room(key, count)
        if wait:
            return wait
        self._takes += 1
        if self._takes % 10_000 == 0:
            self.forget_idle()
        self._seen[key].extend([self.clock()] * count)
        return 0.0

    def forget_idle(self) -> None:
        """Drop keys with nothing in the window (per-chat windows over 100,000 chats)."""
        now = self.clock()
        for key in [k for k, v in self._seen.items() if not v or v[-1] <= now - self.period]:
            del self._seen[key]


def whole_seconds(wait: float) -> int:
    """Telegram's retry_after is whole seconds, at least 1."""
    return max(1, math.ceil(wait))
