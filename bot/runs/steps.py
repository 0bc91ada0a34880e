"""Completing the workflow step that waits on a run, exactly once.

A run started by a workflow step (Slack's custom step; nothing Slack-specific here) carries
the step's execution id. Once the run is final and its thread reply (if any) is out, the
notifier completes the step with the outputs or fails it with the run's sentence. The
completion is recorded in SQLite the moment the notifier returns, so a restart completes a
step still owed and never one that was already completed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from bot.runs.types import DeliveryError
from bot.store.database import Store
from bot.store.run_record import FINAL_STATES, Run

log = logging.getLogger(__name__)

MAX_STEP_ATTEMPTS = 12


class StepNotifier(Protocol):
    def complete_step(self, run: Run) -> None:
        """Complete (or fail) the step; raise runs.DeliveryError when it did not happen.
        A `retryable=False` error on a repeated attempt means the step is already closed."""


class StepCompleter:
    def __init__(self, store: Store, notifier: StepNotifier, clock: Callable[[], float]) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock

    # The thread reply goes first (its link is one of the outputs); a reply that can never
    # be posted must not leave the workflow waiting, so a notify_error also lets it through.
    DUE = (
        f"step_execution_id IS NOT NULL AND step_completed_at IS NULL AND step_error IS NULL "
        f"AND state IN {FINAL_STATES} AND (notified_at IS NOT NULL OR notify_error IS NOT NULL)"
    )

    def due(self, now: float, limit: int = 50) -> list[str]:
        rows = self.store.sql.query(
            f"SELECT id FROM runs WHERE {self.DUE} AND (step_next_at IS NULL OR "
            "step_next_at <= :now) ORDER BY finished_at LIMIT :limit",
            {"now": now, "limit": limit},
        )
        return [r["id"] for r in rows]

    def complete(self, run_id: str) -> None:
        now = self.clock()
        claimed = self.store.claim(
            f"id = :id AND {self.DUE}", {"id": run_id}, now=now, lease=60, limit=1
        )
        if not claimed:
            return
        run = claimed[0]
        attempts = run.step_attempts + 1
        self.store.update_run(run.id, step_attempts=attempts)
        try:
            self.notifier.complete_step(run)
        except DeliveryError as exc:
            if not exc.retryable and attempts > 1:
                # Slack no longer has it open: our earlier attempt did get through.
                log.info("step of run %s was already closed (%s)", run.id, exc)
                self.store.update_run(run.id, step_completed_at=self.clock(), lease_until=None)
            elif exc.retryable and attempts < MAX_STEP_ATTEMPTS:
                delay = (
                    exc.retry_after if exc.retry_after is not None else min(300.0, 2.0**attempts)
                )
                log.warning("step of run %s not completed (%s); retry in %.0fs", run.id, exc, delay)
                self.store.update_run(run.id, step_next_at=self.clock() + delay, lease_until=None)
            else:
                log.error("step of run %s cannot be completed: %s", run.id, exc)
                self.store.update_run(run.id, step_error=str(exc) or "failed", lease_until=None)
            return
        except Exception:  # noqa: BLE001 - retried later, never lost
            log.exception("completing the step of run %s failed", run.id)
            self.store.update_run(
                run.id, step_next_at=self.clock() + min(300.0, 2.0**attempts), lease_until=None
            )
            return
        self.store.update_run(run.id, step_completed_at=self.clock(), lease_until=None)
