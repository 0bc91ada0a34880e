"""Approvals: a large batch waits until one admin approves or denies it.

`request()` records what is asked (the grid, the rows, the credit estimate); `decide()`
settles it with a single compare-and-set, so when two admins click at once, or one clicks
twice, exactly one decision is applied and the others learn who decided first. What an
approval unlocks is the caller's business: a handler per kind (for batches:
BatchService.approve / deny) runs once, after the decision is stored.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.governance.audit import AuditLog
from bot.store.database import Store

COLUMNS: dict[str, type] = {
    "id": str,
    "kind": str,  # "batch"
    "ref": str,  # the batch id
    "requester": str,
    "grid_id": str,
    "grid_name": str,
    "channel_id": str,
    "rows": int,
    "estimate": float,  # credits, estimated; NULL when unknown yet
    "state": str,  # pending → approved | denied
    "decided_by": str,
    "decided_at": float,
    "created_at": float,
    "messages": str,  # JSON [[channel, ts], …]: where the request was posted
}


@dataclass
class Approval:
    id: str
    kind: str
    ref: str
    requester: str
    grid_id: str
    grid_name: str
    rows: int
    state: str
    created_at: float
    channel_id: str | None = None
    estimate: float | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    messages: list[list[str]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Approval:
        data = {k: row.get(k) for k in COLUMNS if k != "messages"}
        return cls(**data, messages=json.loads(row.get("messages") or "[]"))  # type: ignore[arg-type]


Handler = Callable[[Approval], None]
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM approvals"


class Approvals:
    def __init__(self, store: Store, audit: AuditLog, clock: Callable[[], float] = time.time):
        self.store = store
        self.audit = audit
        self.clock = clock
        self._on_approved: dict[str, Handler] = {}
        self._on_denied: dict[str, Handler] = {}

    def handle(self, kind: str, *, approved: Handler, denied: Handler) -> None:
        self._on_approved[kind] = approved
        self._on_denied[kind] = denied

    def request(
        self,
        kind: str,
        ref: str,
        *,
        requester: str,
        grid_id: str,
        grid_name: str,
        rows: int,
        estimate: float | None,
        channel_id: str | None = None,
    ) -> tuple[Approval, bool]:
        """Record a request once per (kind, ref); returns (approval, created)."""
        existing = self.for_ref(kind, ref)
        if existing is not None:
            return existing, False
        row = {
            "id": uuid.uuid4().hex[:16],
            "kind": kind,
            "ref": ref,
            "requester": requester,
            "grid_id": grid_id,
            "grid_name": grid_name,
            "channel_id": channel_id,
            "rows": rows,
            "estimate": estimate,
            "state": "pending",
            "created_at": self.clock(),
            "messages": "[]",
        }
        if not self.store.sql.insert("approvals", row, ignore_conflict=True):
            found = self.for_ref(kind, ref)
            assert found is not None
            return found, False
        self.audit.record(
            requester,
            "approval_requested",
            grid_id=grid_id,
            grid_name=grid_name,
            rows=rows,
            channel_id=channel_id,
            entry=kind,
            ref=ref,
            estimate=estimate,
        )
        return Approval.from_row(row), True

    def get(self, approval_id: str) -> Approval | None:
        row = self.store.sql.one(f"{_SELECT} WHERE id = :id", {"id": approval_id})
        return Approval.from_row(row) if row else None

    def for_ref(self, kind: str, ref: str) -> Approval | None:
        row = self.store.sql.one(
            f"{_SELECT} WHERE kind = :kind AND ref = :ref", {"kind": kind, "ref": ref}
        )
        return Approval.from_row(row) if row else None

    def pending(self) -> list[Approval]:
        rows = self.store.sql.query(f"{_SELECT} WHERE state = 'pending' ORDER BY created_at, id")
        return [Approval.from_row(r) for r in rows]

    def add_messages(self, approval_id: str, messages: list[tuple[str, str]]) -> None:
        # Read and write in one transaction (the row locked on PostgreSQL): two processes
        # posting the same request at once must both keep their messages.
        lock = " FOR UPDATE" if self.store.sql.postgres else ""
        with self.store.sql.transaction() as tx:
            row = tx.one(
                f"SELECT messages FROM approvals WHERE id = :id{lock}", {"id": approval_id}
            )
            if row is None:
                return
            merged = json.loads(row["messages"] or "[]") + [list(m) for m in messages]
            tx.run(
                "UPDATE approvals SET messages = :messages WHERE id = :id",
                {"messages": json.dumps(merged), "id": approval_id},
            )

    def decide(
        self, approval_id: str, admin: str, *, approve: bool
    ) -> tuple[Approval | None, bool]:
        """Settle a pending request. Returns (approval, applied): applied is False when it
        was already settled (the approval then says by whom) or does not exist."""
        state = "approved" if approve else "denied"
        rows = self.store.sql.write(
            "UPDATE approvals SET state = :state, decided_by = :admin, decided_at = :at "
            f"WHERE id = :id AND state = 'pending' RETURNING {', '.join(COLUMNS)}",
            {"state": state, "admin": admin, "at": self.clock(), "id": approval_id},
        )
        if not rows:
            return self.get(approval_id), False
        approval = Approval.from_row(rows[0])
        self.audit.record(
            admin,
            state,
            grid_id=approval.grid_id,
            grid_name=approval.grid_name,
            rows=approval.rows,
            channel_id=approval.channel_id,
            entry=approval.kind,
            ref=approval.ref,
            requester=approval.requester,
        )
        handler = (self._on_approved if approve else self._on_denied).get(approval.kind)
        if handler is not None:
            handler(approval)
        return approval, True


def wire_batch_approvals(approvals: Approvals, batches: Any) -> None:
    """A decision on a batch moves it (BatchService.approve / deny compare-and-set too)."""
    approvals.handle(
        "batch",
        approved=lambda a: batches.approve(a.ref, a.decided_by or ""),
        denied=lambda a: batches.deny(a.ref, a.decided_by or ""),
    )
