"""How long each target's runs take (a grid, a page), learned from its own
completed runs and kept in SQLite, and the choices the core makes from it.

Blocking submissions: a provider may hold a request open until the work is done
(a sync mode); until it answers, the bot has no handle to find the result with, so
a process stopped meanwhile loses it. `may_block` is true only when the target's recent
runs all finished well inside the shutdown drain (half of SHUTDOWN_DRAIN_SECONDS), so a
deploy can wait for every such request in flight; an unknown target, or one that could
outlast the drain, is sent so that its handle comes back at once.

Polling: a run is first polled when it is likely done. `first_poll` tracks about the 80th
percentile of the target's duration by stochastic approximation, which needs only what a
poll can see: a first poll that finds the run done (on time) pulls the estimate down 10 %,
one that finds it still running pushes it up 25 % or to the middle of the interval the run
must have ended in, whichever is more. After a miss the core polls every 2–5 s (see
`next_poll_after`), stretched when many runs share the rate budget.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from bot.store.database import Store
from bot.store.run_record import Run

RECENT = 5  # the runs "recent" means for the sync decision
MIN_SAMPLES = 3  # sync needs this many recent runs that all finished well inside the drain
SYNC_SHARE_OF_DRAIN = 0.5  # "well inside": at most this share of the drain window
HIT_SHRINK = 0.9
MISS_GROWTH = 1.25
LATE_FIRST_POLL = 1.25  # a first poll this much later than planned says nothing about it
# A run this share of its usual time old is probably done: its first poll was timed from
# the estimate, which may have grown by a miss (x1.25) since.
DUE_SHARE = 0.75


@dataclass
class Observation:
    """What the bot saw of one finished run, in seconds since it was sent."""

    lo: float  # the run was still running then (0 when never seen running)
    hi: float  # ... and done by then
    first_poll: float | None = None  # when the first status poll happened (async runs)
    done_at_first_poll: bool = False

    @classmethod
    def of(cls, run: Run, done_at: float) -> Observation | None:
        if run.submitted_at is None:
            return None
        hi = max(0.0, done_at - run.submitted_at)
        if run.request_id is None:  # a sync answer: the exact length (plus the network)
            return cls(hi, hi)
        seen = run.running_seen_at or run.submitted_at
        first = run.first_poll_at
        return cls(
            lo=min(hi, max(0.0, seen - run.submitted_at)),
            hi=hi,
            first_poll=None if first is None else first - run.submitted_at,
            done_at_first_poll=run.polls <= 1,
        )


@dataclass
class GridTiming:
    key: str  # provider:target
    first_poll: float  # seconds after sending when a first poll likely finds it done
    recent: list[float] = field(default_factory=list)  # upper bounds of recent durations
    samples: int = 0

    def learn(self, seen: Observation, max_gap: float = float("inf")) -> GridTiming:
        """The estimate after one more finished run (pure: returns a new value).

        An async run is only known to have ended between the last poll that saw it
        running and the one that saw it done. When those are far apart (`max_gap`, or a
        quarter of its length: polls were starved by a flood of submissions), the upper
        bound says little about the run: it is kept out of `recent`, so one busy hour
        cannot mark a fast grid slow."""
        tight = seen.first_poll is None or seen.hi - seen.lo <= max(max_gap, seen.hi / 4)
        if not tight:
            if self.samples == 0:  # it ran at least `lo`: the first poll waits that long
                return GridTiming(self.key, max(self.first_poll, seen.lo), self.recent, 0)
            if not seen.done_at_first_poll:
                first = max(self.first_poll * MISS_GROWTH, seen.lo)
                return GridTiming(self.key, first, self.recent, self.samples)
            return self
        recent = [*self.recent, seen.hi][-RECENT:]
        if self.samples == 0:
            first = (seen.lo + seen.hi) / 2
        elif seen.first_poll is None or seen.first_poll * LATE_FIRST_POLL < self.first_poll:
            # The exact length (sync), or a first poll well before the estimate (the run was
            # sent before the target was timed): its miss says nothing about the estimate,
            # so compare what the run took with it.
            hit = seen.hi <= self.first_poll
            took = (seen.lo + seen.hi) / 2
            first = (
                self.first_poll * HIT_SHRINK if hit else max(self.first_poll * MISS_GROWTH, took)
            )
        elif seen.done_at_first_poll:
            on_time = seen.first_poll <= self.first_poll * LATE_FIRST_POLL
            first = self.first_poll * HIT_SHRINK if on_time else self.first_poll
        else:
            first = max(self.first_poll * MISS_GROWTH, (seen.lo + seen.hi) / 2)
        return GridTiming(self.key, first, recent, self.samples + 1)

    def sync_is_safe(self, drain_seconds: float) -> bool:
        """Every recent run finished well inside the drain window."""
        limit = drain_seconds * SYNC_SHARE_OF_DRAIN
        return len(self.recent) >= MIN_SAMPLES and max(self.recent) <= limit


class RunTimings:
    """Per-target timings in the `run_timings` table: they survive restarts."""

    def __init__(self, store: Store, *, drain_seconds: float = 25.0) -> None:
        self.store = store
        self.drain_seconds = drain_seconds

    @staticmethod
    def key(run: Run) -> str:
        return f"{run.provider}:{run.target or run.grid_id}"

    def get(self, run: Run) -> GridTiming | None:
        key = self.key(run)
        row = self.store.sql.one("SELECT * FROM run_timings WHERE key = :key", {"key": key})
        if row is None:
            return None
        return GridTiming(key, row["first_poll"], json.loads(row["recent"]), row["samples"])

    def learn(self, run: Run, done_at: float, max_gap: float = float("inf")) -> None:
        """Fold one completed run into its target's timing (`max_gap`: see GridTiming)."""
        seen = Observation.of(run, done_at)
        if seen is None:
            return
        known = self.get(run) or GridTiming(self.key(run), 0.0)
        new = known.learn(seen, max_gap)
        self.store.sql.upsert(
            "run_timings",
            {
                "key": new.key,
                "first_poll": new.first_poll,
                "recent": json.dumps([round(x, 3) for x in new.recent]),
                "samples": new.samples,
                "updated_at": time.time(),
            },
            "key",
        )

    def may_block(self, run: Run) -> bool:
        """A request held open until this run is done would end well inside the drain."""
        known = self.get(run)
        return known is not None and known.sync_is_safe(self.drain_seconds)

    def first_poll_after(self, run: Run) -> float | None:
        """Seconds after sending when a first poll likely finds the run done (None when
        the target was never timed)."""
        known = self.get(run)
        if known is None or (known.samples == 0 and not known.first_poll):
            return None
        return max(known.first_poll, 0.0)

    def likely_done(self, run: Run, now: float, usual: float | None = None) -> bool:
        """Is the run at least as old as its target's runs usually take (`usual`, else
        the learned first-poll time)? Then a poll probably finds its result, and goes
        before new submissions. Its first poll is timed so; a run of a target never timed
        is not known to be done."""
        if usual is None:
            usual = self.first_poll_after(run)
        if usual is None or run.submitted_at is None:
            return False
        return now - run.submitted_at >= usual * DUE_SHARE


def next_poll_after(age: float, shortest: float) -> float:
    """Seconds to the next poll of a run `age` seconds old that is still running: a fifth
    of its age, from the provider's `shortest` gap to 2.5 times that (2 s to 5 s)."""
    return min(shortest * 2.5, max(shortest, age / 5))
