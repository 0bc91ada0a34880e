"""Credits left as a batch's start notes them (`credits_before`, for the grid's measured
cost): a reading at most RECENT_SECONDS old serves every batch that starts meanwhile, so a
storm of watch firings costs one read of the workspace, not one each through the same
request budget as their rows (their firings' own check before spending keeps its reading
on the watches' clock, bot/watches/firings.py). Pauses for want of credits read afresh
(stops.py), and so does the credit monitor (insight/credits.py): neither acts on a reused
reading."""

from __future__ import annotations

import threading
from collections.abc import Callable

RECENT_SECONDS = 10.0


class RecentCredits:
    def __init__(
        self,
        read: Callable[..., int | None],
        clock: Callable[[], float],
        *,
        max_age: float = RECENT_SECONDS,
    ) -> None:
        self.read = read  # the provider's credits_left(urgent=...)
        self.clock = clock
        self.max_age = max_age
        self._lock = threading.Lock()
        self._reading: tuple[float, int | None] | None = None

    def __call__(self, *, urgent: bool = False) -> int | None:
        """Credits left, read now unless a reading at most `max_age` old is at hand (one
        that could not be read, None, serves as long: reading again at once would cost the
        same request)."""
        now = self.clock()
        with self._lock:
            if self._reading is not None and 0 <= now - self._reading[0] <= self.max_age:
                return self._reading[1]
        left = self.read(urgent=urgent)
        with self._lock:
            self._reading = (now, left)
        return left
