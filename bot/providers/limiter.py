"""A process-wide request limiter: at most `rate` request starts per `per` seconds.

Providers make one per budget they must respect: BitScale allows 5 requests per second
per workspace, counted across every endpoint; Bittlebits 100 submissions an hour and 5
reads a second per IP. The limiter lets at most `rate` requests *start* in any sliding
window of `per` seconds (plus a small margin for network jitter, so the server never
sees 6 in its own window), hands free slots to the most urgent waiter first (a modal
opening beats a background poll), and stops everyone after a 429 for as long as
`Retry-After` says. Each 429 also widens the margin a little (the network is more jittery than
assumed); the extra fades over ten minutes without another 429.

Several processes on one database share each account's budget: `share()` gives a limiter a
`SharedBudget` (bot/store/rate_budgets.py on PostgreSQL). The local priority queue stays as
it is; the waiter at its head also takes a slot from the shared budget before it may start,
and waits as long as the budget says when none is free. A 429 pauses the shared budget
too, so every process stops. A database that does not answer is waited out: nobody starts
a request without a slot.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Start:
    """When a request was let go: on the limiter's clock, and on the shared budget's (the
    database server's) when there is one."""

    at: float
    shared_at: float | None = None


class Aborted(Exception):
    """The caller stopped waiting for a slot; it took none."""


class Taken(Protocol):
    started_at: float | None  # when the slot was taken (the budget's clock), or None
    wait: float  # when none was: seconds before asking again
    paused_until: float  # a 429's pause in force (the budget's clock), or 0


class SharedBudget(Protocol):
    """One account's budget shared with other processes."""

    closed: bool  # the database it lives in was closed: it will never answer again

    def take(self, window: float, *, urgent: bool = False) -> Taken: ...

    def pause(self, seconds: float) -> float:
        """Pause every process; returns when the pause ends (the budget's clock)."""
        ...

    def state(self, window: float) -> tuple[int, float]:
        """(starts in the last `window` by every process, seconds until one may start)"""
        ...

    def started_late(self, started_at: float, late: float) -> None:
        """The start stamped `started_at` happened `late` seconds later: count it so."""
        ...


class RateLimiter:
    URGENT = 0  # priorities up to this one are a person waiting: they go first everywhere
    RETRY = 0.5  # the shared budget's database did not answer: ask again after this long
    COMPLAIN_EVERY = 30.0  # seconds between warnings while it does not answer

    def __init__(
        self,
        rate: int = 5,
        per: float = 1.0,
        margin: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.base_window = per + margin
        self._extra = 0.0  # margin added by 429s, fading over EXTRA_FADE seconds
        self._extra_since = 0.0
        self._clock = clock
        self._starts: deque[float] = deque()
        self._paused_until = 0.0
        self._waiters: list[tuple[int, int]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self.granted = 0
        self.account: str | None = None  # set by limiter_for: names the shared budget
        self.shared: SharedBudget | None = None
        self._taking = False  # the head waiter is asking the shared budget for a slot
        self._complained = float("-inf")
        self._seen_pause = 0.0  # the shared pause this limiter last widened its margin for
        self._shared_stamp: float | None = None  # the head waiter's slot, server clock
        self._restamper: ThreadPoolExecutor | None = None  # tells the shared budget late starts

    EXTRA_STEP = 0.05
    LATE_ENOUGH = 0.02  # a start this much later than stamped is counted from when it left
    EXTRA_MAX = 0.4
    EXTRA_FADE = 600.0

    @property
    def window(self) -> float:
        if not self._extra:
            return self.base_window
        faded = 1 - (self._clock() - self._extra_since) / self.EXTRA_FADE
        return self.base_window + self._extra * max(0.0, faded)

    def acquire(self, priority: int = 0, abort: threading.Event | None = None) -> Start:
        """Block until this caller may start a request. Lower priority numbers go first.
        Once `abort` is set the caller stops waiting (within 0.1 s) and `Aborted` is
        raised: the process is shutting down and must not send new work. Returns when the
        start was stamped (for `started_late`)."""
        with self._cond:
            ticket = (priority, next(self._seq))
            heapq.heappush(self._waiters, ticket)
            try:
                while True:
                    if abort is not None and abort.is_set():
                        raise Aborted
                    delay = self._delay_for(ticket)
                    if delay <= 0 and self.shared is not None:
                        delay = self._take_shared(priority <= self.URGENT)
                    if delay <= 0:
                        break
                    self._cond.wait(timeout=delay if abort is None else min(delay, 0.1))
                self._waiters.remove(ticket)  # others may have queued ahead while we took
                heapq.heapify(self._waiters)
                start = Start(self._clock(), self._shared_stamp if self.shared else None)
                self._starts.append(start.at)
                self.granted += 1
                return start
            except BaseException:
                self._waiters.remove(ticket)
                heapq.heapify(self._waiters)
                raise
            finally:
                self._cond.notify_all()

    def started_late(self, start: Start, late: float) -> None:
        """A request let go at `start` left `late` seconds later (it waited for a thread
        to send it, or for a connection): its start counts from then, so the next one to
        reuse its slot waits as long after it as after any other, and the server never
        sees more than `rate` in its window. The shared budget is told off this thread."""
        if late < self.LATE_ENOUGH:
            return
        with self._cond:
            if start.at in self._starts:  # else it has left the window already
                self._starts.remove(start.at)
                self._starts = deque(sorted([*self._starts, start.at + late]))
            shared = self.shared
        if shared is not None and start.shared_at is not None:
            self._restamps().submit(self._tell_shared, shared, start.shared_at, late)

    def _restamps(self) -> ThreadPoolExecutor:
        with self._cond:
            if self._restamper is None:
                self._restamper = ThreadPoolExecutor(1, "rate-restamp")
            return self._restamper

    def _tell_shared(self, shared: SharedBudget, started_at: float, late: float) -> None:
        try:
            shared.started_late(started_at, late)
        except Exception as exc:  # noqa: BLE001 - the next slot may come a little early
            self._complain(exc)

    def waiting(self) -> int:
        """How many callers wait for a slot now."""
        with self._cond:
            return len(self._waiters)

    def share(self, budget: SharedBudget | None) -> None:
        """Take every slot from `budget` as well (None: this process's budget alone)."""
        with self._cond:
            self.shared = budget

    def _take_shared(self, urgent: bool) -> float:
        """Called by the head waiter, lock held: 0 when it took a shared slot, else how long
        to wait. The database is asked without the lock, one asker at a time."""
        shared = self.shared
        assert shared is not None
        self._taking = True
        self._cond.release()
        try:
            taken = shared.take(self.window, urgent=urgent)
            self._shared_stamp = taken.started_at
            if taken.paused_until > self._seen_pause:  # a 429 seen by another process
                with self._cond:
                    self._seen_pause = taken.paused_until
                    self._widen()  # the network is as jittery here: leave the same room
            return 0.0 if taken.started_at is not None else max(taken.wait, 0.001)
        except Exception as exc:
            if shared.closed:  # this bot's store was closed: its budget went with it
                self.shared = None
                return 0.0
            self._complain(exc)
            return self.RETRY
        finally:
            self._cond.acquire()
            self._taking = False
            self._cond.notify_all()

    def _complain(self, exc: Exception) -> None:
        now = self._clock()
        if now - self._complained >= self.COMPLAIN_EVERY:
            self._complained = now
            log.warning(
                "the shared rate budget cannot be reached (%s); requests wait for it",
                getattr(exc, "cause", "") or type(exc).__name__,
            )

    def now(self) -> float:
        """The limiter's own clock (monotonic unless a test injected one)."""
        return self._clock()

    def available_in(self) -> float:
        """Seconds until a request may start (0: now), without taking the slot. For long
        windows (an hourly budget) the caller queues the work instead of blocking."""
        with self._cond:
            wait = self._local_wait()
            shared = self.shared
        if shared is not None:
            try:
                wait = max(wait, shared.state(self.window)[1])
            except Exception as exc:
                self._complain(exc)
                wait = max(wait, self.RETRY)
        return wait

    def _local_wait(self) -> float:
        now = self._clock()
        while self._starts and now - self._starts[0] >= self.window:
            self._starts.popleft()
        wait = max(0.0, self._paused_until - now)
        if len(self._starts) >= self.rate:
            wait = max(wait, self._starts[-self.rate] + self.window - now)
        return wait

    def try_acquire(self) -> bool:
        """Take a slot if one is free now and nobody is waiting; never blocks long (with a
        shared budget: one statement; False when its database does not answer)."""
        with self._cond:
            if self._waiters or self._taking or self._local_wait() > 0:
                return False
            if self.shared is not None and self._take_shared(urgent=False) > 0:
                return False
            self._starts.append(self._clock())
            self.granted += 1
            return True

    def record(self, started: list[float]) -> None:
        """Count requests made before this limiter existed (times on its own clock): an
        hourly budget survives a restart."""
        with self._cond:
            merged = sorted([*self._starts, *started])
            self._starts = deque(merged[-self.rate :] if self.rate else [])

    def _delay_for(self, ticket: tuple[int, int]) -> float:
        now = self._clock()
        while self._starts and now - self._starts[0] >= self.window:
            self._starts.popleft()
        if self._waiters[0] != ticket or self._taking:
            return 0.05  # not our turn; woken by notify_all when the head moves on
        if now < self._paused_until:
            return self._paused_until - now
        if len(self._starts) >= self.rate:
            return self._starts[0] + self.window - now
        return 0.0

    def pause(self, seconds: float) -> None:
        """Nobody starts a request for `seconds` (a 429's Retry-After)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self._cond.notify_all()

    def on_rejected(self, retry_after: float) -> None:
        """A 429: hold everyone back for Retry-After (every process, with a shared budget)
        and leave more room from now on."""
        with self._cond:
            self._widen()
            shared = self.shared
        self.pause(retry_after)
        if shared is not None:
            try:
                until = shared.pause(retry_after)
                with self._cond:
                    self._seen_pause = max(self._seen_pause, until)
            except Exception as exc:  # this process holds back; the others may see a 429
                self._complain(exc)

    def _widen(self) -> None:
        self._extra = min(self.EXTRA_MAX, self.window - self.base_window + self.EXTRA_STEP)
        self._extra_since = self._clock()

    def observe_remaining(self, remaining: int | None) -> None:
        """The server says its window is spent although we did not spend it all: another
        client shares the key, so wait the window out. (When we spent it ourselves, our own
        accounting already holds the next request back.)"""
        if remaining is None or remaining > 0:
            return
        with self._cond:
            now = self._clock()
            ours = sum(1 for t in self._starts if now - t < self.window)
            shared = self.shared
        if shared is not None:  # "we" are every process sharing the budget
            try:
                ours = shared.state(self.window)[0]
            except Exception as exc:
                self._complain(exc)
                return  # unknown: the shared budget still holds the next request back
        if ours < self.rate:
            self.pause(self.window)
