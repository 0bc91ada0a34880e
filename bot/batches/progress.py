"""What a batch tells people: its counts (the progress message), its end report (the
summary) and the notifier interface the Slack face implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.batches.store import Batch

WAITING_STATES = ("queued", "submitting", "running")


@dataclass
class Progress:
    """A batch's counts, in rows of the sheet (an exact duplicate row counts as the row
    it is, though it shares its run); skipped rows are the batch's own count."""

    runs_total: int  # rows that get a result: the sheet's rows less the skipped ones
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
    result: bytes | None  # the enriched file


def measure(batch: Batch, counts: dict[str, int], now: float) -> Progress:
    """The progress of `batch` from its runs' counts by state."""
    reused = counts.get("reused", 0)
    done = counts.get("completed", 0) + reused
    waiting = sum(counts.get(s, 0) for s in WAITING_STATES)
    cancelled = counts.get("cancelled", 0)
    failed = sum(counts.values()) - done - waiting - cancelled
    rate = eta = None
    sent = done - reused + failed  # reused rows take no time: not in the rate
    if batch.started_at and sent:
        elapsed = max(1e-6, (batch.finished_at or now) - batch.started_at)
        rate = sent / elapsed
        eta = waiting / rate if waiting and batch.state == "running" else None
    total = max(batch.rows_total - batch.rows_skipped, sum(counts.values()))
    return Progress(total, done, failed, waiting, cancelled, rate, eta, reused)


class BatchNotifier(Protocol):
    """How the core tells people about a batch (the Slack face implements it)."""

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
