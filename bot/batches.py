"""Batches: a CSV file, a column mapping and many runs; progress; the enriched file. No Slack.

Life of a batch: `create()` records it (`awaiting_approval` when a policy holds it, else
`preparing`), `_prepare()` turns each distinct row into a queued run tied to the batch
(idempotent: a run's dedupe key is the batch id plus the row's digest), then the feeder
sends rows to the provider and the housekeeping pass edits the progress message, notices the
end, writes the enriched file and posts it once.

Pacing: batch rows go through the same rate limiter as everything else, at the lowest
priority, so a person's form or run always takes the next free slot. Only a few rows wait
at the limiter at any time (enough to keep it busy), picked round-robin across running
batches, so two batches share the budget instead of one queueing behind the other.

Exactly once: a row is a run, and runs.py's rules hold (a row cut off while being sent is
never re-sent). Batches submit in async mode by default: the request id is stored the
moment the provider answers, so a restart (even SIGKILL) finds every sent row's result.
"""

from __future__ import annotations

import json
import logging
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.batch_rows import Plan, Row, RowResult, rows, write_result
from bot.batch_store import ACTIVE_STATES, Batch, BatchStore, migrate
from bot.csvio import CsvInfo
from bot.providers.base import BatchProvider
from bot.runs import RunService
from bot.store import Run, new_run_id

log = logging.getLogger(__name__)

CREDITS_EXHAUSTED = (
    "The workspace has run out of {label} credits. Top up (or wait for the next billing "
    "period), then press Resume."
)
WAITING_STATES = ("queued", "submitting", "running")
INSERT_CHUNK = 500


@dataclass
class Progress:
    """A batch's counts, in runs (exact duplicates share one run)."""

    runs_total: int
    done: int
    failed: int
    waiting: int
    cancelled: int
    rows_per_second: float | None
    eta_seconds: float | None
    reused: int = 0  # of `done`: answered by an earlier result, no credits spent

    @property
    def finished(self) -> int:
        return self.done + self.failed

    def seen(self) -> str:
        return f"{self.done}/{self.failed}/{self.waiting}/{self.cancelled}"


@dataclass
class Report:
    """The end of a batch: what the summary reply says."""

    progress: Progress
    failures: list[tuple[str, int]]  # (reason, rows) most common first
    result_path: str | None


class BatchNotifier(Protocol):
    def announce_batch(self, batch: Batch, progress: Progress) -> tuple[str, str, str | None]:
        """Post the progress message; (channel, ts, fallback reason)."""
        ...

    def update_batch(self, batch: Batch, progress: Progress) -> None: ...

    def batch_paused(self, batch: Batch) -> None: ...

    def batch_reply_exists(self, batch: Batch) -> bool: ...

    def batch_finished(self, batch: Batch, report: Report) -> None:
        """Post the summary reply in the thread (exactly once is the caller's job)."""
        ...

    def attach_batch_result(self, batch: Batch, report: Report) -> None:
        """Attach the enriched file and turn the parent ✅/❌ (best effort)."""
        ...


@dataclass
class BatchRequest:
    """A batch as the form hands it over: a checked file and a mapping."""

    info: CsvInfo
    file_name: str
    grid_id: str
    grid_name: str
    mapping: dict[str, str]
    outputs: list[dict[str, str]]  # [{"id", "name"}] to add as columns
    output_columns: list[str] | None
    user_id: str
    channel_id: str | None
    plan: Plan
    estimate: float | None = None
    team_id: str | None = None
    dedupe_key: str | None = None
    fresh: bool = False  # "Run all fresh": no earlier result is reused


@dataclass
class _Feed:
    """The feeder's in-memory bookkeeping (one process, one feeder)."""

    outstanding: set[str] = field(default_factory=set)  # rows handed to a worker
    turn: int = 0
    submit_seconds: float = 0.5  # moving average of how long one submission takes


class BatchService:
    def __init__(
        self,
        store: BatchStore,
        runs: RunService,
        provider: BatchProvider,
        notifier: BatchNotifier,
        *,
        files_dir: str | Path,
        mode: str = "async",
        max_rows: int = 10_000,
        progress_seconds: float = 5.0,
        credit_check_seconds: float = 30.0,
        expiry_seconds: float = 30 * 60,
        workers: int = 160,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.runs = runs
        self.provider = provider  # the service batch rows run on
        self.notifier = notifier
        self.files_dir = Path(files_dir)
        self.mode = mode
        self.max_rows = max_rows
        self.progress_seconds = progress_seconds
        self.credit_check_seconds = credit_check_seconds
        self.expiry_seconds = expiry_seconds
        self.clock = clock
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="batch")
        self._max_outstanding = workers
        self._feed_state = _Feed()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_credit_check = 0.0
        self._durations: dict[str, list[float]] = {}
        migrate(store.store.db())

    # --- entry points (the Slack face and the policy call these) ------------------------

    def create(
        self, request: BatchRequest, *, hold_for_approval: bool = False
    ) -> tuple[Batch, bool]:
        """Record a batch; the same dedupe key (the same form) creates it once. With
        `hold_for_approval` it waits in `awaiting_approval` until `approve()`."""
        now = self.clock()
        batch = Batch(
            id=new_run_id(),
            dedupe_key=request.dedupe_key,
            grid_id=request.grid_id,
            grid_name=request.grid_name,
            user_id=request.user_id,
            team_id=request.team_id,
            channel_id=request.channel_id,
            file_name=request.file_name,
            file_path=request.info.path,
            encoding=request.info.encoding,
            delimiter=request.info.delimiter,
            headers=request.info.headers,
            mapping=request.mapping,
            outputs=request.outputs,
            output_columns=request.output_columns,
            mode=self.mode,
            state="awaiting_approval" if hold_for_approval else "preparing",
            rows_total=request.plan.rows_total,
            rows_skipped=request.plan.skipped,
            rows_duplicate=request.plan.duplicates,
            runs_total=request.plan.runs,
            fresh=int(request.fresh),
            estimate=request.estimate,
            created_at=now,
        )
        batch, created = self.store.insert(batch)
        if created and not hold_for_approval:
            self._start(batch)
        return batch, created

    def approve(self, batch_id: str, approver: str) -> bool:
        """A held batch may start. False when it was not waiting for approval."""
        if not self.store.move(
            batch_id, ("awaiting_approval",), state="preparing", decided_by=approver
        ):
            return False
        batch = self.store.get(batch_id)
        assert batch is not None
        self._start(batch)
        return True

    def deny(self, batch_id: str, approver: str) -> bool:
        """A held batch will not run; nothing was spent."""
        return self.store.move(
            batch_id,
            ("awaiting_approval",),
            state="denied",
            decided_by=approver,
            finished_at=self.clock(),
            reply_posted_at=self.clock(),
        )

    def cancel(self, batch_id: str, user_id: str) -> bool:
        """Stop rows not yet sent; rows already sent finish and are kept."""
        now = self.clock()
        if not self.store.move(
            batch_id, ACTIVE_STATES, state="cancelled", cancelled_by=user_id, finished_at=now
        ):
            return False
        self.store.store.write(
            "UPDATE runs SET state = 'cancelled', finished_at = ?, "
            "error_message = 'Cancelled before it was sent.' "
            "WHERE batch_id = ? AND state = 'queued'",
            [now, batch_id],
        )
        self._wake.set()
        return True

    def resume(self, batch_id: str) -> bool:
        batch = self.store.get(batch_id)
        if batch is None or batch.state != "paused":
            return False
        moved = self.store.move(
            batch_id, ("paused",), state="running", pause_code=None, pause_reason=None,
            pause_notified=0,
        )
        if moved:
            self._last_credit_check = 0.0  # look again before spending
            self._wake.set()
        return moved

    def get(self, batch_id: str) -> Batch | None:
        return self.store.get(batch_id)

    def active(self) -> list[Batch]:
        marks = ", ".join("?" * len(ACTIVE_STATES))
        return self.store.where(f"state IN ({marks})", list(ACTIVE_STATES))

    def reusable(
        self,
        grid_id: str,
        grid_name: str,
        info: CsvInfo,
        mapping: dict[str, str],
        output_columns: list[str] | None,
        user_id: str,
    ) -> int:
        """For the preview: distinct rows an earlier result answers (reuse.py)."""
        distinct = {row.digest: row.inputs for row in rows(info, mapping) if row.inputs}
        found = self._earlier_results(
            grid_id, grid_name, list(distinct.values()), output_columns, user_id
        )
        return sum(f is not None for f in found)

    def _earlier_results(
        self,
        grid_id: str,
        grid_name: str,
        inputs: list[dict[str, str]],
        output_columns: list[str] | None,
        user_id: str,
    ) -> list:
        index = self.runs.results
        if index is None:
            return [None] * len(inputs)
        return index.find_many(grid_id, inputs, output_columns, user_id, grid_name=grid_name)

    def cost_per_run(self, grid_id: str) -> float | None:
        """Credits one run of this grid has cost lately, measured; None when never."""
        return self.store.grid_cost(grid_id)

    def progress(self, batch: Batch) -> Progress:
        counts = self.store.counts(batch.id)
        reused = counts.get("reused", 0)
        done = counts.get("completed", 0) + reused
        waiting = sum(counts.get(s, 0) for s in WAITING_STATES)
        cancelled = counts.get("cancelled", 0)
        failed = sum(counts.values()) - done - waiting - cancelled
        rate = eta = None
        sent = done - reused + failed  # reused rows take no time: not in the rate
        if batch.started_at and sent:
            elapsed = max(1e-6, (batch.finished_at or self.clock()) - batch.started_at)
            rate = sent / elapsed
            eta = waiting / rate if waiting and batch.state == "running" else None
        total = max(batch.runs_total, sum(counts.values()))
        return Progress(total, done, failed, waiting, cancelled, rate, eta, reused)

    # --- the loop -------------------------------------------------------------------------

    def start(self) -> None:
        """At start-up: finish preparing what a restart cut off, then run the loop."""
        for batch in self.store.where("state = 'preparing'"):
            self._start(batch)
        self._thread = threading.Thread(target=self._loop, name="batches", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._workers.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        next_housekeeping = 0.0
        while not self._stop.is_set():
            try:
                self.feed()
                if time.monotonic() >= next_housekeeping:
                    next_housekeeping = time.monotonic() + min(0.5, self.progress_seconds)
                    self.housekeep()
            except Exception:  # noqa: BLE001 - the loop must outlive any one problem
                log.exception("batch loop failed")
            self._wake.wait(0.05)
            self._wake.clear()

    def feed(self) -> None:
        """Hand rows to workers, round-robin across running batches, keeping only a few
        at the limiter so people and other batches are never stuck behind a long queue."""
        running = [b.id for b in self.store.where("state = 'running'")]
        if not running:
            return
        state = self._feed_state
        with self._lock:
            room = self._target_outstanding() - len(state.outstanding)
        exhausted: set[str] = set()
        now = self.clock()
        while room > 0 and len(exhausted) < len(running):
            batch_id = running[state.turn % len(running)]
            state.turn += 1
            if batch_id in exhausted:
                continue
            run_id = self._next_row(batch_id, now)
            if run_id is None:
                exhausted.add(batch_id)
                continue
            with self._lock:
                state.outstanding.add(run_id)
            room -= 1
            try:
                self._workers.submit(self._send, run_id)
            except RuntimeError:  # shutting down; the row stays queued for the next start
                with self._lock:
                    state.outstanding.discard(run_id)
                return

    def _target_outstanding(self) -> int:
        """Enough rows in hand to keep the limiter busy for about two seconds: one second's
        worth per second a submission takes (sync rows hold their slot for the whole run)."""
        rate = self.provider.request_rate
        wanted = rate * (2 + self._feed_state.submit_seconds)
        return max(2, min(self._max_outstanding, int(wanted)))

    def _next_row(self, batch_id: str, now: float) -> str | None:
        with self._lock:
            busy = set(self._feed_state.outstanding)
        found = self.store.store.db().execute(
            "SELECT id FROM runs WHERE batch_id = ? AND state = 'queued' AND submit_after <= ? "
            "ORDER BY created_at LIMIT ?",
            [batch_id, now, len(busy) + 1],
        )
        return next((r[0] for r in found.fetchall() if r[0] not in busy), None)

    def _send(self, run_id: str) -> None:
        started = time.monotonic()
        try:
            # Stopping (SIGTERM): a row still waiting for a slot stays queued for the next
            # start instead of going out while the process winds down.
            self.runs.submit_now(
                run_id, self.provider.batch_priority, lambda: not self._stop.is_set()
            )
        except Exception:  # noqa: BLE001 - logged; the row stays queued or is finished
            log.exception("sending batch row %s failed", run_id)
        finally:
            took = time.monotonic() - started
            with self._lock:
                state = self._feed_state
                state.submit_seconds = 0.9 * state.submit_seconds + 0.1 * took
                state.outstanding.discard(run_id)
            self._wake.set()

    def housekeep(self) -> None:
        now = self.clock()
        batches = self.active() + self.store.where(
            "state IN ('done', 'cancelled') AND reply_posted_at IS NULL"
        )
        if not batches:
            return  # idle: no writes
        self._expire_rows(now)
        if any(b.state == "running" for b in batches):
            self._check_credits(now, batches)
        for batch in batches:
            try:
                self._housekeep_one(batch, now)
            except Exception:  # noqa: BLE001 - one batch's trouble must not stop the others
                log.exception("housekeeping of batch %s failed", batch.id)

    def _housekeep_one(self, batch: Batch, now: float) -> None:
        if batch.state == "paused" and not batch.pause_notified:
            self._notify_pause(batch)
        if not batch.message_ts:
            return
        progress = self.progress(batch)
        if batch.state == "running" and progress.waiting == 0:
            if self.store.move(batch.id, ("running",), state="done", finished_at=now):
                batch = self.store.get(batch.id) or batch
        if batch.state in ("done", "cancelled") and progress.waiting == 0:
            self._finish(batch, progress)
            return
        due = (batch.progress_at or 0) + self.progress_seconds <= now
        if due and progress.seen() + batch.state != batch.progress_seen:
            self._show_progress(batch, progress, now)

    # --- steps ----------------------------------------------------------------------------

    def announce(self, batch: Batch) -> bool:
        """Post the batch's message once (a held batch shows "waiting for approval")."""
        if batch.message_ts:
            return True
        try:
            channel, ts, reason = self.notifier.announce_batch(batch, self.progress(batch))
        except Exception as exc:  # noqa: BLE001 - retried at the next start
            log.warning("could not announce batch %s: %s", batch.id, exc)
            return False
        self.store.update(batch.id, post_channel=channel, message_ts=ts, fallback_reason=reason)
        batch.post_channel, batch.message_ts = channel, ts
        return True

    def show(self, batch_id: str) -> None:
        """Edit the batch's message to its current state (after a decision, say)."""
        batch = self.store.get(batch_id)
        if batch is None or not batch.message_ts:
            return
        try:
            self.notifier.update_batch(batch, self.progress(batch))
        except Exception as exc:  # noqa: BLE001 - the next progress edit fixes it
            log.info("could not update batch %s's message: %s", batch.id, exc)

    def _start(self, batch: Batch) -> None:
        """Announce (once), expand the file into runs (idempotent), then let it run."""
        if not self.announce(batch):
            return
        self._expand(batch)
        # Someone just pressed Start: this read goes ahead of polls and other batches.
        credits = self.provider.credits_left(urgent=True)
        self.store.move(
            batch.id,
            ("preparing",),
            state="running",
            started_at=self.clock(),
            credits_before=credits,
        )
        self._wake.set()

    def _expand(self, batch: Batch) -> None:
        info = self.file_info(batch)
        now = self.clock()
        chunk: list[tuple[int, Row]] = []
        for i, row in enumerate(rows(info, batch.mapping)):
            if row.inputs is None:
                continue
            chunk.append((i, row))
            if len(chunk) >= INSERT_CHUNK:
                self._insert_rows(batch, chunk, now)
                chunk = []
        if chunk:
            self._insert_rows(batch, chunk, now)

    def _insert_rows(self, batch: Batch, chunk: list[tuple[int, Row]], now: float) -> None:
        """Queue a chunk of rows as runs. A row that an earlier result answers (unless the
        batch runs all fresh) goes in as `reused`, already finished: it is never sent."""
        found = [None] * len(chunk)
        if not batch.fresh:
            inputs = [row.inputs or {} for _, row in chunk]
            found = self._earlier_results(
                batch.grid_id, batch.grid_name, inputs, batch.output_columns, batch.user_id
            )
        outputs = None if batch.output_columns is None else json.dumps(batch.output_columns)
        queued, reused = [], []
        for (i, row), hit in zip(chunk, found, strict=True):
            common = [
                new_run_id(),
                f"batch:{batch.id}:{row.digest}",
                batch.grid_id,
                batch.grid_name,
                json.dumps(row.inputs, ensure_ascii=False),
                outputs,
                batch.user_id,
                batch.team_id,
                batch.channel_id,
                now + i * 1e-6,  # keeps the file's order
                batch.mode,
                batch.id,
                self.provider.name,
                batch.grid_id,
            ]
            if hit is None:
                queued.append([*common, now])
            else:
                answer = json.dumps(hit.outputs, ensure_ascii=False)
                reused.append([*common, now, answer, hit.run_id, hit.made_by, hit.made_at])
        columns = (
            "id, dedupe_key, grid_id, grid_name, inputs, output_columns, user_id, team_id, "
            "channel_id, created_at, mode, batch_id, provider, target"
        )
        marks = ", ".join("?" * 14)
        db = self.store.store.db()
        if queued:
            db.conn.executemany(
                f"INSERT OR IGNORE INTO runs ({columns}, state, submit_after) "
                f"VALUES ({marks}, 'queued', ?)",
                queued,
            )
        if reused:
            db.conn.executemany(
                f"INSERT OR IGNORE INTO runs ({columns}, state, finished_at, outputs, "
                f"reused_from, reused_from_user, reused_from_at) "
                f"VALUES ({marks}, 'reused', ?, ?, ?, ?, ?)",
                reused,
            )
        db.conn.commit()

    def file_info(self, batch: Batch) -> CsvInfo:
        return CsvInfo(
            batch.file_path, batch.encoding, batch.delimiter, batch.headers, batch.rows_total
        )

    def _show_progress(self, batch: Batch, progress: Progress, now: float) -> None:
        try:
            self.notifier.update_batch(batch, progress)
        except Exception as exc:  # noqa: BLE001 - the next pass tries again
            log.info("progress of batch %s not shown: %s", batch.id, exc)
        self.store.update(batch.id, progress_at=now, progress_seen=progress.seen() + batch.state)

    def _notify_pause(self, batch: Batch) -> None:
        if not batch.message_ts:
            return
        try:
            self.notifier.batch_paused(batch)
        except Exception as exc:  # noqa: BLE001 - tried again at the next pass
            log.info("pause of batch %s not announced: %s", batch.id, exc)
            return
        self.store.update(batch.id, pause_notified=1)

    def on_run_finished(self, run: Run) -> None:
        """runs.py's hook: a row that hit a batch-wide stop goes back to the queue and
        pauses its batch; a finished row teaches the poll hint how long rows take."""
        if not run.batch_id:
            return
        if run.error_code in self.provider.batch_stop_codes:
            self.store.store.write(
                "UPDATE runs SET state = 'queued', finished_at = NULL, submitted_at = NULL, "
                "error_code = NULL, error_message = NULL, request_id = NULL WHERE id = ?",
                [run.id],
            )
            self.pause(run.batch_id, run.error_code or "", run.error_message or "")
            return
        if run.state == "completed" and run.submitted_at and run.finished_at:
            took = run.finished_at - run.submitted_at
            with self._lock:
                seen = self._durations.setdefault(run.batch_id, [])
                seen.append(took)
                del seen[:-50]
        self._wake.set()

    def pause(self, batch_id: str, code: str, reason: str) -> bool:
        return self.store.move(
            batch_id,
            ("running",),
            state="paused",
            pause_code=code,
            pause_reason=reason,
            pause_notified=0,
        )

    def first_poll(self, run: Run) -> float:
        """runs.py's hint: poll a batch row first when its grid's rows usually finish."""
        if not run.batch_id:
            return 0.0
        with self._lock:
            seen = list(self._durations.get(run.batch_id, []))
        if len(seen) < 3:
            return 0.0
        return min(60.0, statistics.median(seen) * 0.9)

    def _expire_rows(self, now: float) -> None:
        """A row that the provider has had for RUN_EXPIRY_MINUTES expires on its own; the batch
        never expires as a whole while rows are progressing."""
        minutes = round(self.expiry_seconds / 60)
        self.store.store.write(
            "UPDATE runs SET state = 'expired', finished_at = ?, error_message = ? "
            "WHERE batch_id IS NOT NULL AND state = 'running' AND submitted_at <= ?",
            [
                now,
                f"The row did not finish within {minutes} minutes, so the bot stopped waiting.",
                now - self.expiry_seconds,
            ],
        )

    def _check_credits(self, now: float, batches: list[Batch]) -> None:
        """Every half minute while batches run: out of credits pauses them all."""
        if now - self._last_credit_check < self.credit_check_seconds:
            return
        self._last_credit_check = now
        left = self.provider.credits_left()
        if left is not None and left <= 0:
            code = self.provider.credits_exhausted_code
            reason = CREDITS_EXHAUSTED.format(label=self.provider.label)
            for batch in batches:
                if batch.state == "running":
                    self.pause(batch.id, code, reason)

    def _finish(self, batch: Batch, progress: Progress) -> None:
        """Write the enriched file and post the summary exactly once."""
        now = self.clock()
        claimed = self.store.store.write(
            "UPDATE batches SET reply_lease = ? WHERE id = ? AND reply_posted_at IS NULL "
            "AND (reply_lease IS NULL OR reply_lease <= ?) RETURNING id",
            [now + 120, batch.id, now],
        )
        if not claimed:
            return
        if batch.credits_after is None:
            self._measure_cost(batch)
        path = self._write_file(batch)
        report = Report(progress, self.store.failure_reasons(batch.id), path)
        if batch.reply_attempted_at and self._safe_reply_exists(batch):
            self.store.update(batch.id, reply_posted_at=now)
        else:
            self.store.update(batch.id, reply_attempted_at=now)
            try:
                self.notifier.batch_finished(batch, report)
            except Exception as exc:  # noqa: BLE001 - the lease runs out; tried again
                log.warning("summary of batch %s not posted: %s", batch.id, exc)
                self.store.update(batch.id, reply_lease=now + 10)
                return
            self.store.update(batch.id, reply_posted_at=self.clock())
        batch = self.store.get(batch.id) or batch
        self.notifier.attach_batch_result(batch, report)
        self.store.update(batch.id, file_posted_at=self.clock())

    def _safe_reply_exists(self, batch: Batch) -> bool:
        try:
            return self.notifier.batch_reply_exists(batch)
        except Exception:  # noqa: BLE001 - unknown: post (a rare double beats a lost reply)
            return False

    def _write_file(self, batch: Batch) -> str:
        path = str(self.files_dir / f"{batch.id}-enriched.csv")
        db = self.store.store.db()

        def lookup(row_digest: str) -> RowResult | None:
            found = db.execute(
                "SELECT state, outputs, error_message, reused_from_at FROM runs "
                "WHERE dedupe_key = ?",
                [f"batch:{batch.id}:{row_digest}"],
            ).fetchone()
            if found is None:
                return None
            state, outputs, error, made = found
            return RowResult(state, json.loads(outputs) if outputs else None, error, made)

        write_result(self.file_info(batch), batch.mapping, batch.outputs, lookup, path)
        self.store.update(batch.id, result_path=path)
        return path

    def _measure_cost(self, batch: Batch) -> None:
        """Credits before minus after, over the rows the provider ran: this grid's cost per run
        (blurred if other runs spent credits meanwhile; it is an estimate and says so)."""
        after = self.provider.credits_left()
        if after is None:
            return
        self.store.update(batch.id, credits_after=after)
        sent = self.store.store.count_runs(
            "batch_id = ? AND submitted_at IS NOT NULL", [batch.id]
        )
        if batch.credits_before is None or sent == 0:
            return
        spent = batch.credits_before - after
        if spent >= 0:
            self.store.save_grid_cost(batch.grid_id, spent / sent, sent, self.clock())


def batch_files_dir(database_path: str) -> Path:
    """Uploaded and enriched files live next to the database."""
    base = Path(database_path).parent if database_path != ":memory:" else Path(".")
    path = base / "batch-files"
    path.mkdir(parents=True, exist_ok=True)
    return path
