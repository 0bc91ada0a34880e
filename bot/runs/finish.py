"""Ending a run once, and delivering its result to the notifier until it is accepted or
clearly undeliverable (part of RunService)."""

from __future__ import annotations

import logging

from bot.runs.parts import ServiceParts
from bot.runs.reuse import input_key
from bot.runs.types import (
    ACTIVE_STATES,
    DELIVERY_PROBE,
    DELIVERY_RETRY_CAP,
    DELIVERY_WINDOW,
    GIVEN_UP_STATES,
    LATE_RESET,
    UNKNOWN_PROVIDER_MESSAGE,
    DeliveryError,
    sql_list,
)
from bot.store.run_record import FINAL_STATES, Run, dumps_or_none

log = logging.getLogger(__name__)
# A delivery in hand is someone else's to retry after this long: a process that died
# while posting leaves its results to the others within 30 s (the check that Slack has
# not got it already runs first, so a slow post is not repeated).
DELIVERY_LEASE = 30


FOLLOWER_SWEEP = 10.0  # seconds between looks for joined runs whose leader ended unseen


class RunFinishing(ServiceParts):
    _last_probe: float = 0.0  # when probe_delivery last tried a waiting result
    _last_sweep: float = 0.0  # when sweep_followers last looked

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
        changed = self.store.sql.write(
            "UPDATE runs SET state = :state, outputs = :outputs, error_code = :code, "
            f"error_message = :message, finished_at = :now, lease_until = NULL, {LATE_RESET} "
            f"WHERE id = :id AND state IN ({sql_list(allowed)}) RETURNING id",
            {
                "state": state,
                "outputs": dumps_or_none(outputs),
                "code": code,
                "message": message,
                "now": self.clock(),
                "id": run_id,
            },
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
        """Runs that waited on this one's task end the way it ended; each is answered in
        its own thread, whatever became of the leader's own message."""
        rows = self.store.sql.write(
            "UPDATE runs SET state = lead.state, outputs = lead.outputs, "
            "error_code = lead.error_code, error_message = lead.error_message, "
            "request_id = lead.request_id, finished_at = lead.finished_at, lease_until = NULL "
            "FROM (SELECT * FROM runs WHERE id = :id) AS lead "
            f"WHERE runs.joined_to = lead.id AND runs.state IN {ACTIVE_STATES} "
            f"AND lead.state IN {FINAL_STATES} RETURNING runs.id, runs.batch_id",
            {"id": run_id},
        )
        for row in rows:
            if self.on_finished and not row["batch_id"]:  # a batch counts its own rows
                follower = self.store.get_run(row["id"])
                try:
                    if follower is not None:
                        self.on_finished(follower)
                except Exception:  # noqa: BLE001 - a side job must never lose a result
                    log.exception("on_finished hook failed")
            self._dispatch(self._deliverers, self._deliver, row["id"])

    def sweep_followers(self, now: float) -> None:
        """Every FOLLOWER_SWEEP seconds: joined runs whose leader ended without ending
        them (it ended in another process at the moment they joined, or a batch ended
        it) end now, so no one waits on a run that is over."""
        if now - self._last_sweep < FOLLOWER_SWEEP:
            return
        self._last_sweep = now
        leads = self.store.sql.query(
            "SELECT DISTINCT lead.id FROM runs JOIN runs AS lead ON lead.id = runs.joined_to "
            f"WHERE runs.joined_to IS NOT NULL AND runs.state IN {ACTIVE_STATES} "
            f"AND lead.state IN {FINAL_STATES} LIMIT 50"
        )
        for lead in leads:
            log.warning("run %s ended without its joined runs; ending them now", lead["id"])
            self._finish_followers(lead["id"])

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
        known = {f"provider_{n}": name for n, name in enumerate(names)}
        marks = ", ".join(f":{key}" for key in known) or "''"
        rows = self.store.claim(
            f"state IN ('queued', 'running') AND joined_to IS NULL AND provider NOT IN ({marks})",
            known,
            now=now,
            lease=60,
            limit=50,
        )
        for run in rows:
            self._finish_orphan(run)

    def _deliver(self, run_id: str) -> None:
        now = self.clock()
        claimed = self.store.claim(
            f"id = :id AND state IN {FINAL_STATES} AND notified_at IS NULL "
            "AND notify_error IS NULL AND batch_id IS NULL",
            {"id": run_id},
            now=now,
            lease=DELIVERY_LEASE,
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
        if attempts > 1:  # Slack answers again: what waited on its back-off goes now
            self._retry_waiting_now()

    def _retry_waiting_now(self) -> None:
        self.store.sql.write(
            "UPDATE runs SET notify_next_at = NULL WHERE notified_at IS NULL "
            "AND notify_error IS NULL AND batch_id IS NULL AND notify_next_at > :now",
            {"now": self.clock()},
        )

    def probe_delivery(self, now: float) -> None:
        """While results wait on their back-off, try the longest-waiting one every
        DELIVERY_PROBE seconds, so the end of a Slack outage is noticed within seconds."""
        if now - self._last_probe < DELIVERY_PROBE:
            return
        self._last_probe = now
        rows = self.store.sql.write(
            "UPDATE runs SET notify_next_at = :now WHERE id IN (SELECT id FROM runs WHERE "
            "notified_at IS NULL AND notify_error IS NULL AND batch_id IS NULL "
            "AND notify_next_at > :now AND (lease_until IS NULL OR lease_until <= :now) "
            "ORDER BY notify_attempted_at LIMIT 1) RETURNING id",
            {"now": now},
        )
        if rows:
            log.info("trying run %s's waiting result early: is Slack back?", rows[0]["id"])

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
        owed_since = run.finished_at or run.created_at or self.clock()
        if retryable and self.clock() - owed_since < DELIVERY_WINDOW:
            backoff = min(DELIVERY_RETRY_CAP, 2.0 ** min(attempts, 20))
            delay = retry_after if retry_after is not None else backoff
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
