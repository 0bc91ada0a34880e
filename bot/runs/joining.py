"""Joining a run in flight (part of RunService): a request asking what a pending run asks
(the same join key: reuse.py's same-question rule, or a provider's own key) waits on that
run and gets its result instead of a run of its own; a batch row folds into an identical
run already on its way from elsewhere."""

from __future__ import annotations

import logging

from bot.runs.parts import ServiceParts
from bot.runs.types import ACTIVE_STATES
from bot.store.run_record import Run

log = logging.getLogger(__name__)


class RunJoining(ServiceParts):
    def _join_pending(self, run: Run) -> Run:
        """Wait on an earlier pending run with the same join key, if there is one. One
        statement, so the earlier run cannot finish between the check and the join. A
        joined run keeps in `reused_from_at` when the question it shares was asked (its
        announcement says how long ago)."""
        rows = self.store.sql.write(
            "UPDATE runs SET joined_to = lead.id, state = 'running', "
            "reused_from_at = lead.created_at FROM ("
            "  SELECT id, created_at FROM runs WHERE join_key = :key AND joined_to IS NULL"
            f"  AND state IN {ACTIVE_STATES}"
            # A run already sent leads; of two still queued, the one that came first, so
            # two runs never wait on each other.
            "  AND (state != 'queued' OR seq < (SELECT seq FROM runs WHERE id = :id))"
            "  ORDER BY seq LIMIT 1"
            ") AS lead WHERE runs.id = :id RETURNING joined_to",
            {"key": run.join_key, "id": run.id},
        )
        if not rows:
            return run
        log.info("run %s joins run %s, pending for the same thing", run.id, rows[0]["joined_to"])
        return self.store.get_run(run.id) or run

    def _fold(self, run: Run) -> bool:
        """A batch row joins an identical run already on its way from elsewhere (a form,
        a quick run, the workflow step), by the same rule as any join; True when it did.
        Batch rows never lead: a batch ends its own rows (pauses, expiry) on its own."""
        key = self.results.share_key(run) if self.results is not None else None
        if key is None:
            return False
        rows = self.store.sql.write(
            "UPDATE runs SET joined_to = lead.id, state = 'running', "
            "reused_from_at = lead.created_at FROM ("
            "  SELECT id, created_at FROM runs WHERE join_key = :key AND joined_to IS NULL"
            f"  AND batch_id IS NULL AND state IN {ACTIVE_STATES} ORDER BY seq LIMIT 1"
            ") AS lead WHERE runs.id = :id AND runs.state = 'queued' AND runs.joined_to IS NULL "
            "RETURNING joined_to",
            {"key": key, "id": run.id},
        )
        if rows:
            log.info("batch row %s joins run %s, asking the same", run.id, rows[0]["joined_to"])
        return bool(rows)
