"""When batches stop on their own: a row failing with a code that would fail every row
(the provider names them), the workspace out of credits, rows the provider never finishes.
A paused batch keeps its rows queued and offers Resume once someone has fixed the cause."""

from __future__ import annotations

import statistics
import threading

from bot.batches.store import Batch, BatchStore
from bot.providers.base import BatchProvider
from bot.store.run_record import Run

CREDITS_EXHAUSTED = (
    "The workspace has run out of {label} credits. Top up (or wait for the next billing "
    "period), then press Resume."
)


class Stops:
    def __init__(
        self,
        store: BatchStore,
        provider: BatchProvider,
        *,
        credit_check_seconds: float,
        expiry_seconds: float,
    ) -> None:
        self.store = store
        self.provider = provider
        self.credit_check_seconds = credit_check_seconds
        self.expiry_seconds = expiry_seconds
        self._last_credit_check = 0.0

    def pause(self, batch_id: str, code: str, reason: str) -> bool:
        return self.store.move(
            batch_id,
            ("running",),
            state="paused",
            pause_code=code,
            pause_reason=reason,
            pause_notified=0,
        )

    def row_stopped(self, run: Run) -> bool:
        """A batch row that hit a batch-wide stop goes back to the queue and pauses its
        batch (True); any other row is left alone (False)."""
        if not run.batch_id or run.error_code not in self.provider.batch_stop_codes:
            return False
        self.store.sql.run(
            "UPDATE runs SET state = 'queued', finished_at = NULL, submitted_at = NULL, "
            "error_code = NULL, error_message = NULL, request_id = NULL WHERE id = :id",
            {"id": run.id},
        )
        self.pause(run.batch_id, run.error_code or "", run.error_message or "")
        return True

    def check_credits_soon(self) -> None:
        """Look at the credits again before spending (after a Resume)."""
        self._last_credit_check = 0.0

    def check_credits(self, now: float, batches: list[Batch]) -> None:
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

    def expire_rows(self, now: float) -> None:
        """A row that the provider has had for RUN_EXPIRY_MINUTES expires on its own; the
        batch never expires as a whole while rows are progressing."""
        minutes = round(self.expiry_seconds / 60)
        self.store.sql.run(
            "UPDATE runs SET state = 'expired', finished_at = :now, error_message = :why "
            "WHERE batch_id IS NOT NULL AND state = 'running' AND submitted_at <= :cut",
            {
                "now": now,
                "why": f"The row did not finish within {minutes} minutes, so the bot stopped "
                "waiting.",
                "cut": now - self.expiry_seconds,
            },
        )


class RowTimings:
    """How long a batch's rows take, so the run core polls a row first when rows usually end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._durations: dict[str, list[float]] = {}

    def record(self, run: Run) -> None:
        if run.batch_id and run.state == "completed" and run.submitted_at and run.finished_at:
            took = run.finished_at - run.submitted_at
            with self._lock:
                seen = self._durations.setdefault(run.batch_id, [])
                seen.append(took)
                del seen[:-50]

    def first_poll(self, run: Run) -> float:
        """The run core's hint: poll a batch row first when its grid's rows usually finish."""
        if not run.batch_id:
            return 0.0
        with self._lock:
            seen = list(self._durations.get(run.batch_id, []))
        if len(seen) < 3:
            return 0.0
        return min(60.0, statistics.median(seen) * 0.9)
