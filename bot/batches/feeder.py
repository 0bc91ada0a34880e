"""Pacing batch rows: hand queued rows to workers, a few at a time, fairly across batches.

Batch rows go through the same rate limiter as everything else, at the provider's lowest
priority, so a person's form or run always takes the next free slot. Only a few rows wait
at the limiter at any time (enough to keep it busy), picked round-robin across running
batches, so two batches share the budget instead of one queueing behind the other.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bot.batches.store import BatchStore
from bot.providers.base import BatchProvider
from bot.runs.service import RunService
from bot.store.run_record import Run
from bot.store.sql import DatabaseUnavailable

log = logging.getLogger(__name__)

# How long a claimed row is this feeder's while it waits for a slot at the rate limiter
# and is sent; released at once afterwards. A process that dies leaves its rows for this
# long, so it is short (the cluster takes over within 30 s). A row still waiting when it
# lapses may be handed to a second worker: only one can send it (the run core moves it
# from queued to submitting once), the other finds it taken and lets go.
FEED_LEASE_SECONDS = 30.0


@dataclass
class _Feed:
    """The feeder's in-memory bookkeeping (one process, one feeder)."""

    outstanding: dict[str, str] = field(default_factory=dict)  # row -> batch, handed out
    claims: dict[str, Run] = field(default_factory=dict)  # row -> it as claimed, handed out
    going: set[str] = field(default_factory=set)  # rows let go, until their worker returns
    turn: int = 0
    submit_seconds: float = 0.5  # moving average of how long one submission takes


class Feeder:
    def __init__(
        self,
        store: BatchStore,
        runs: RunService,
        provider: BatchProvider,
        *,
        workers: int,
        stopping: threading.Event,
        wake: threading.Event,
    ) -> None:
        self.store = store
        self.runs = runs
        self.provider = provider
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="batch")
        self._max_outstanding = workers
        self._state = _Feed()
        self._lock = threading.Lock()
        self._stopping = stopping
        self._wake = wake

    def shutdown(self, wait: bool = False) -> None:
        """Hand out nothing more; rows not yet started stay queued (`wait`: until the rows
        in hand are done with). The claims on rows not let go are given back at once, so
        another process sends them now rather than when the claims run out: none of them
        is sent from here any more (they ask `_still_wanted` first, and it says no)."""
        self._workers.shutdown(wait=wait, cancel_futures=True)
        with self._lock:
            state = self._state
            unsent = [run for r, run in state.claims.items() if r not in state.going]
            for run in unsent:  # given back: no longer this feeder's to let go of
                state.claims.pop(run.id, None)
        for run in unsent:
            self._release(run)

    def feed(self, now: float) -> None:
        """Hand rows to workers, round-robin across running batches, keeping only a few
        at the limiter so people and other batches are never stuck behind a long queue."""
        batches = self.store.where("state = 'running'")
        running = [b.id for b in batches]
        fresh = {b.id for b in batches if b.fresh}  # all fresh: rows share nothing
        if not running:
            return
        state = self._state
        with self._lock:
            room = self._target_outstanding() - len(state.outstanding)
        exhausted: set[str] = set()
        while room > 0 and len(exhausted) < len(running):
            batch_id = running[state.turn % len(running)]
            state.turn += 1
            if batch_id in exhausted:
                continue
            run = self._next_row(batch_id, now)
            with self._lock:
                # A row already in hand: its lease ran out while it waited for a slot. It is
                # leased again, to this feeder: the worker lets go of this claim, not the old.
                if run is None or run.id in state.outstanding:
                    if run is not None:
                        state.claims[run.id] = run
                    exhausted.add(batch_id)
                    continue
                state.outstanding[run.id] = batch_id
                state.claims[run.id] = run
            room -= 1
            try:
                self._workers.submit(self._send, run, batch_id, batch_id not in fresh)
            except RuntimeError:  # shutting down; the row stays queued for the next start
                with self._lock:
                    state.outstanding.pop(run.id, None)
                    state.claims.pop(run.id, None)
                self._release(run)
                return

    def _target_outstanding(self) -> int:
        """Enough rows in hand to keep the limiter busy for about two seconds: one second's
        worth per second a submission takes (sync rows hold their slot for the whole run)."""
        wanted = self.provider.request_rate * (2 + self._state.submit_seconds)
        return max(2, min(self._max_outstanding, int(wanted)))

    def _next_row(self, batch_id: str, now: float) -> Run | None:
        """Claim the batch's next queued row (leased in the database, so each row is handed
        to one worker, whichever process or thread feeds it)."""
        return self.store.claim_row(batch_id, now, FEED_LEASE_SECONDS)

    def sending(self, batch_id: str) -> bool:
        """A row of this batch was let go and is not yet marked as sent: its batch may not
        say it has stopped until it is (see _still_wanted)."""
        with self._lock:
            going = [r for r in self._state.going if self._state.outstanding.get(r) == batch_id]
        runs = self.store.store
        return any((run := runs.get_run(r)) is not None and run.state == "queued" for r in going)

    def waiting(self, batch_id: str) -> set[str]:
        """Rows of this batch this feeder holds that are not let go yet: when their slot
        comes they ask `_still_wanted`, so none of them is sent once the batch is paused."""
        with self._lock:
            state = self._state
            return {r for r, b in state.outstanding.items() if b == batch_id} - state.going

    def _still_wanted(self, run_id: str, batch_id: str) -> bool:
        """Asked when a request slot is free. Stopping (SIGTERM): the row stays queued for
        the next start. A batch paused or cancelled while its rows waited for a slot sends
        none of them. The batch is read and the row counted as going under one lock, so
        `sending` sees every row that read the batch as running before a pause."""
        if self._stopping.is_set():
            return False
        with self._lock:
            batch = self.store.get(batch_id)
            if batch is None or batch.state != "running":
                return False
            self._state.going.add(run_id)
            return True

    def _send(self, run: Run, batch_id: str, fold: bool = False) -> None:
        run_id = run.id
        started = time.monotonic()
        try:
            self.runs.submit_now(
                run_id,
                self.provider.batch_priority,
                lambda: self._still_wanted(run_id, batch_id),
                # a row asking what a run on its way asks joins it (bot/runs/reuse.py)
                fold=fold,
            )
        except Exception:  # noqa: BLE001 - logged; the row stays queued or is finished
            log.exception("sending batch row %s failed", run_id)
        finally:
            took = time.monotonic() - started
            with self._lock:
                state = self._state
                state.submit_seconds = 0.9 * state.submit_seconds + 0.1 * took
                claim = state.claims.pop(run_id, None)  # None: given back at shutdown
                state.outstanding.pop(run_id, None)
                state.going.discard(run_id)
            if claim is not None:  # the latest claim (the row may have been claimed again)
                self._release(claim)
            self._wake.set()

    def _release(self, run: Run) -> None:
        try:  # a row still queued (stopping, paused, or sent later) may be claimed again now
            self.store.release_row(run)
        except DatabaseUnavailable:  # the database gone, or closed by a stopping process
            log.warning("batch row %s is let go when its claim runs out (within %g s): the "
                        "database did not answer", run.id, FEED_LEASE_SECONDS)
        except Exception:  # noqa: BLE001 - the lease runs out on its own
            log.exception("releasing batch row %s failed", run.id)
