"""The end of a batch: measure what it cost, write the enriched file, post the summary
exactly once (a lease guards the reply; a reply that may have gone out is looked for
before posting again) and attach the file. Both steps are claimed under the same lease: a
file not attached (its upload failed, the process stopped after the summary) is attached
by a later pass, of this process or another, without the summary again; a file still not
attached FILE_GIVE_UP_SECONDS after its summary is given up (a firing's digest waits for
it)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from bot.batches.progress import BatchNotifier, Progress, Report
from bot.batches.rows import RowResult, write_result
from bot.batches.store import Batch, BatchStore
from bot.store.files import FileMissing

log = logging.getLogger(__name__)

REPLY_LEASE_SECONDS = 120.0  # a process gone mid-step: another takes the step over after it
RETRY_SECONDS = 10.0  # a step that failed in a process still running: tried again after it
FILE_GIVE_UP_SECONDS = 3600.0


class Finisher:
    def __init__(
        self,
        store: BatchStore,
        notifier: BatchNotifier,
        credits_left: Callable[[], int | None],
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.credits_left = credits_left
        self.clock = clock

    def finish(self, batch: Batch, progress: Progress) -> None:
        """Write the enriched file, post the summary exactly once and attach the file."""
        now = self.clock()
        claimed = self.store.sql.write(
            "UPDATE batches SET reply_lease = :until WHERE id = :id AND file_posted_at IS NULL "
            "AND (reply_lease IS NULL OR reply_lease <= :now) RETURNING id",
            {"until": now + REPLY_LEASE_SECONDS, "id": batch.id, "now": now},
        )
        if not claimed:
            return
        batch = self.store.get(batch.id) or batch  # as claimed: the summary may be out
        try:
            self._finish(batch, progress, now)
        except Exception:
            # Tried again soon (by this process or another), not once the claim runs out.
            try:
                self.store.update(batch.id, reply_lease=now + RETRY_SECONDS)
            except Exception:  # noqa: BLE001 - the database gone too: the claim lapses
                log.warning("batch %s's end is tried again in %.0f s", batch.id,
                            REPLY_LEASE_SECONDS)
            raise

    def _finish(self, batch: Batch, progress: Progress, now: float) -> None:
        posted = batch.reply_posted_at  # set: an earlier pass posted it, only the file is owed
        if posted is not None and now - posted > FILE_GIVE_UP_SECONDS:
            log.warning("the file of batch %s was given up: not attached within %.0f s of its "
                        "summary", batch.id, FILE_GIVE_UP_SECONDS)
            self.store.update(batch.id, file_posted_at=now)
            return
        if batch.credits_after is None:
            self._measure_cost(batch)
        enriched = self._enriched(batch)
        report = Report(progress, self.store.failure_reasons(batch.id), enriched)
        if posted is None and not self._post_summary(batch, report, now):
            return
        batch = self.store.get(batch.id) or batch
        try:
            self.notifier.attach_batch_result(batch, report)
        except Exception as exc:  # noqa: BLE001 - attached by a later pass, the summary kept
            log.warning("file of batch %s not attached: %s", batch.id, exc)
            self.store.update(batch.id, reply_lease=now + RETRY_SECONDS)
            return
        self.store.update(batch.id, file_posted_at=self.clock())

    def _post_summary(self, batch: Batch, report: Report, now: float) -> bool:
        """Post the summary unless it went out before a crash; whether it is out now."""
        if batch.reply_attempted_at and self._safe_reply_exists(batch):
            self.store.update(batch.id, reply_posted_at=now)
            return True
        self.store.update(batch.id, reply_attempted_at=now)
        try:
            self.notifier.batch_finished(batch, report)
        except Exception as exc:  # noqa: BLE001 - the lease runs out; tried again
            log.warning("summary of batch %s not posted: %s", batch.id, exc)
            self.store.update(batch.id, reply_lease=now + RETRY_SECONDS)
            return False
        self.store.update(batch.id, reply_posted_at=self.clock())
        return True

    def _safe_reply_exists(self, batch: Batch) -> bool:
        try:
            return self.notifier.batch_reply_exists(batch)
        except Exception:  # noqa: BLE001 - unknown: post (a rare double beats a lost reply)
            return False

    def _enriched(self, batch: Batch) -> bytes:
        """The enriched file, written once and kept with the batch (a second try after a
        failed post sends the same file)."""
        files = self.store.files
        if batch.result_file_id:
            try:
                return files.get(batch.result_file_id)
            except FileMissing:
                pass  # pruned meanwhile: write it again
        sql = self.store.sql

        def lookup(row_digest: str) -> RowResult | None:
            found = sql.one(
                "SELECT state, outputs, error_message, reused_from_at FROM runs "
                "WHERE dedupe_key = :key",
                {"key": f"batch:{batch.id}:{row_digest}"},
            )
            if found is None:
                return None
            outputs = json.loads(found["outputs"]) if found["outputs"] else None
            return RowResult(
                found["state"], outputs, found["error_message"], found["reused_from_at"]
            )

        data = write_result(self.store.csv_info(batch), batch.mapping, batch.outputs, lookup)
        file_id = files.put("enriched", f"{batch.file_name} (enriched)", data, owner=batch.id)
        self.store.update(batch.id, result_file_id=file_id)
        return data

    def _measure_cost(self, batch: Batch) -> None:
        """Credits before minus after, over the rows the provider ran: this grid's cost per
        run (blurred if other runs spent credits meanwhile; it is an estimate and says so)."""
        after = self.credits_left()
        if after is None:
            return
        self.store.update(batch.id, credits_after=after)
        sent = self.store.store.count_runs(
            "batch_id = :batch AND submitted_at IS NOT NULL", {"batch": batch.id}
        )
        if batch.credits_before is None or sent == 0:
            return
        spent = batch.credits_before - after
        if spent >= 0:
            self.store.save_grid_cost(batch.grid_id, spent / sent, sent, self.clock())
