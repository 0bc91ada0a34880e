"""The sliding rate window both API stand-ins enforce (callers hold their own lock)."""

from __future__ import annotations

from collections import deque


class SlidingWindow:
    """The requests admitted in the last `span` seconds."""

    def __init__(self, span: float = 1.0) -> None:
        self.span = span
        self.times: deque[float] = deque()

    def admit(self, now: float, limit: int) -> int | None:
        """Count a request arriving at `now`: how many more the window takes after it, or
        None when it is full (the request is refused and not counted)."""
        times = self.times
        # Requests may reach the lock out of arrival order: keep the window sorted.
        now = max(now, times[-1]) if times else now
        while times and now - times[0] >= self.span:
            times.popleft()
        if len(times) >= limit:
            return None
        times.append(now)
        return limit - len(times)

    def remaining(self, now: float, limit: int) -> int:
        """How many more requests the window would take at `now`."""
        live = sum(1 for t in self.times if now - t < self.span)
        return max(0, limit - live)
