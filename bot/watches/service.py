"""The watches' entry: what the Slack face (and the shell) call. Every change is checked
here, where it happens: only a watch's owner or a bot admin may pause, resume, edit, run or
delete it, whatever payload the request was made from; and every change is audited.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.batches.rows import digest as row_digest
from bot.batches.service import BatchService
from bot.governance.audit import AuditLog
from bot.governance.policy import Policy
from bot.watches.firings import Firings, WatchNotifier
from bot.watches.schedule import Schedule
from bot.watches.store import LIVE_STATES, Firing, Watch, WatchStore, new_id

__all__ = ["Refused", "WatchDraft", "WatchService", "row_key"]


class Refused(Exception):
    """Not allowed, or not possible now; the message is the sentence for the person."""


@dataclass
class WatchDraft:
    """A watch as the form hands it over."""

    owner: str
    grid_id: str
    grid_name: str
    input_keys: list[str]
    rows: list[dict[str, str]]  # each row's inputs, trimmed and non-empty
    outputs: list[dict[str, str]]
    schedule: Schedule
    channel_id: str | None  # None: Only me
    only_changes: bool = False
    team_id: str | None = None
    dedupe_key: str | None = None
    cost_per_row: float | None = None


@dataclass
class Cost:
    """What a watch would spend, for the form before saving."""

    rows: int
    per_row: float | None
    per_month: float  # firings a month
    credits_left: int | None
    needs_approval: bool
    budget_problem: str | None  # a daily budget that one firing would exceed
    person_budget: int | None = None  # rows a day, per person (None: no budget)
    workspace_budget: int | None = None  # rows a day, the whole workspace

    @property
    def monthly(self) -> float | None:
        return None if self.per_row is None else self.rows * self.per_row * self.per_month


def row_key(inputs: dict[str, str]) -> str:
    """A watch row's key is its batch row's digest: the firing's runs are found by it."""
    return row_digest(inputs)


class WatchService:
    def __init__(
        self,
        store: WatchStore,
        batches: BatchService,
        notifier: WatchNotifier,
        *,
        policy: Policy | None = None,
        audit: AuditLog | None = None,
        credits_left: Callable[[], int | None] = lambda: None,
        me: str = "bot",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.batches = batches
        self.notifier = notifier
        self.policy = policy
        self.audit = audit or (policy.audit if policy else None)
        self._clock = clock
        self.firings = Firings(
            store, batches, notifier, policy=policy, audit=self.audit,
            credits_left=credits_left, me=me, clock=lambda: self.clock(),
        )

    def clock(self) -> float:
        return self._clock()

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Tests and the benchmark drive schedules on a clock of their own."""
        self._clock = clock

    # --- the form --------------------------------------------------------------------

    def cost(self, draft: WatchDraft, credits_left: int | None) -> Cost:
        per_row = self.batches.cost_per_run(draft.grid_id) or draft.cost_per_row
        problem = None
        if self.policy is not None:
            decision = self.policy.check_run(
                draft.owner, draft.grid_id, len(draft.rows), entry="watch",
                grid_name=draft.grid_name, record=False,
            )
            problem = None if decision.allowed else decision.sentence
        needs = self.policy.needs_approval(len(draft.rows)) if self.policy else False
        return Cost(len(draft.rows), per_row, draft.schedule.per_month, credits_left, needs,
                    problem, self.policy.person_budget() if self.policy else None,
                    self.policy.workspace_budget() if self.policy else None)

    def create(self, draft: WatchDraft) -> tuple[Watch, bool]:
        """Save a watch once per form; above the approval threshold it waits for an admin.
        Returns (watch, created)."""
        if not draft.rows:
            raise Refused("A watch needs at least one row with every input filled in.")
        if not draft.outputs:
            raise Refused("Pick at least one output to compare.")
        if self.policy is not None and not self.policy.can_run_grid(draft.owner, draft.grid_id):
            raise Refused(f"You don't have access to run this grid. {self.policy.who_to_ask()}")
        now = self.clock()
        hold = self.policy.needs_approval(len(draft.rows)) if self.policy else False
        rows = list({row_key(r): r for r in draft.rows}.items())  # exact duplicates: one
        watch = Watch(
            id=new_id(), owner=draft.owner, grid_id=draft.grid_id, grid_name=draft.grid_name,
            input_keys=draft.input_keys, outputs=draft.outputs, schedule=draft.schedule,
            state="awaiting_approval" if hold else "active", created_at=now,
            channel_id=draft.channel_id, only_changes=int(draft.only_changes),
            dedupe_key=draft.dedupe_key or new_id(), team_id=draft.team_id, rows=len(rows),
            cost_per_row=self.batches.cost_per_run(draft.grid_id) or draft.cost_per_row,
            next_at=draft.schedule.next_after(now), updated_at=now,
        )
        watch, created = self.store.insert(watch, rows)
        if created:
            self._audit(draft.owner, "watch_created", watch,
                        outcome="awaiting_approval" if hold else "active",
                        schedule=watch.schedule.describe(), monthly_credits=watch.monthly_credits)
        return watch, created

    # --- approval (governance/approvals.py calls these once per decision) ---------------

    def approve(self, watch_id: str, admin: str) -> Watch | None:
        now = self.clock()
        watch = self.store.get(watch_id)
        if watch is None:
            return None
        return self.store.move(watch_id, ("awaiting_approval",), state="active",
                               next_at=watch.schedule.next_after(now), updated_at=now)

    def deny(self, watch_id: str, admin: str) -> Watch | None:
        return self.store.move(watch_id, ("awaiting_approval",), state="denied",
                               updated_at=self.clock())

    # --- managing (owner or admin) ------------------------------------------------------

    def get(self, watch_id: str) -> Watch | None:
        return self.store.get(watch_id)

    def listed_for(self, user_id: str) -> list[Watch]:
        """A person's own watches; an admin's list is everyone's."""
        admin = self.policy is not None and self.policy.is_admin(user_id)
        return self.store.owned_by(None if admin else user_id)

    def may_manage(self, watch: Watch, user_id: str) -> bool:
        if user_id and user_id == watch.owner:
            return True
        return self.policy is not None and self.policy.is_admin(user_id)

    def _managed(self, watch_id: str, actor: str, what: str) -> Watch:
        watch = self.store.get(watch_id)
        if watch is None or watch.state not in LIVE_STATES:
            raise Refused("I can't find that watch any more (it may have been deleted).")
        if not self.may_manage(watch, actor):
            if self.audit is not None:
                self.audit.record(actor, "refused", entry="watch", outcome="not_owner",
                                  why=what, watch_id=watch.id, grid_id=watch.grid_id,
                                  grid_name=watch.grid_name)
            raise Refused(f"Only <@{watch.owner}>, who made this watch, or an admin can "
                          f"{what} it.")
        return watch

    def pause(self, watch_id: str, actor: str) -> Watch:
        watch = self._managed(watch_id, actor, "pause")
        moved = self.store.move(watch_id, ("active",), state="paused", pause_code="by_hand",
                                pause_reason=f"paused by <@{actor}>", updated_at=self.clock())
        if moved is None:
            raise Refused("This watch is not running (it may be paused already).")
        self._audit(actor, "watch_paused", watch)
        return moved

    def resume(self, watch_id: str, actor: str) -> Watch:
        """Fire again from the next slot on (no burst of slots missed while paused); a
        firing whose batch paused goes on where it stopped."""
        watch = self._managed(watch_id, actor, "resume")
        now = self.clock()
        moved = self.store.move(watch_id, ("paused",), state="active", pause_code=None,
                                pause_reason=None, next_at=watch.schedule.next_after(now),
                                updated_at=now)
        if moved is None:
            raise Refused("This watch is not paused (it may have been resumed already).")
        current = self.store.in_flight(watch_id)
        if current is not None and current.batch_id:
            self.batches.resume(current.batch_id)
        self._audit(actor, "watch_resumed", watch)
        return moved

    def edit(self, watch_id: str, actor: str, **changes: Any) -> Watch:
        """Change the schedule, the outputs, the channel or "only when something changes"."""
        watch = self._managed(watch_id, actor, "edit")
        allowed = {"schedule", "outputs", "channel_id", "only_changes"}
        unknown = set(changes) - allowed
        if unknown:
            raise Refused(f"A watch's {', '.join(sorted(unknown))} cannot be edited.")
        if "outputs" in changes and not changes["outputs"]:
            raise Refused("Pick at least one output to compare.")
        now = self.clock()
        if "schedule" in changes:
            changes["next_at"] = changes["schedule"].next_after(now)
        if "only_changes" in changes:
            changes["only_changes"] = int(bool(changes["only_changes"]))
        if "channel_id" in changes and changes["channel_id"] != watch.channel_id:
            changes.update(thread_channel=None, thread_ts=None)  # a new thread there
        moved = self.store.move(watch_id, LIVE_STATES, updated_at=now, **changes)
        if moved is None:
            raise Refused("I can't find that watch any more (it may have been deleted).")
        shown = {k: v.describe() if isinstance(v, Schedule) else v for k, v in changes.items()
                 if k in allowed}
        self._audit(actor, "watch_edited", watch, changes=shown)
        return moved

    def run_now(self, watch_id: str, actor: str) -> Firing:
        watch = self._managed(watch_id, actor, "run")
        if watch.state != "active":
            raise Refused(f"This watch is {_state_words(watch.state)}: resume it first.")
        firing = self.firings.run_now(watch)
        if firing is None:
            raise Refused("A firing of this watch is already running; its digest comes soon.")
        self._audit(actor, "watch_run_now", watch, firing_id=firing.id)
        return firing

    def delete(self, watch_id: str, actor: str) -> Watch:
        """No more firings; a firing under way stops sending rows (sent ones finish)."""
        watch = self._managed(watch_id, actor, "delete")
        moved = self.store.move(watch_id, LIVE_STATES, state="deleted", updated_at=self.clock())
        if moved is None:
            raise Refused("I can't find that watch any more (it may have been deleted).")
        current = self.store.in_flight(watch_id)
        if current is not None and current.batch_id:
            self.batches.cancel(current.batch_id, actor)
        self._audit(actor, "watch_deleted", watch)
        return moved

    def last_firing(self, watch: Watch) -> Firing | None:
        return self.store.firing(watch.last_firing_id) if watch.last_firing_id else None

    def in_flight(self, watch: Watch) -> Firing | None:
        return self.store.in_flight(watch.id)

    # --- the scheduler's ticks -----------------------------------------------------------

    def schedule_due(self) -> list[Firing]:
        """The leader's job: due watches get their firing rows."""
        return self.firings.schedule_due()

    def tick(self) -> None:
        """Every process: start, follow and post the firings it claims."""
        self.firings.tick()

    def _audit(self, actor: str, action: str, watch: Watch, **details: Any) -> None:
        if self.audit is not None:
            about = {"watch_id": watch.id, "grid_id": watch.grid_id,
                     "grid_name": watch.grid_name, "channel_id": watch.channel_id,
                     "rows": watch.rows, "entry": "watch"}
            self.audit.record(actor, action, **{**about, **details})


def _state_words(state: str) -> str:
    return {"awaiting_approval": "waiting for an admin's approval", "paused": "paused"}.get(
        state, state
    )

