"""The run lifecycle: submit → track → finish → notify. No Slack in here.

The database is the truth. A run row is written before its request leaves, its result is
written before anyone is told, and `notified_at` is set only once the notifier says the
message was accepted; so after any crash, `recover()` and the next `tick()` pick up every
unfinished step, and nothing is sent twice.

Submission mode: sync. A sync run that finishes within BitScale's 120 s window costs one
request and is delivered the moment BitScale answers; async would add at least one status
poll per run (see bench/ for the numbers). A sync run that outlasts the window comes back
as a request id and is polled like an async one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from bot.bitscale import BitScaleClient, BitScaleError, Priority
from bot.bitscale.errors import NotSent, explain
from bot.bitscale.models import RunResult
from bot.reuse import ResultIndex, ReusedResult, input_key
from bot.steps import StepCompleter
from bot.store import FINAL_STATES, Run, Store, new_run_id

log = logging.getLogger(__name__)

INTERRUPTED_MESSAGE = (
    "The bot lost track of this run while starting it, so it cannot tell whether BitScale "
    "started it. It was not re-sent automatically, because a second run would add another "
    "row and spend credits again. Check the grid in BitScale, or press Run again."
)
EXPIRED_MESSAGE = "The run did not finish within {minutes} minutes, so the bot stopped waiting."
MAX_DELIVERY_ATTEMPTS = 12
ACTIVE_STATES = ("queued", "submitting", "running")
# Given up on by the bot, not by BitScale: a real answer that arrives later still counts.
GIVEN_UP_STATES = ("interrupted", "expired")
# What a late real answer resets, so its result is posted even after the notice went out.
_LATE_RESET = (
    "late_after = CASE WHEN state IN {given_up} THEN state ELSE late_after END, "
    "notified_at = CASE WHEN state IN {given_up} THEN NULL ELSE notified_at END, "
    "notify_attempted_at = CASE WHEN state IN {given_up} THEN NULL ELSE notify_attempted_at END, "
    "notify_next_at = CASE WHEN state IN {given_up} THEN NULL ELSE notify_next_at END, "
    "notify_attempts = CASE WHEN state IN {given_up} THEN 0 ELSE notify_attempts END, "
    "notify_error = CASE WHEN state IN {given_up} THEN NULL ELSE notify_error END"
).format(given_up=GIVEN_UP_STATES)


@dataclass
class RunRequest:
    grid_id: str
    grid_name: str
    inputs: dict[str, Any]
    user_id: str
    channel_id: str | None
    output_columns: list[str] | None = None
    team_id: str | None = None
    dedupe_key: str | None = None
    thread_ts: str | None = None  # answer in this thread of channel_id
    source: str = "form"  # the entry point, for the record and for result reuse
    # Answer from a stored result when one matches (reuse.py); False for "Run fresh".
    reuse: bool = False
    step_execution_id: str | None = None  # a workflow step waits for this run's end
    quiet: bool = False  # post nothing: the waiting step takes the result


@dataclass
class Announcement:
    channel: str
    ts: str
    permalink: str | None = None
    fallback_reason: str | None = None
    thread_ts: str | None = None  # set when the announcement is a reply in that thread


class DeliveryError(Exception):
    """The notifier could not deliver; `retryable` says whether trying later may help."""

    def __init__(
        self, message: str, *, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Notifier(Protocol):
    def announce(self, run: Run) -> Announcement: ...

    def deliver(self, run: Run) -> None: ...

    def already_delivered(self, run: Run) -> bool: ...

    def complete_step(self, run: Run) -> None: ...  # see steps.StepNotifier


class _Inline(Executor):
    """Runs work in the caller's thread: deterministic tests and the simplest deployments."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        fn(*args, **kwargs)


class RunService:
    def __init__(
        self,
        store: Store,
        client: BitScaleClient,
        notifier: Notifier,
        *,
        clock: Callable[[], float] = time.time,
        mode: str = "sync",
        poll_interval: float = 3.0,
        poll_share: float = 0.6,
        expiry_seconds: float = 30 * 60,
        submit_concurrency: int = 192,
        inline: bool = False,
        on_finished: Callable[[Run], None] | None = None,
        instance_id: str | None = None,
        results: ResultIndex | None = None,
        first_poll: Callable[[Run], float] | None = None,
    ) -> None:
        self.store = store
        # Marks the runs this process submits; recovery leaves a live owner's runs alone.
        self.instance_id = instance_id or uuid.uuid4().hex
        self.client = client
        self.notifier = notifier
        self.clock = clock
        self.mode = mode
        self.poll_interval = poll_interval
        # Polls may use this share of the workspace's rate budget; the rest stays free
        # for new runs and for people opening modals.
        self.poll_budget = max(0.5, client.limiter.rate * poll_share)
        self.expiry_seconds = expiry_seconds
        self.on_finished = on_finished
        self.results = results
        # Seconds before the first poll of a run that came back running (a batch knows how
        # long its grid's rows take, and a poll before that is wasted budget).
        self.first_poll = first_poll
        self.steps = StepCompleter(store, notifier, clock)
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()
        if inline:
            self._submitters = self._pollers = self._deliverers = _Inline()
        else:
            self._submitters = ThreadPoolExecutor(submit_concurrency, "submit")
            self._pollers = ThreadPoolExecutor(4, "poll")
            self._deliverers = ThreadPoolExecutor(4, "deliver")

    # --- entry points -------------------------------------------------------------------

    def start_run(self, request: RunRequest) -> tuple[Run, bool]:
        """Record, announce and submit a run. A repeated dedupe key starts nothing new.

        With `request.reuse`, a stored result that answers the same question is posted
        instead (state `reused`) and nothing is sent to BitScale."""
        if request.reuse and self.results is not None:
            found = self.results.find(
                request.grid_id, request.inputs, request.output_columns, request.user_id
            )
            if found is not None:
                return self._start_reused(request, found)
        now = self.clock()
        run = self._new_run(
            request,
            now,
            state="queued",
            submit_after=now,
            mode=self.mode,
            input_key=input_key(request.grid_id, request.inputs),
        )
        run, created = self._record_and_announce(run)
        if created:
            self._dispatch(self._submitters, self._submit, run.id)
        return run, created

    def _start_reused(self, request: RunRequest, found: ReusedResult) -> tuple[Run, bool]:
        """Record a reused answer as a finished row, announce it and deliver it at once:
        the same durable path as a real result, so a crash still posts it exactly once."""
        now = self.clock()
        run = self._new_run(
            request,
            now,
            state="reused",
            finished_at=now,
            outputs=found.outputs,
            reused_from=found.run_id,
            reused_from_user=found.made_by,
            reused_from_at=found.made_at,
        )
        run, created = self._record_and_announce(run)
        if created:
            log.info("run %s reused the result of run %s", run.id, found.run_id)
            self._dispatch(self._deliverers, self._deliver, run.id)
        return run, created

    @staticmethod
    def _new_run(request: RunRequest, now: float, **fields: Any) -> Run:
        return Run(
            id=new_run_id(),
            dedupe_key=request.dedupe_key,
            grid_id=request.grid_id,
            grid_name=request.grid_name,
            inputs=request.inputs,
            output_columns=request.output_columns,
            user_id=request.user_id,
            team_id=request.team_id,
            channel_id=request.channel_id,
            thread_ts=request.thread_ts,
            source=request.source,
            step_execution_id=request.step_execution_id,
            quiet=request.quiet,
            created_at=now,
            **fields,
        )

    def _record_and_announce(self, run: Run) -> tuple[Run, bool]:
        """Insert unless the dedupe key exists; announce a new row before tick() sees it."""
        with self._busy_lock:
            self._busy.add(run.id)  # keep tick() off it until it is announced
        try:
            run, created = self.store.insert_run(run)
            if created and not run.quiet:
                self._announce(run)
        finally:
            with self._busy_lock:
                self._busy.discard(run.id)
        return run, created

    def recover(self) -> int:
        """At start-up: runs cut off mid-submission are told, never re-sent blindly.

        Only runs whose owner is gone: the instance lock (bot/instance.py) guarantees no
        other live process shares the database, and this process's own are left alone.
        """
        now = self.clock()
        self.store.write("UPDATE runs SET lease_until = NULL WHERE lease_until IS NOT NULL")
        rows = self.store.write(
            "UPDATE runs SET state = 'interrupted', finished_at = ?, error_code = 'INTERRUPTED', "
            "error_message = ? WHERE state = 'submitting' AND (owner IS NULL OR owner != ?) "
            "RETURNING id",
            [now, INTERRUPTED_MESSAGE, self.instance_id],
        )
        for row in rows:
            log.warning("run %s was cut off while submitting; telling its requester", row["id"])
        return len(rows)

    def tick(self) -> None:
        """One pass of the scheduler: expire, submit, poll and deliver whatever is due."""
        now = self.clock()
        self._expire_overdue(now)
        # A batch's rows are fed by bot/batches.py (fairly, behind people) and reported by
        # it as one file, so this loop leaves them alone.
        for run_id in self._due_ids(
            "state = 'queued' AND submit_after <= ? AND batch_id IS NULL", [now], 500
        ):
            self._dispatch(self._submitters, self._submit, run_id)
        for run in self._claim_polls(now):
            self._dispatch(self._pollers, self._poll, run.id)
        where = (
            f"state IN {FINAL_STATES} AND notified_at IS NULL AND notify_error IS NULL "
            "AND batch_id IS NULL AND (notify_next_at IS NULL OR notify_next_at <= ?)"
        )
        for run_id in self._due_ids(where, [now], 50):
            self._dispatch(self._deliverers, self._deliver, run_id)
        for run_id in self.steps.due(now):
            self._dispatch(self._deliverers, self.steps.complete, run_id)

    def shutdown(self, wait: bool = True) -> None:
        for pool in (self._submitters, self._pollers, self._deliverers):
            pool.shutdown(wait=wait, cancel_futures=True)

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for work in progress; True when none is left."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._busy_lock:
                if not self._busy:
                    return True
            time.sleep(0.1)
        return False

    def pending_count(self) -> int:
        return self.store.count_runs("state IN ('queued', 'submitting', 'running')")

    # --- steps ----------------------------------------------------------------------------

    def _announce(self, run: Run) -> None:
        try:
            posted = self.notifier.announce(run)
        except DeliveryError as exc:
            log.warning("could not announce run %s: %s", run.id, exc)
            return
        self.store.update_run(
            run.id,
            post_channel=posted.channel,
            message_ts=posted.ts,
            post_thread_ts=posted.thread_ts,
            permalink=posted.permalink,
            fallback_reason=posted.fallback_reason,
        )

    def submit_now(self, run_id: str, priority: Priority = Priority.SUBMIT) -> None:
        """Submit one queued run in the caller's thread (the batch feeder's workers)."""
        self._submit(run_id, priority)

    def _submit(self, run_id: str, priority: Priority = Priority.SUBMIT) -> None:
        now = self.clock()
        taken = self.store.write(
            "UPDATE runs SET state = 'submitting', submitted_at = ?, owner = ? "
            "WHERE id = ? AND state = 'queued' RETURNING id",
            [now, self.instance_id, run_id],
        )
        if not taken:
            return  # another worker has it, or it already finished
        run = self.store.get_run(run_id)
        assert run is not None
        try:
            # A rejected request (429, no connection) comes straight back here and the run
            # returns to the queue, so a crash while waiting never strands it as
            # "submitting".
            result = self.client.run_grid(
                run.grid_id,
                run.inputs,
                mode=run.mode or self.mode,
                output_columns=run.output_columns,
                priority=priority,
                retry_rejected=False,
            )
        except BitScaleError as error:
            self._submit_failed(run, error)
            return
        self._apply(run, result)

    def _submit_failed(self, run: Run, error: BitScaleError) -> None:
        if error.code == "RATE_LIMIT_EXCEEDED" or isinstance(error, NotSent):
            # Rejected before anything happened: safe to send again later.
            wait = error.retry_after if error.retry_after is not None else 2.0
            self.store.write(
                "UPDATE runs SET state = 'queued', submitted_at = NULL, submit_after = ?, "
                "error_message = ? WHERE id = ? AND state = 'submitting'",
                [self.clock() + max(wait, 1.0), explain(error), run.id],
            )
        elif error.code == "RUN_FAILED":
            self._finish(run.id, "failed", code=error.code, message=error.message)
        elif error.status is not None and 400 <= error.status < 500:
            self._finish(run.id, "failed", code=error.code, message=explain(error))
        else:
            # Timeout, reset or 5xx after the request left: BitScale may have started it.
            log.warning("run %s: outcome unknown after %s", run.id, error.code)
            self._finish(
                run.id,
                "interrupted",
                code=error.code,
                message=f"{explain(error)} {INTERRUPTED_MESSAGE}",
            )

    def _apply(self, run: Run, result: RunResult) -> None:
        if result.status == "completed":
            outputs = {k: v.model_dump() for k, v in (result.outputs or {}).items()}
            self._finish(run.id, "completed", outputs=outputs)
        elif result.status == "failed":
            self._finish(run.id, "failed", code="RUN_FAILED", message=result.failure_message)
        elif result.request_id:
            # BitScale has it: running, even if the bot had given up on it meanwhile.
            self.store.write(
                f"UPDATE runs SET state = 'running', request_id = ?, next_poll_at = ?, "
                f"poll_errors = 0, lease_until = NULL, {_LATE_RESET} "
                f"WHERE id = ? AND state IN ('submitting', 'running', {_sql_list(GIVEN_UP_STATES)})",
                [
                    result.request_id,
                    self.clock() + max(self._poll_spacing(), self._first_poll(run)),
                    run.id,
                ],
            )
        else:
            self._finish(
                run.id,
                "interrupted",
                code="BAD_RESPONSE",
                message="BitScale said the run is running but gave no request id. "
                + INTERRUPTED_MESSAGE,
            )

    def _poll(self, run_id: str) -> None:
        run = self.store.get_run(run_id)
        if run is None or run.state != "running" or not run.request_id:
            return
        try:
            result = self.client.run_status(run.request_id, priority=Priority.POLL)
        except BitScaleError as error:
            if error.code == "RUN_FAILED":
                self._finish(run.id, "failed", code=error.code, message=error.message)
            elif error.code == "REQUEST_NOT_FOUND":
                self._finish(
                    run.id,
                    "failed",
                    code=error.code,
                    message="BitScale no longer knows this run's request id.",
                )
            else:
                errors = run.poll_errors + 1
                delay = min(60.0, self._poll_spacing() * 2 ** min(errors - 1, 5))
                log.warning(
                    "poll of run %s failed (%s); next try in %.0fs", run.id, error.code, delay
                )
                self.store.update_run(
                    run.id,
                    poll_errors=errors,
                    lease_until=None,
                    next_poll_at=self.clock() + delay,
                    error_code=error.code,
                    error_message=explain(error),
                )
            return
        if result.finished:
            self._apply(run, result)
        else:
            self.store.update_run(
                run.id,
                next_poll_at=self.clock() + self._poll_spacing(),
                poll_errors=0,
                lease_until=None,
            )

    def _finish(
        self,
        run_id: str,
        state: str,
        *,
        outputs: dict | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Compare-and-set: only an unfinished run finishes, once. A real answer from
        BitScale (completed, failed) also replaces the bot's own "interrupted" or
        "expired", and is then posted too: the requester gets the result after all."""
        allowed = ACTIVE_STATES + (GIVEN_UP_STATES if state in ("completed", "failed") else ())
        changed = self.store.write(
            f"UPDATE runs SET state = ?, outputs = ?, error_code = ?, error_message = ?, "
            f"finished_at = ?, lease_until = NULL, {_LATE_RESET} "
            f"WHERE id = ? AND state IN ({_sql_list(allowed)}) RETURNING id",
            [state, _json(outputs), code, message, self.clock(), run_id],
        )
        if not changed:
            log.info("run %s already finished; a later %s answer was dropped", run_id, state)
            return
        run = self.store.get_run(run_id)
        if run is not None and run.state == "completed" and not run.input_key:
            # Rows inserted by other paths (batches) become reusable results too.
            run.input_key = input_key(run.grid_id, run.inputs)
            self.store.update_run(run.id, input_key=run.input_key)
        if self.on_finished and run is not None:
            try:
                self.on_finished(run)
            except Exception:  # noqa: BLE001 - a side job must never lose a result
                log.exception("on_finished hook failed")
        self._deliver(run_id)

    def _deliver(self, run_id: str) -> None:
        now = self.clock()
        claimed = self.store.claim(
            f"id = ? AND state IN {FINAL_STATES} AND notified_at IS NULL AND notify_error IS NULL "
            "AND batch_id IS NULL",
            [run_id],
            now=now,
            lease=120,
            limit=1,
        )
        if not claimed:
            return
        run = claimed[0]
        if run.quiet or (run.notify_attempted_at and self._safe_already_delivered(run)):
            self.store.update_run(run.id, notified_at=now, lease_until=None)
            self._complete_step(run)
            return
        attempts = run.notify_attempts + 1
        if not run.message_ts:  # the announcement never went out: make a parent first
            self._announce(run)
            run = self.store.get_run(run.id) or run
        self.store.update_run(run.id, notify_attempted_at=now, notify_attempts=attempts)
        try:
            self.notifier.deliver(run)
        except DeliveryError as exc:
            self._delivery_failed(run, attempts, str(exc), exc.retryable, exc.retry_after)
            return
        except Exception as exc:  # noqa: BLE001 - an unknown failure is retried, not lost
            log.exception("delivering run %s failed", run.id)
            self._delivery_failed(run, attempts, type(exc).__name__, True, None)
            return
        self.store.update_run(run.id, notified_at=self.clock(), lease_until=None)
        self._complete_step(run)

    def _complete_step(self, run: Run) -> None:
        if run.step_execution_id:
            self.steps.complete(run.id)

    def _safe_already_delivered(self, run: Run) -> bool:
        try:
            return self.notifier.already_delivered(run)
        except Exception:  # noqa: BLE001 - when unsure, deliver again rather than never
            log.exception("could not check whether run %s was delivered", run.id)
            return False

    def _delivery_failed(
        self, run: Run, attempts: int, reason: str, retryable: bool, retry_after: float | None
    ) -> None:
        if retryable and attempts < MAX_DELIVERY_ATTEMPTS:
            delay = retry_after if retry_after is not None else min(300.0, 2.0**attempts)
            log.warning(
                "result of run %s not delivered (%s); retrying in %.0fs", run.id, reason, delay
            )
            self.store.update_run(run.id, notify_next_at=self.clock() + delay, lease_until=None)
        else:
            log.error(
                "result of run %s is undeliverable after %d attempts: %s", run.id, attempts, reason
            )
            self.store.update_run(run.id, notify_error=reason or "undeliverable", lease_until=None)
            self._complete_step(run)  # the workflow must not wait for a reply that never comes

    def _expire_overdue(self, now: float) -> None:
        minutes = round(self.expiry_seconds / 60)
        rows = self.store.write(
            "UPDATE runs SET state = 'expired', finished_at = ?, "
            "error_message = ? || COALESCE(' Last problem: ' || error_message, '') "
            "WHERE state IN ('queued', 'running') AND created_at <= ? AND batch_id IS NULL "
            "RETURNING id",
            [now, EXPIRED_MESSAGE.format(minutes=minutes), now - self.expiry_seconds],
        )
        for row in rows:
            log.warning("run %s expired", row["id"])
            self._dispatch(self._deliverers, self._deliver, row["id"])

    # --- helpers --------------------------------------------------------------------------

    def _first_poll(self, run: Run) -> float:
        if self.first_poll is None:
            return 0.0
        try:
            return self.first_poll(run)
        except Exception:  # noqa: BLE001 - a hint must never lose a run
            log.exception("first_poll hint failed")
            return 0.0

    def _poll_spacing(self) -> float:
        """Seconds between polls of one run: 3 s, stretched so all polls fit the budget."""
        running = self.store.count_runs("state = 'running'")
        return max(self.poll_interval, running / self.poll_budget)

    def _claim_polls(self, now: float) -> list[Run]:
        # Claim only what the budget can poll in the next second, so nothing queues
        # behind the limiter for long.
        limit = max(1, int(self.poll_budget))
        return self.store.claim(
            "state = 'running' AND request_id IS NOT NULL AND next_poll_at <= ?",
            [now],
            now=now,
            lease=30,
            limit=limit,
            order_by="next_poll_at",
        )

    def _due_ids(self, where: str, params: list[Any], limit: int) -> list[str]:
        rows = (
            self.store.db()
            .execute(
                f"SELECT id FROM runs WHERE {where} ORDER BY created_at LIMIT ?", [*params, limit]
            )
            .fetchall()
        )
        with self._busy_lock:
            return [r[0] for r in rows if r[0] not in self._busy]

    def _dispatch(self, pool: Executor, fn: Callable[[str], None], run_id: str) -> None:
        with self._busy_lock:
            if run_id in self._busy:
                return
            self._busy.add(run_id)

        def work() -> None:
            try:
                fn(run_id)
            except Exception:  # noqa: BLE001 - logged; the row stays due and is retried
                log.exception("%s of run %s failed", fn.__name__, run_id)
            finally:
                with self._busy_lock:
                    self._busy.discard(run_id)

        try:
            pool.submit(work)
        except RuntimeError:  # shutting down: the row stays due for the next start
            with self._busy_lock:
                self._busy.discard(run_id)


def _sql_list(states: tuple[str, ...]) -> str:
    return ", ".join(f"'{s}'" for s in states)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)
