"""Recording a run, announcing it and sending it to its provider (part of RunService)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from bot.runs.joining import RunJoining
from bot.runs.reuse import input_key
from bot.runs.saving import until_saved
from bot.runs.types import (
    UNEXPECTED_MESSAGE,
    DeliveryError,
    NotOurs,
    RunRefused,
    RunRequest,
)
from bot.store.run_record import Run, new_run_id

log = logging.getLogger(__name__)


class RunSubmission(RunJoining):
    def start_run(self, request: RunRequest) -> tuple[Run, bool]:
        """Record, announce and submit a run. A repeated dedupe key starts nothing new;
        a run asking what a pending run asks (its join key) waits on that run instead.

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
                channel_id=request.channel_id,
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
        # A provider's own key (a service that refuses a second request meanwhile) is
        # always honoured. Otherwise the same-question rule of reuse.py: an identical
        # request joins this run unless it asked for a fresh answer (Run fresh).
        run.join_key = provider.join_key(run)
        join = run.join_key is not None or request.reuse
        if run.join_key is None and self.results is not None:
            run.join_key = self.results.share_key(run)
        delay = provider.submit_delay()
        if delay > 0:  # held back by the provider's budget: not late, and says until when
            run.counted_from = now + delay
        return self._record(run, request, join=join)

    def _record(
        self, run: Run, spending: RunRequest | None = None, *, join: bool = False
    ) -> tuple[Run, bool]:
        """Insert unless the dedupe key exists; with `join`, wait on an earlier pending
        run with the same join key. With `spending`, the gate's budget check and the
        insert happen under one lock."""
        run, created = self._insert(run, spending)
        if created and self.gate is not None:
            self.gate.started(run)
        if created and join and run.join_key and run.state == "queued":
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
                if not self._send_soon(run.id):  # enough wait for the budget already
                    self.store.sql.write(  # the scheduler's next tick sends it
                        "UPDATE runs SET submit_after = :now WHERE id = :id AND state = 'queued'",
                        {"now": self.clock(), "id": run.id},
                    )
            else:
                self.store.sql.write(
                    "UPDATE runs SET submit_after = :at, counted_from = :at "
                    "WHERE id = :id AND state = 'queued'",
                    {"at": self.clock() + delay, "id": run.id},
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

    def submit_now(
        self,
        run_id: str,
        priority: int | None = None,
        still_wanted: Callable[[], bool] | None = None,
        *,
        fold: bool = False,
    ) -> None:
        """Submit one queued run in the caller's thread (the batch feeder's workers).
        `priority` is the provider's own urgency for its rate budget (lower goes first);
        when `still_wanted()` is false once a slot is free, the run stays queued. `fold`:
        a batch row that may share an identical run on its way instead (not all fresh)."""
        with self._busy_lock:
            self._working += 1
        try:
            if fold:
                run = self.store.get_run(run_id)
                if run is not None and run.state == "queued" and self._fold(run):
                    return
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
            taken = self.store.sql.write(
                "UPDATE runs SET state = 'submitting', submitted_at = :now, owner = :me "
                "WHERE id = :id AND state = 'queued' AND joined_to IS NULL RETURNING id",
                {"now": self.clock(), "me": self.instance_id, "id": run_id},
            )
            if not taken:
                raise NotOurs  # another worker has it, or it was cancelled meanwhile
            run.state = "submitting"
            with self._busy_lock:  # on its way: the next one may wait for the budget
                self._in_hand.discard(run_id)

        try:
            outcome = provider.submit(
                run,
                priority,
                before_send=claim,
                may_block=self.may_block(run),
                stop=self._stopping,
                # A batch's feeder counts its rows as they are answered: it waits for each.
                hold=not self._inline and run.batch_id is None,
            )
        except NotOurs:
            return
        except Exception:  # noqa: BLE001 - whatever it was, the rep hears of it
            log.exception("submitting run %s failed unexpectedly", run.id)
            if run.state == "submitting":  # the request may have left: never resend
                message = f"{UNEXPECTED_MESSAGE} {provider.interrupted_note}"
                self._finish(run.id, "interrupted", code="BOT_ERROR", message=message)
            else:  # nothing left: try again later (expiry ends it if this persists)
                self.store.sql.write(
                    "UPDATE runs SET submit_after = :at WHERE id = :id AND state = 'queued'",
                    {"at": self.clock() + 30.0, "id": run.id},
                )
            return
        if isinstance(outcome, Future):  # the request has left; its answer comes later
            self._hold(run, provider, outcome)
            return
        if run.state != "submitting" and not self._still_queued(run_id):
            # Never claimed, so nothing left (a stop cut its wait for the budget short),
            # and the run is no longer queued: another process sent it meanwhile, and that
            # request's answer decides (ours would requeue it: sent twice).
            log.info("run %s was sent by another process meanwhile", run_id)
            return
        # The request has left: its answer must reach the database (see saving.py).
        until_saved(
            lambda: self._apply(self.store.get_run(run_id) or run, provider, outcome),
            what=f"run {run_id}'s answer from {provider.label}",
            patience=self.expiry_seconds,
        )

    def _still_queued(self, run_id: str) -> bool:
        run = self.store.get_run(run_id)
        return run is not None and run.state == "queued"
