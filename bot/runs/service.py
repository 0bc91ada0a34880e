"""The run lifecycle: submit → track → finish → notify. No Slack in here, and no provider.
Its steps live in submit.py (with joining.py and held.py), poll.py, finish.py and
recovery.py; the words they share (requests, protocols, states) in types.py, and the
attributes they share in parts.py.

The database is the truth. A run row is written before its request leaves, its result is
written before anyone is told, and `notified_at` is set only once the notifier says the
message was accepted; so after any crash, `recover()` and the next `tick()` pick up every
unfinished step, and nothing is sent twice.

Which service does the work is the provider's business (bot/providers/): the core hands it
a stored run and acts on the `Outcome` it answers.

A run is marked `submitting` only when its request leaves (the provider calls
`before_send()` once its rate budget lets the request go): a crash while it waits leaves it
`queued`, safe to send at the next start, and the time the provider has a run the bot holds
no handle for (its exposure) is as short as the provider's mode allows. The core learns
each target's durations (timings.py): they decide when a run is first polled, and whether
a request held open until the work is done (`may_block`) would end within a deploy's
drain. Runs with the same join key (the same
question asked twice while the first is pending: reuse.py's rule, or a provider's own key)
share one task: the later ones wait on the first and get its result, each in its thread.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from bot.providers.base import Providers
from bot.runs.clock import SteadyClock
from bot.runs.finish import RunFinishing
from bot.runs.held import DUE_SUBMISSIONS, RunHolding
from bot.runs.poll import RunPolling
from bot.runs.recovery import RunRecovery
from bot.runs.reuse import ResultIndex
from bot.runs.steps import StepCompleter
from bot.runs.submit import RunSubmission
from bot.runs.timings import RunTimings
from bot.runs.types import (
    Gate,
    Notifier,
    _Inline,
)
from bot.store.database import Store
from bot.store.run_record import FINAL_STATES, Run

log = logging.getLogger(__name__)

# Submissions waiting for a provider's rate budget at once (two seconds of 5 req/s):
# the rest of a flood stays queued in the database, not each in a thread of its own.
SUBMITS_IN_HAND = 10


class RunService(RunSubmission, RunHolding, RunPolling, RunFinishing, RunRecovery):
    """The run core: its parts live in submit, joining, held, poll, finish and recovery;
    here are its set-up, the scheduler's tick, shutdown, and the worker pools."""

    def __init__(
        self,
        store: Store,
        providers: Providers,
        notifier: Notifier,
        *,
        clock: Callable[[], float] | None = None,
        expiry_seconds: float = 30 * 60,
        submit_concurrency: int = 192,
        inline: bool = False,
        on_finished: Callable[[Run], None] | None = None,
        instance_id: str | None = None,
        results: ResultIndex | None = None,
        first_poll: Callable[[Run], float] | None = None,
        gate: Gate | None = None,
        launch_grace: float = 30.0,
        drain_seconds: float = 25.0,
    ) -> None:
        self.store = store
        # Marks the runs this process submits; recovery leaves a live owner's runs alone.
        self.instance_id = instance_id or uuid.uuid4().hex
        self.providers = providers
        self.launch_grace = launch_grace
        self.notifier = notifier
        # Steady by default: a jump of the system clock must not expire young runs.
        self.clock = clock or SteadyClock()
        self._reported_jump = 0.0
        self.expiry_seconds = expiry_seconds
        self.on_finished = on_finished
        self.results = results
        # Seconds before the first poll of a run that came back running (a batch knows how
        # long its grid's rows take, and a poll before that is wasted budget).
        self.first_poll = first_poll
        self.steps = StepCompleter(store, notifier, self.clock)
        self.gate = gate
        self.timings = RunTimings(store, drain_seconds=drain_seconds)
        self._working = 0  # work items running now (not merely waiting in a pool)
        self._stopping = threading.Event()  # set at shutdown: send nothing new
        self._busy: set[str] = set()
        self._in_hand: set[str] = set()
        self._busy_lock = threading.Lock()
        self._inline = inline
        self._flood_seen: dict[str, tuple[float, bool]] = {}
        if inline:
            self._submitters = self._pollers = self._deliverers = self._answers = _Inline()
        else:
            self._submitters = ThreadPoolExecutor(submit_concurrency, "submit")
            self._pollers = ThreadPoolExecutor(4, "poll")
            self._deliverers = ThreadPoolExecutor(4, "deliver")
            self._answers = ThreadPoolExecutor(4, "answer")

    def tick(self) -> None:
        """One pass of the scheduler: expire, submit, poll and deliver whatever is due."""
        now = self.clock()
        self._notice_clock_jump()
        self._expire_overdue(now)
        self.sweep_followers(now)
        self._fail_orphans(now)
        sending = self._hand_on(now)
        for provider in self.providers:
            # Nothing waits to be sent: polls may take the whole budget, not their share.
            for run in self._claim_polls(provider, now, whole_budget=not sending):
                self._dispatch(self._pollers, self._poll, run.id)
        where = (
            f"state IN {FINAL_STATES} AND notified_at IS NULL AND notify_error IS NULL "
            "AND batch_id IS NULL AND (notify_next_at IS NULL OR notify_next_at <= :now)"
        )
        self.probe_delivery(now)
        for run_id in self._due_ids(where, {"now": now}, 50):
            self._dispatch(self._deliverers, self._deliver, run_id)
        for run_id in self.steps.due(now):
            self._dispatch(self._deliverers, self.steps.complete, run_id)

    def shutdown(self, wait: bool = True) -> None:
        """Send nothing new: runs still waiting for a rate budget stay queued (they go out
        at the next start), work waiting in a pool is dropped, work in progress goes on
        (held submissions' answers are still taken)."""
        self._stopping.set()
        for pool in (self._submitters, self._pollers, self._deliverers):
            pool.shutdown(wait=wait, cancel_futures=True)
        self._answers.shutdown(wait=wait)  # answers already come are never dropped

    def drain(self, timeout: float) -> bool:
        """After shutdown(): wait up to `timeout` seconds for work in progress (requests
        held open until their run is done, results being posted); True when none is left."""
        deadline = time.monotonic() + timeout
        while True:
            with self._busy_lock:
                if self._working == 0:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def in_flight_submissions(self) -> int:
        """Runs whose request has left and not been answered yet (this process's)."""
        return self.store.count_runs(
            "state = 'submitting' AND owner = :me", {"me": self.instance_id}
        )

    def pending_count(self) -> int:
        return self.store.count_runs("state IN ('queued', 'submitting', 'running')")

    # --- the worker pools -------------------------------------------------------------

    def _due_ids(self, where: str, params: dict[str, Any], limit: int) -> list[str]:
        rows = self.store.sql.query(
            f"SELECT id FROM runs WHERE {where} ORDER BY created_at LIMIT :limit",
            {**params, "limit": limit},
        )
        with self._busy_lock:
            return [r["id"] for r in rows if r["id"] not in self._busy]

    def _hand_on(self, now: float) -> bool:
        """Fill the hand of submissions waiting for the budget with the oldest due runs;
        True when any submission waits or was handed on."""
        with self._busy_lock:
            held = len(self._in_hand)
        if held >= SUBMITS_IN_HAND:
            return True
        due = self._due_ids(DUE_SUBMISSIONS, {"now": now}, SUBMITS_IN_HAND + held)
        for run_id in due:  # those in hand are among the oldest: skipped as busy
            self._send_soon(run_id)
        return held > 0 or bool(due)

    def _send_soon(self, run_id: str) -> bool:
        """Hand a queued run to a submitter, unless SUBMITS_IN_HAND already wait for the
        rate budget (False: it stays queued for a later tick)."""
        with self._busy_lock:
            if len(self._in_hand) >= SUBMITS_IN_HAND or run_id in self._in_hand:
                return run_id in self._in_hand
            self._in_hand.add(run_id)

        def submit(run_id: str) -> None:
            try:
                self._submit(run_id)
            finally:
                with self._busy_lock:
                    self._in_hand.discard(run_id)
            if not self._inline and not self._stopping.is_set():
                self._hand_on(self.clock())  # the next one now, not at the next tick

        if not self._dispatch(self._submitters, submit, run_id):
            with self._busy_lock:
                self._in_hand.discard(run_id)
        return True

    def _dispatch(self, pool: Executor, fn: Callable[[str], None], run_id: str) -> bool:
        """Run `fn(run_id)` in `pool` unless that run is busy already; True when handed."""
        with self._busy_lock:
            if run_id in self._busy:
                return False
            self._busy.add(run_id)

        def work() -> None:
            with self._busy_lock:
                self._working += 1
            try:
                fn(run_id)
            except Exception:  # noqa: BLE001 - logged; the row stays due and is retried
                log.exception("%s of run %s failed", fn.__name__, run_id)
            finally:
                with self._busy_lock:
                    self._busy.discard(run_id)
                    self._working -= 1

        try:
            pool.submit(work)
        except RuntimeError:  # shutting down: the row stays due for the next start
            with self._busy_lock:
                self._busy.discard(run_id)
            return False
        return True
