"""The run lifecycle: submit → track → finish → notify. No Slack in here, and no provider.

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
page asked for twice while its task is pending) share one task: the later ones wait on
the first and get its result.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.clock import JUMP_TOLERANCE, SteadyClock
from bot.providers.base import Outcome, Provider, Providers
from bot.reuse import ResultIndex, input_key
from bot.steps import StepCompleter
from bot.store import FINAL_STATES, LEGACY_PROVIDER, Run, Store, new_run_id
from bot.timings import RunTimings, next_poll_after

log = logging.getLogger(__name__)

INTERRUPTED_MESSAGE = (
    "The bot lost track of this run while starting it, so it cannot tell whether it "
    "started. It was not re-sent automatically. Press Run again if it did not."
)
EXPIRED_MESSAGE = "The run did not finish within {minutes} minutes, so the bot stopped waiting."
STALE_SUBMIT_MESSAGE = (
    " It was stuck while being sent, so the bot cannot tell whether it started; it was "
    "not re-sent. Check whether it ran before you run it again."
)
UNEXPECTED_MESSAGE = "Something unexpected went wrong in the bot while it sent this run."
# A run still "submitting" after this long is stuck, whatever the expiry setting: the
# longest request a provider holds open (a 120 s sync window plus margins) is long over.
STALE_SUBMIT_FLOOR = 300.0
UNKNOWN_PROVIDER_MESSAGE = (
    "This run was sent to {name}, which this bot is no longer set up to use, so it cannot "
    "follow the run. Ask whoever runs the bot to set {name} up again."
)
RESUBMITTED_TOO_OFTEN = " It was already sent again once, so the bot stopped. Try again later."
MAX_DELIVERY_ATTEMPTS = 12
LONG_WAIT = 30.0  # a requeued run waiting at least this long is shown as waiting
ACTIVE_STATES = ("queued", "submitting", "running")
# Given up on by the bot, not by the provider: a real answer that arrives later still counts.
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


@dataclass(kw_only=True)
class RunRequest:
    inputs: dict[str, Any]
    user_id: str
    channel_id: str | None
    provider: str = LEGACY_PROVIDER
    target: str = ""  # what the provider runs (a grid id, a page URL); defaults to grid_id
    grid_id: str = ""  # the older name of a grid run's target, kept for its callers
    grid_name: str = ""  # the title people see
    output_columns: list[str] | None = None
    team_id: str | None = None
    dedupe_key: str | None = None
    thread_ts: str | None = None  # answer in this thread of channel_id
    source: str = "form"  # the entry point, for the record and for result reuse
    # Answer from a stored result when one matches (reuse.py); False for "Run fresh".
    reuse: bool = False
    step_execution_id: str | None = None  # a workflow step waits for this run's end
    quiet: bool = False  # post nothing: the waiting step takes the result

    def __post_init__(self) -> None:
        if not self.target:
            self.target = self.grid_id


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


class RunRefused(Exception):
    """The gate (policy.py) refused the run: nothing was recorded or sent. The message is
    the sentence for the requester."""


class Gate(Protocol):
    """Asked right before a run is recorded; see bot/policy.py."""

    admission_lock: threading.Lock

    def admit(self, request: RunRequest, *, spend: bool) -> str | None: ...

    def started(self, run: Run) -> None: ...


class Notifier(Protocol):
    def announce(self, run: Run) -> Announcement: ...

    def deliver(self, run: Run) -> None: ...

    def already_delivered(self, run: Run) -> bool: ...

    # Optional: `waiting(run)` updates the announcement of a run held back for a while.

    def complete_step(self, run: Run) -> None: ...  # see steps.StepNotifier


class NotOurs(Exception):
    """Raised from a provider's `before_send`: the run must not be sent after all (taken
    by someone else while it waited for a slot, or its sender is stopping)."""


class _Inline(Executor):
    """Runs work in the caller's thread: deterministic tests and the simplest deployments."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        fn(*args, **kwargs)


class RunService:
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
        self._busy_lock = threading.Lock()
        if inline:
            self._submitters = self._pollers = self._deliverers = _Inline()
        else:
            self._submitters = ThreadPoolExecutor(submit_concurrency, "submit")
            self._pollers = ThreadPoolExecutor(4, "poll")
            self._deliverers = ThreadPoolExecutor(4, "deliver")

    # --- entry points -------------------------------------------------------------------

    def start_run(self, request: RunRequest) -> tuple[Run, bool]:
        """Record, announce and submit a run. A repeated dedupe key starts nothing new;
        a run whose join key matches a pending run waits on that run's task instead.

        With `request.reuse`, a stored result that answers the same question is posted
        instead (state `reused`) and nothing is sent to the provider."""
        run, created = self.record_run(request)
        if created:
            self.launch(run)
        return run, created

    def record_run(self, request: RunRequest) -> tuple[Run, bool]:
        """Only local work: fast enough to finish before a form is acknowledged, so a run
        someone was told went through is always on disk. Raises RunRefused when the
        policy says no, or whatever the database raises. `launch` announces and starts
        the run; should that never happen (the process died right after the ack), the
        scheduler takes it over once the launch grace has passed (submits it, or delivers
        a reused answer) and announces it with its result."""
        if self.gate is not None:  # grid access: a reused answer is still that grid's data
            refused = self.gate.admit(request, spend=False)
            if refused:
                raise RunRefused(refused)
        provider = self.providers.get(request.provider)
        now = self.clock()
        later = now + self.launch_grace
        if request.reuse and self.results is not None:
            found = self.results.find(
                request.target,
                request.inputs,
                request.output_columns,
                request.user_id,
                grid_name=request.grid_name,
                provider=provider.name,
            )
            if found is not None:
                run = self._new_run(
                    request,
                    now,
                    state="reused",
                    finished_at=now,
                    outputs=found.outputs,
                    reused_from=found.run_id,
                    reused_from_user=found.made_by,
                    reused_from_at=found.made_at,
                    notify_next_at=later,
                )
                return self._record(run)
        run = self._new_run(
            request,
            now,
            state="queued",
            submit_after=max(later, now + provider.submit_delay()),
            input_key=input_key(request.target, request.inputs, provider.name),
        )
        run.join_key = provider.join_key(run)
        delay = provider.submit_delay()
        if delay > 0:  # held back by the provider's budget: not late, and says until when
            run.counted_from = now + delay
        return self._record(run, request)

    def _record(self, run: Run, spending: RunRequest | None = None) -> tuple[Run, bool]:
        """Insert unless the dedupe key exists; join an earlier pending run with the same
        join key. With `spending`, the gate's budget check and the insert happen under
        one lock."""
        run, created = self._insert(run, spending)
        if created and self.gate is not None:
            self.gate.started(run)
        if created and run.join_key and run.state == "queued":
            run = self._join_pending(run)
        return run, created

    def launch(self, run: Run) -> None:
        """Announce a recorded run, then submit it (or deliver its reused answer)."""
        with self._busy_lock:
            if run.id in self._busy:
                return
            self._busy.add(run.id)  # keep tick() off it until it is announced
        try:
            if not run.quiet:
                self._announce(run)
        finally:
            with self._busy_lock:
                self._busy.discard(run.id)
        if run.state == "reused":
            log.info("run %s reused the result of run %s", run.id, run.reused_from)
            self._dispatch(self._deliverers, self._deliver, run.id)
        elif run.state == "queued" and not run.joined_to:
            # When the provider's budget is spent, the scheduler sends it when it is due
            # (the announcement says when).
            delay = self.providers.get(run.provider).submit_delay()
            if delay <= 0:
                self._dispatch(self._submitters, self._submit, run.id)
            else:
                self.store.write(
                    "UPDATE runs SET submit_after = ?, counted_from = ? "
                    "WHERE id = ? AND state = 'queued'",
                    [self.clock() + delay, self.clock() + delay, run.id],
                )

    @staticmethod
    def _new_run(request: RunRequest, now: float, **fields: Any) -> Run:
        return Run(
            id=new_run_id(),
            dedupe_key=request.dedupe_key,
            provider=request.provider,
            target=request.target,
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

    def _insert(self, run: Run, spending: RunRequest | None) -> tuple[Run, bool]:
        if self.gate is None or spending is None:
            return self.store.insert_run(run)
        with self.gate.admission_lock:
            if run.dedupe_key and self.store.run_by_dedupe_key(run.dedupe_key):
                return self.store.insert_run(run)  # a repeat: no new spending to check
            refused = self.gate.admit(spending, spend=True)
            if refused:
                raise RunRefused(refused)
            return self.store.insert_run(run)

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
            "RETURNING id, provider",
            [now, INTERRUPTED_MESSAGE, self.instance_id],
        )
        for row in rows:
            log.warning("run %s was cut off while submitting; telling its requester", row["id"])
            provider = self.providers.find(row["provider"])
            if provider is not None:
                self.store.update_run(row["id"], error_message=provider.interrupted_note)
            self._finish_followers(row["id"])
        return len(rows)

    def tick(self) -> None:
        """One pass of the scheduler: expire, submit, poll and deliver whatever is due."""
        now = self.clock()
        self._notice_clock_jump()
        self._expire_overdue(now)
        self._fail_orphans(now)
        # A batch's rows are fed by bot/batches.py (fairly, behind people) and reported by
        # it as one file, so this loop leaves them alone.
        where = "state = 'queued' AND submit_after <= ? AND joined_to IS NULL AND batch_id IS NULL"
        for run_id in self._due_ids(where, [now], 500):
            self._dispatch(self._submitters, self._submit, run_id)
        for provider in self.providers:
            for run in self._claim_polls(provider, now):
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
        """Send nothing new: runs still waiting for a rate budget stay queued (they go out
        at the next start), work waiting in a pool is dropped, work in progress goes on."""
        self._stopping.set()
        for pool in (self._submitters, self._pollers, self._deliverers):
            pool.shutdown(wait=wait, cancel_futures=True)

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
        return self.store.count_runs("state = 'submitting' AND owner = ?", [self.instance_id])

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
            permalink=posted.permalink,
            fallback_reason=posted.fallback_reason,
            post_thread_ts=posted.thread_ts,
        )

    def _join_pending(self, run: Run) -> Run:
        """Wait on an earlier pending run with the same join key, if there is one. One
        statement, so the earlier run cannot finish between the check and the join."""
        rows = self.store.write(
            "UPDATE runs SET joined_to = lead.id, state = 'running' FROM ("
            "  SELECT id FROM runs WHERE join_key = ? AND joined_to IS NULL"
            f"  AND state IN {ACTIVE_STATES}"
            "  AND rowid < (SELECT rowid FROM runs WHERE id = ?)"  # only earlier runs lead
            "  ORDER BY rowid LIMIT 1"
            ") AS lead WHERE runs.id = ? RETURNING joined_to",
            [run.join_key, run.id, run.id],
        )
        if not rows:
            return run
        log.info("run %s joins run %s, pending for the same thing", run.id, rows[0]["joined_to"])
        return self.store.get_run(run.id) or run

    def submit_now(
        self,
        run_id: str,
        priority: int | None = None,
        still_wanted: Callable[[], bool] | None = None,
    ) -> None:
        """Submit one queued run in the caller's thread (the batch feeder's workers).
        `priority` is the provider's own urgency for its rate budget (lower goes first);
        when `still_wanted()` is false once a slot is free, the run stays queued."""
        with self._busy_lock:
            self._working += 1
        try:
            self._submit(run_id, priority, still_wanted)
        finally:
            with self._busy_lock:
                self._working -= 1

    def _submit(
        self,
        run_id: str,
        priority: int | None = None,
        still_wanted: Callable[[], bool] | None = None,
    ) -> None:
        run = self.store.get_run(run_id)
        if run is None or run.state != "queued" or run.joined_to or self._stopping.is_set():
            return
        provider = self.providers.find(run.provider)
        if provider is None:
            self._finish_orphan(run)
            return

        def claim() -> None:
            # Called when the provider's rate budget lets the request go: only now is the
            # run "submitting". While it waits for a slot it stays queued, so a crash
            # meanwhile leaves it to be sent after the restart, not marked cut off.
            if self._stopping.is_set() or (still_wanted is not None and not still_wanted()):
                raise NotOurs  # shutting down: leave the run queued
            taken = self.store.write(
                "UPDATE runs SET state = 'submitting', submitted_at = ?, owner = ? "
                "WHERE id = ? AND state = 'queued' AND joined_to IS NULL RETURNING id",
                [self.clock(), self.instance_id, run_id],
            )
            if not taken:
                raise NotOurs  # another worker has it, or it was cancelled meanwhile
            run.state = "submitting"

        try:
            outcome = provider.submit(
                run,
                priority,
                before_send=claim,
                may_block=self.timings.may_block(run),
                stop=self._stopping,
            )
        except NotOurs:
            return
        except Exception:  # noqa: BLE001 - whatever it was, the rep hears of it
            log.exception("submitting run %s failed unexpectedly", run.id)
            if run.state == "submitting":  # the request may have left: never resend
                message = f"{UNEXPECTED_MESSAGE} {provider.interrupted_note}"
                self._finish(run.id, "interrupted", code="BOT_ERROR", message=message)
            else:  # nothing left: try again later (expiry ends it if this persists)
                self.store.write(
                    "UPDATE runs SET submit_after = ? WHERE id = ? AND state = 'queued'",
                    [self.clock() + 30.0, run.id],
                )
            return
        self._apply(self.store.get_run(run_id) or run, provider, outcome)

    def _poll(self, run_id: str) -> None:
        run = self.store.get_run(run_id)
        if run is None or run.state != "running" or not run.request_id or run.joined_to:
            return
        provider = self.providers.find(run.provider)
        if provider is None:
            self._finish_orphan(run)
            return
        now = self.clock()
        polled = {"polls": run.polls + 1, "first_poll_at": run.first_poll_at or now}
        try:
            outcome = provider.poll(run)
        except Exception:  # noqa: BLE001 - a surprise is a failed poll: back off, retry
            log.exception("polling run %s failed unexpectedly", run.id)
            outcome = Outcome.retry("BOT_ERROR", "The bot could not read the run's status.")
        self.store.update_run(
            run.id, **polled, **({"running_seen_at": now} if outcome.state == "running" else {})
        )
        self._apply(replace(run, **polled), provider, outcome)

    def _apply(self, run: Run, provider: Provider, outcome: Outcome) -> None:
        """Act on what the provider said after a submission or a poll."""
        if outcome.mode:
            self.store.update_run(run.id, mode=outcome.mode)
        state = outcome.state
        now = self.clock()
        if state == "completed":
            # polls normally come at most 2.5x the shortest gap apart; far more: starved
            self.timings.learn(run, now, max_gap=provider.poll_interval * 7.5)
        if state in ("completed", "failed", "interrupted"):
            self._finish(
                run.id, state, outputs=outcome.outputs, code=outcome.code, message=outcome.message
            )
        elif state == "running":
            # The provider has it: running, even if the bot had given up on it meanwhile.
            fresh = run.state == "submitting"
            self.store.write(
                f"UPDATE runs SET state = 'running', request_id = ?, next_poll_at = ?, "
                f"request_id_at = COALESCE(request_id_at, ?), "
                f"poll_errors = 0, lease_until = NULL, {_LATE_RESET} "
                "WHERE id = ? AND state IN "
                f"('submitting', 'running', {_sql_list(GIVEN_UP_STATES)})",
                [
                    outcome.handle or run.request_id,
                    self._first_poll_at(run, provider, now)
                    if fresh
                    else now + self._poll_spacing(provider, run, now),
                    now,
                    run.id,
                ],
            )
        elif state == "queued" and run.state in ("submitting", "queued"):
            # Refused before anything happened (or held back unsent): safe to send later.
            wait = max(outcome.wait or 0.0, 1.0)
            self.store.write(
                "UPDATE runs SET state = 'queued', submitted_at = NULL, submit_after = ?, "
                "error_message = COALESCE(?, error_message) "
                "WHERE id = ? AND state IN ('submitting', 'queued')",
                [now + wait, outcome.message, run.id],
            )
            if wait >= LONG_WAIT:
                self.store.update_run(run.id, counted_from=self.clock() + wait)
                self._tell_waiting(run.id)
        elif state == "resubmit":
            self._resubmit(run, provider, outcome)
        else:  # a poll that failed for a reason that may pass
            errors = run.poll_errors + 1
            delay = outcome.wait or min(
                60.0, self._poll_spacing(provider, run, now) * 2 ** min(errors - 1, 5)
            )
            log.warning(
                "poll of run %s failed (%s); next try in %.0fs", run.id, outcome.code, delay
            )
            self.store.update_run(
                run.id,
                state="running",
                poll_errors=errors,
                lease_until=None,
                next_poll_at=self.clock() + delay,
                error_code=outcome.code,
                error_message=outcome.message,
            )

    def _tell_waiting(self, run_id: str) -> None:
        """A run held back for a while: the requester sees until when (best effort)."""
        tell = getattr(self.notifier, "waiting", None)
        run = self.store.get_run(run_id)
        if tell is None or run is None or run.quiet:
            return
        try:
            tell(run)
        except Exception:  # noqa: BLE001 - a courtesy update must never stall a run
            log.warning("could not tell run %s's requester it waits", run_id)

    def _resubmit(self, run: Run, provider: Provider, outcome: Outcome) -> None:
        """The service dropped the task and says to send it again: once, then give up."""
        if run.resubmits >= provider.max_resubmits:
            message = (outcome.message or "") + RESUBMITTED_TOO_OFTEN
            self._finish(run.id, "failed", code=outcome.code, message=message.strip())
            return
        log.warning(
            "run %s: %s dropped the task (%s); sending it again",
            run.id,
            provider.label,
            outcome.code,
        )
        self.store.write(
            "UPDATE runs SET state = 'queued', resubmits = ?, submitted_at = NULL, "
            "submit_after = ?, lease_until = NULL, error_code = ?, error_message = ? "
            f"WHERE id = ? AND state IN {ACTIVE_STATES}",
            [run.resubmits + 1, self.clock(), outcome.code, outcome.message, run.id],
        )  # the next tick sends it: this worker still holds the run

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
        the provider (completed, failed) also replaces the bot's own "interrupted" or
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
        if run is not None and run.state == "failed":
            # Said in the message: after several alike, trying again is unlikely to help.
            run.same_failures = self.store.failure_streak(run)
            self.store.update_run(run.id, same_failures=run.same_failures)
        if run is not None and run.state == "completed" and not run.input_key:
            # Rows inserted by other paths (batches) become reusable results too.
            run.input_key = input_key(run.target or run.grid_id, run.inputs, run.provider)
            self.store.update_run(run.id, input_key=run.input_key)
        if self.on_finished and run is not None:
            try:
                self.on_finished(run)
            except Exception:  # noqa: BLE001 - a side job must never lose a result
                log.exception("on_finished hook failed")
        self._deliver(run_id)
        self._finish_followers(run_id)

    def _finish_followers(self, run_id: str) -> None:
        """Runs that waited on this one's task end the way it ended."""
        rows = self.store.write(
            "UPDATE runs SET state = lead.state, outputs = lead.outputs, "
            "error_code = lead.error_code, error_message = lead.error_message, "
            "request_id = lead.request_id, finished_at = lead.finished_at, lease_until = NULL "
            "FROM (SELECT * FROM runs WHERE id = ?) AS lead "
            f"WHERE runs.joined_to = lead.id AND runs.state IN {ACTIVE_STATES} "
            f"AND lead.state IN {FINAL_STATES} RETURNING id",
            [run_id],
        )
        for row in rows:
            self._dispatch(self._deliverers, self._deliver, row["id"])

    def _finish_orphan(self, run: Run) -> None:
        label = self.providers.label(run.provider)
        self._finish(
            run.id,
            "failed",
            code="UNKNOWN_PROVIDER",
            message=UNKNOWN_PROVIDER_MESSAGE.format(name=label),
        )

    def _fail_orphans(self, now: float) -> None:
        """Runs of a provider that is no longer set up are told so, not left to expire."""
        names = [p.name for p in self.providers]
        marks = ", ".join("?" * len(names)) or "''"
        rows = self.store.claim(
            f"state IN ('queued', 'running') AND joined_to IS NULL AND provider NOT IN ({marks})",
            names,
            now=now,
            lease=60,
            limit=50,
        )
        for run in rows:
            self._finish_orphan(run)

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
            "WHERE state IN ('queued', 'running') AND joined_to IS NULL "
            "AND COALESCE(counted_from, created_at) <= ? "
            "AND batch_id IS NULL RETURNING id",
            [now, EXPIRED_MESSAGE.format(minutes=minutes), now - self.expiry_seconds],
        )
        rows += self._expire_stale_submissions(now)
        for row in rows:
            log.warning("run %s expired", row["id"])
            self._dispatch(self._deliverers, self._deliver, row["id"])
            self._finish_followers(row["id"])

    def _expire_stale_submissions(self, now: float) -> list[dict[str, Any]]:
        """Runs stuck in "submitting" (their worker died without a word) end too; one this
        process is still sending is left to its worker."""
        stale_before = now - max(self.expiry_seconds, STALE_SUBMIT_FLOOR)
        candidates = self.store.write(
            "SELECT id FROM runs WHERE state = 'submitting' "
            "AND COALESCE(submitted_at, created_at) <= ?",
            [stale_before],
        )
        with self._busy_lock:
            ids = [r["id"] for r in candidates if r["id"] not in self._busy]
        minutes = round(self.expiry_seconds / 60)
        expired: list[dict[str, Any]] = []
        for run_id in ids:
            expired += self.store.write(
                "UPDATE runs SET state = 'expired', finished_at = ?, error_message = ? "
                "WHERE id = ? AND state = 'submitting' RETURNING id",
                [now, EXPIRED_MESSAGE.format(minutes=minutes) + STALE_SUBMIT_MESSAGE, run_id],
            )
        return expired

    # --- helpers --------------------------------------------------------------------------

    def _notice_clock_jump(self) -> None:
        """Say once when the system clock moves away from steady time (an operator wants
        to know; run timings ignore it)."""
        jump = getattr(self.clock, "jump", None)
        drift = jump() if callable(jump) else 0.0
        if abs(drift - self._reported_jump) > JUMP_TOLERANCE:
            log.warning(
                "the system clock jumped by %+.0f s; run timings follow the steady clock",
                drift - self._reported_jump,
            )
            self._reported_jump = drift

    def _first_poll(self, run: Run) -> float:
        if self.first_poll is None:
            return 0.0
        try:
            return self.first_poll(run)
        except Exception:  # noqa: BLE001 - a hint must never lose a run
            log.exception("first_poll hint failed")
            return 0.0

    def _first_poll_at(self, run: Run, provider: Provider, now: float) -> float:
        """When to poll a run that just came back running: when its target's runs are
        usually done (a batch's own hint first), or after the shortest gap when never
        timed. Not stretched by load: polls are claimed in this order, so a busy budget
        only delays them."""
        hint = self._first_poll(run) or self.timings.first_poll_after(run)
        sent = run.submitted_at or now
        return max(now, sent + (provider.poll_interval if hint is None else hint))

    def _poll_spacing(self, provider: Provider, run: Run, now: float) -> float:
        """Seconds to the next poll of a run still running: by its age, from the provider's
        shortest gap to 2.5 times that, stretched so all of its polls fit its budget."""
        running = self.store.count_runs(
            "state = 'running' AND provider = ? AND joined_to IS NULL", [provider.name]
        )
        age = now - (run.submitted_at or run.created_at)
        return max(next_poll_after(age, provider.poll_interval), running / provider.poll_rate)

    def _claim_polls(self, provider: Provider, now: float) -> list[Run]:
        # Claim only what the budget can poll in the next second, so nothing queues
        # behind the limiter for long.
        limit = max(1, int(provider.poll_rate))
        return self.store.claim(
            "state = 'running' AND provider = ? AND request_id IS NOT NULL "
            "AND joined_to IS NULL AND next_poll_at <= ?",
            [provider.name, now],
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


def _sql_list(states: tuple[str, ...]) -> str:
    return ", ".join(f"'{s}'" for s in states)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)
