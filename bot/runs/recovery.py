"""What is left after a crash or a long silence: runs cut off while being sent are told at
start-up, runs past the expiry end, and a jump of the system clock is reported (part of
RunService)."""

from __future__ import annotations

import logging
from typing import Any

from bot.runs.clock import JUMP_TOLERANCE
from bot.runs.parts import ServiceParts
from bot.runs.types import (
    EXPIRED_MESSAGE,
    INTERRUPTED_MESSAGE,
    STALE_SUBMIT_FLOOR,
    STALE_SUBMIT_MESSAGE,
)

log = logging.getLogger(__name__)


# A live process renews the lease named this plus its instance id (bot/store/leases.py);
# once it lapses, the process is gone and what it was sending is reported cut off.
INSTANCE_LEASE = "instance:"


class RunRecovery(ServiceParts):
    def recover(self, *, shared: bool = False) -> int:
        """At start-up: runs cut off mid-submission are told, never re-sent blindly.

        Alone on the database (SQLite, whose instance lock keeps any other process out),
        every other owner is gone and every claim is stale. `shared` (PostgreSQL, several
        processes): only runs whose owner's instance lease has lapsed, and other processes'
        claims stand.
        """
        if not shared:
            self.store.sql.run("UPDATE runs SET lease_until = NULL WHERE lease_until IS NOT NULL")
        return self.interrupt_orphans(self.clock(), shared=shared)

    def interrupt_orphans(self, now: float, *, shared: bool = True) -> int:
        """Runs whose request may have left from a process that is gone end "interrupted"
        (the exposure rule: never sent twice). Run by the leader every few seconds when
        processes share the database, so a killed process's runs are told within 30 s."""
        gone = "owner IS NULL OR owner != :me"
        if shared:
            gone = (
                "owner IS NULL OR (owner != :me AND NOT EXISTS (SELECT 1 FROM leases "
                "WHERE leases.name = :prefix || runs.owner AND leases.lease_until > :now))"
            )
        rows = self.store.sql.write(
            "UPDATE runs SET state = 'interrupted', finished_at = :now, "
            "error_code = 'INTERRUPTED', error_message = :message WHERE state = 'submitting' "
            f"AND ({gone}) RETURNING id, provider",
            {
                "now": now,
                "message": INTERRUPTED_MESSAGE,
                "me": self.instance_id,
                "prefix": INSTANCE_LEASE,
            },
        )
        for row in rows:
            log.warning("run %s was cut off while submitting; telling its requester", row["id"])
            provider = self.providers.find(row["provider"])
            if provider is not None:
                self.store.update_run(row["id"], error_message=provider.interrupted_note)
            self._finish_followers(row["id"])
        return len(rows)

    def _expire_overdue(self, now: float) -> None:
        minutes = round(self.expiry_seconds / 60)
        rows = self.store.sql.write(
            "UPDATE runs SET state = 'expired', finished_at = :now, "
            "error_message = :message || COALESCE(' Last problem: ' || error_message, '') "
            "WHERE state IN ('queued', 'running') AND joined_to IS NULL "
            "AND COALESCE(counted_from, created_at) <= :cut "
            "AND batch_id IS NULL RETURNING id",
            {
                "now": now,
                "message": EXPIRED_MESSAGE.format(minutes=minutes),
                "cut": now - self.expiry_seconds,
            },
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
        candidates = self.store.sql.query(
            "SELECT id FROM runs WHERE state = 'submitting' "
            "AND COALESCE(submitted_at, created_at) <= :cut",
            {"cut": stale_before},
        )
        with self._busy_lock:
            ids = [r["id"] for r in candidates if r["id"] not in self._busy]
        minutes = round(self.expiry_seconds / 60)
        expired: list[dict[str, Any]] = []
        for run_id in ids:
            expired += self.store.sql.write(
                "UPDATE runs SET state = 'expired', finished_at = :now, error_message = :message "
                "WHERE id = :id AND state = 'submitting' RETURNING id",
                {
                    "now": now,
                    "message": EXPIRED_MESSAGE.format(minutes=minutes) + STALE_SUBMIT_MESSAGE,
                    "id": run_id,
                },
            )
        return expired

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
