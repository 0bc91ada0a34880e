"""A clock that reads like wall time but moves like a stopwatch.

Run timings (expiry, poll spacing, retries) are stored as epoch seconds so they survive a
restart, but within one process they must not follow the system clock when it jumps: an
hour's step forward once expired a three-second-old run. `SteadyClock` is anchored to the
wall clock at start-up and then advances with the monotonic clock; a jump of the wall
clock is noticed and reported, never obeyed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

JUMP_TOLERANCE = 60.0  # seconds between wall and steady time before we call it a jump


class SteadyClock:
    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._anchor_wall = wall()
        self._anchor_mono = monotonic()

    def __call__(self) -> float:
        return self._anchor_wall + (self._monotonic() - self._anchor_mono)

    def jump(self) -> float:
        """How far the system clock has moved away from steady time, in seconds (0 when
        within the tolerance)."""
        drift = self._wall() - self()
        return drift if abs(drift) > JUMP_TOLERANCE else 0.0
