"""Batches: a CSV file, a column mapping and many runs; progress; the enriched file. No Slack,
and no single provider: the batch's provider answers credits, pacing and stop codes.

Life of a batch: `create()` records it (`awaiting_approval` when a policy holds it, else
`preparing`), one process prepares it (prepare.py: its message, each distinct row a queued
run tied to the batch), then the feeder (feeder.py) sends rows to the provider and the
housekeeping pass (housekeeping.py) edits the progress message, notices the end, writes
the enriched file and posts it once (finish.py).

Exactly once: a row is a run, and the run core's rules hold (a row cut off while being sent is
never re-sent). Batches submit in async mode by default: the request id is stored the
moment the provider answers, so a restart (even SIGKILL) finds every sent row's result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.batches.csvread import CsvInfo
from bot.batches.feeder import Feeder
from bot.batches.finish import Finisher
from bot.batches.housekeeping import Housekeeping
from bot.batches.posts import BatchPosts
from bot.batches.prepare import Preparer
from bot.batches.progress import BatchNotifier, Progress, Report, measure
from bot.batches.request import BatchRequest
from bot.batches.rows import rows
from bot.batches.stops import RowTimings, Stops
from bot.batches.store import ACTIVE_STATES, Batch, BatchStore
from bot.providers.base import BatchProvider
from bot.runs.service import RunService
from bot.store.run_record import Run, new_run_id

__all__ = ["BatchNotifier", "BatchRequest", "BatchService", "Progress", "Report"]

log = logging.getLogger(__name__)


class BatchService:
    def __init__(
        self,
        store: BatchStore,
        runs: RunService,
        provider: BatchProvider,
        notifier: BatchNotifier,
        *,
        mode: str = "async",
        max_rows: int = 10_000,
        progress_seconds: float = 5.0,
        credit_check_seconds: float = 30.0,
        expiry_seconds: float = 30 * 60,
        workers: int = 160,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.runs = runs
        self.provider = provider  # the service batch rows run on
        self.notifier = notifier
        self.mode = mode
        self.max_rows = max_rows
        self.progress_seconds = progress_seconds
        # None: the run core's steady clock, read through `runs` each time. Rows are
        # stamped by the run core (submitted_at), so their expiry must be judged by the same
        # clock: the wall clock once stepped +1 h and expired every running row.
        self._own_clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stops = Stops(
            store,
            provider,
            credit_check_seconds=credit_check_seconds,
            expiry_seconds=expiry_seconds,
        )
        self._timings = RowTimings()
        self._feeder = Feeder(
            store, runs, provider, workers=workers, stopping=self._stop, wake=self._wake
        )
        self._finisher = Finisher(store, notifier, provider.credits_left, self.clock)
        self._posts = BatchPosts(store, notifier, self.progress)
        self._preparer = Preparer(
            store, provider, self._posts, self._earlier_results, self.clock, self._wake
        )
        self._housekeeping = Housekeeping(
            store,
            stops=self._stops,
            feeder=self._feeder,
            posts=self._posts,
            finisher=self._finisher,
            prepare=lambda batch: self._preparer.prepare(batch, urgent=False),
            progress=self.progress,
            progress_seconds=progress_seconds,
        )

    def clock(self) -> float:
        return (self._own_clock or self.runs.clock)()

    # --- entry points (the Slack face and the policy call these) ------------------------

    def create(
        self, request: BatchRequest, *, hold_for_approval: bool = False, urgent: bool = True
    ) -> tuple[Batch, bool]:
        """Record a batch; the same dedupe key (the same form) creates it once. With
        `hold_for_approval` it waits in `awaiting_approval` until `approve()`. `urgent`:
        someone is waiting for it to start (not so a scheduled one)."""
        batch, created = self.record(request, hold_for_approval=hold_for_approval)
        if created and not hold_for_approval:
            self._preparer.prepare(batch, urgent=urgent)
        return batch, created

    def record(
        self, request: BatchRequest, *, hold_for_approval: bool = False
    ) -> tuple[Batch, bool]:
        """Only the database part of `create()`: quick, so a budget check and this can
        share one lock (budgets count a recorded batch's rows at once). `launch()` next."""
        state = "awaiting_approval" if hold_for_approval else "preparing"
        batch = request.batch(new_run_id(), self.mode, state, self.clock())
        batch, created = self.store.insert(batch)
        if created:
            self.store.files.give(batch.file_id, batch.id)  # pruned with the batch now
        return batch, created

    def launch(self, batch: Batch, *, urgent: bool = True) -> None:
        """Announce and run a batch `record()` made (not one held for approval)."""
        self._preparer.prepare(batch, urgent=urgent)

    def approve(self, batch_id: str, approver: str) -> bool:
        """A held batch may start. False when it was not waiting for approval."""
        if not self.store.move(
            batch_id, ("awaiting_approval",), state="preparing", decided_by=approver
        ):
            return False
        batch = self.store.get(batch_id)
        assert batch is not None
        self._preparer.prepare(batch)
        return True

    def deny(self, batch_id: str, approver: str) -> bool:
        """A held batch will not run; nothing was spent, and its file is deleted."""
        denied = self.store.move(
            batch_id,
            ("awaiting_approval",),
            state="denied",
            decided_by=approver,
            finished_at=self.clock(),
            reply_posted_at=self.clock(),
        )
        if denied:
            self.store.files.delete_owned(batch_id)
        return denied

    def cancel(self, batch_id: str, user_id: str) -> bool:
        """Stop rows not yet sent; rows already sent finish and are kept."""
        now = self.clock()
        if not self.store.move(
            batch_id, ACTIVE_STATES, state="cancelled", cancelled_by=user_id, finished_at=now
        ):
            return False
        self.store.sql.run(
            "UPDATE runs SET state = 'cancelled', finished_at = :now, "
            "error_message = 'Cancelled before it was sent.' "
            "WHERE batch_id = :batch AND state = 'queued'",
            {"now": now, "batch": batch_id},
        )
        self._wake.set()
        return True

    def resume(self, batch_id: str) -> bool:
        batch = self.store.get(batch_id)
        if batch is None or batch.state != "paused":
            return False
        moved = self.store.move(
            batch_id,
            ("paused",),
            state="running",
            pause_code=None,
            pause_reason=None,
            pause_notified=0,
        )
        if moved:
            self._stops.check_credits_soon()
            self._wake.set()
        return moved

    def get(self, batch_id: str) -> Batch | None:
        return self.store.get(batch_id)

    def active(self) -> list[Batch]:
        return self._housekeeping.active()

    def reusable(
        self,
        grid_id: str,
        grid_name: str,
        info: CsvInfo,
        mapping: dict[str, str],
        output_columns: list[str] | None,
        user_id: str,
        channel_id: str | None = None,
    ) -> int:
        """For the preview: distinct rows an earlier result answers that this person may
        see from `channel_id` (reuse.py visible_to)."""
        distinct = {row.digest: row.inputs for row in rows(info, mapping) if row.inputs}
        found = self._earlier_results(
            grid_id, grid_name, list(distinct.values()), output_columns, user_id, channel_id
        )
        return sum(f is not None for f in found)

    def _earlier_results(
        self,
        grid_id: str,
        grid_name: str,
        inputs: list[dict[str, str]],
        output_columns: list[str] | None,
        user_id: str,
        channel_id: str | None = None,
    ) -> list:
        index = self.runs.results
        if index is None:
            return [None] * len(inputs)
        return index.find_many(
            grid_id, inputs, output_columns, user_id, channel_id=channel_id, grid_name=grid_name
        )

    def cost_per_run(self, grid_id: str) -> float | None:
        """Credits one run of this grid has cost lately, measured; None when never."""
        return self.store.grid_cost(grid_id)

    def progress(self, batch: Batch) -> Progress:
        return measure(batch, self.store.counts(batch.id), self.clock())

    # --- the loop -------------------------------------------------------------------------

    def start(self) -> None:
        """At start-up: finish preparing what a restart cut off, then run the loop."""
        self.resume_preparing()
        self._thread = threading.Thread(target=self._loop, name="batches", daemon=True)
        self._thread.start()

    def resume_preparing(self) -> None:
        """Finish preparing the batches a restart cut off (prepare.py)."""
        self._preparer.resume()

    def stop(self, timeout: float = 10.0) -> None:
        """Feed nothing more. The loop's pass under way ends first (up to `timeout`): no
        row is claimed after the feeder gives its claims back, nor the store used closed."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("the batch loop did not stop within %g s", timeout)
        self._feeder.shutdown()

    def _loop(self) -> None:
        next_housekeeping = 0.0
        while not self._stop.is_set():
            try:
                self.feed()
                if self._stop.is_set():
                    break
                if time.monotonic() >= next_housekeeping:
                    next_housekeeping = time.monotonic() + min(0.5, self.progress_seconds)
                    self.housekeep()
            except Exception:  # noqa: BLE001 - the loop must outlive any one problem
                log.exception("batch loop failed")
            self._wake.wait(0.05)
            self._wake.clear()

    def feed(self) -> None:
        """Hand rows to workers (feeder.py)."""
        self._feeder.feed(self.clock())

    def housekeep(self) -> None:
        """Progress, pauses, the end (housekeeping.py)."""
        self._housekeeping.run(self.clock())

    # --- steps ----------------------------------------------------------------------------

    def announce(self, batch: Batch) -> bool:
        return self._posts.announce(batch)

    def show(self, batch_id: str) -> None:
        self._posts.show(batch_id)

    def on_run_finished(self, run: Run) -> None:
        """The run core's hook: a row that hit a batch-wide stop goes back to the queue and
        pauses its batch; a finished row teaches the poll hint how long rows take."""
        if not run.batch_id or self._stops.row_stopped(run):
            return
        self._timings.record(run)
        self._wake.set()

    def pause(self, batch_id: str, code: str, reason: str) -> bool:
        return self._stops.pause(batch_id, code, reason)

    def first_poll(self, run: Run) -> float:
        return self._timings.first_poll(run)
