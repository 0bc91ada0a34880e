"""Firings: from a due watch to one digest in its thread, exactly once.

1. `schedule_due` (the leader only): a due watch gets a firing row keyed by (watch,
   scheduled time). The insert is the exactly-once point: a second insert of the same key,
   by a restart, another process or a second tick in the same second, is a no-op. Slots
   missed while the bot was down become one firing, for the latest slot, that says so.
2. `start` (any process, claimed): check the budgets and credits, then hand the rows to the
   batch machinery as a fresh batch (never the reuse cache) whose dedupe key is the firing:
   a crash between the two finds the same batch again.
3. `follow` (any process, claimed): when the batch has ended, compare each row with its last
   known values and store the digest and the new baseline in one transaction; a paused
   batch (credits ran out, a provider-wide stop) pauses the watch and tells its owner.
4. post (any process, claimed; digest_posts.py): the digest goes to the watch's thread
   once (a post that may have gone out before a crash is looked for before posting again),
   then its table is attached once, by a later pass if the upload failed or the process
   stopped in between.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from bot.batches.service import BatchService
from bot.governance.audit import AuditLog
from bot.governance.policy import Policy
from bot.watches.digest import (
    Digest,
    RowOutcome,
    build,
    compare_all,
    csv_text,
    result_line,
    values_of,
)
from bot.watches.digest_posts import DigestPosts
from bot.watches.firing_batch import firing_batch
from bot.watches.store import Firing, Watch, WatchStore

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
MAX_MISSED_COUNTED = 1000
ENDED = ("done", "cancelled", "denied")
CREDITS_FRESH = 10.0


class WatchNotifier(Protocol):
    """How the core tells people about a watch (the Slack face implements it)."""

    def open_thread(self, watch: Watch) -> tuple[str, str]:
        """Post the watch's own message; (channel, ts) of the thread digests go to."""
        ...

    def digest_posted(self, watch: Watch, firing: Firing) -> bool:
        """Whether the thread already holds this firing's digest (after a crash)."""
        ...

    def post_digest(self, watch: Watch, firing: Firing, digest: Digest) -> None:
        """Post the digest in the thread (its metadata names the firing)."""
        ...

    def attach_table(self, watch: Watch, firing: Firing, table: str) -> None:
        """Attach the digest's CSV in the thread; raise when Slack may take it later."""
        ...

    def paused(self, watch: Watch) -> None:
        """Tell the owner why the watch paused and how to resume it."""
        ...


class Firings:
    def __init__(
        self,
        store: WatchStore,
        batches: BatchService,
        notifier: WatchNotifier,
        *,
        policy: Policy | None,
        audit: AuditLog | None,
        credits_left: Callable[[], int | None],
        me: str,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.batches = batches
        self.notifier = notifier
        self.policy = policy
        self.audit = audit
        self.credits_left = credits_left
        self.me = me
        self.clock = clock
        self._credits_read: tuple[float, int | None] | None = None
        self.posts = DigestPosts(store, notifier, me=me, clock=clock)

    # --- 1. the leader makes due firings ---------------------------------------------

    def schedule_due(self) -> list[Firing]:
        now = self.clock()
        made = []
        for watch in self.store.due(now):
            assert watch.next_at is not None
            slot = watch.schedule.last_at_or_before(now) or watch.next_at
            slot = max(slot, watch.next_at)
            missed = self._slots_between(watch, watch.next_at, slot)
            firing = self.store.add_firing(watch.id, slot, kind="scheduled", missed=missed,
                                           now=now)
            self.store.advance(watch.id, watch.next_at, watch.schedule.next_after(now))
            if firing is not None:
                made.append(firing)
        return made

    def _slots_between(self, watch: Watch, first: float, last: float) -> int:
        """How many slots from `first` up to (not counting) `last` were never fired."""
        count, at = 0, first
        while at < last and count < MAX_MISSED_COUNTED:
            count += 1
            at = watch.schedule.next_after(at)
        return count

    def run_now(self, watch: Watch) -> Firing | None:
        """A firing outside the schedule, unless one is already on its way."""
        if self.store.in_flight(watch.id) is not None:
            return None
        now = self.clock()
        return self.store.add_firing(watch.id, now, kind="manual", missed=0, now=now)

    # --- 2. start ----------------------------------------------------------------------

    def start_claimed(self) -> None:
        now = self.clock()
        for firing in self.store.claim("starting", me=self.me, now=now, lease=LEASE_SECONDS):
            try:
                self.start(firing)
            except Exception:  # noqa: BLE001 - the lease runs out and it is tried again
                log.exception("firing %s could not start", firing.id)

    def start(self, firing: Firing) -> None:
        watch = self.store.get(firing.watch_id)
        now = self.clock()
        if watch is None or watch.state != "active":
            state = watch.state if watch else "deleted"
            self.store.set_firing(firing.id, state="skipped", reason=f"the watch is {state}",
                                  finished_at=now, lease_until=None)
            return
        earlier = self.store.in_flight(watch.id)
        if earlier is not None and earlier.id != firing.id and earlier.state != "starting":
            # The last firing is still running: this one waits for it (its lease ends soon).
            self.store.set_firing(firing.id, lease_until=now + 5)
            return
        rows = self.store.rows(watch.id)
        refusal = self._refusal(watch, len(rows))
        if refusal is not None:
            code, why = refusal
            self.store.set_firing(firing.id, state="skipped", reason=why, finished_at=now,
                                  lease_until=None)
            self.pause(watch, code, why)
            return
        if not watch.thread_ts:
            channel, ts = self.notifier.open_thread(watch)
            self.store.move(watch.id, ("active",), thread_channel=channel, thread_ts=ts)
        request = firing_batch(watch, firing, rows, self.batches.store.files)
        batch, created = self.batches.create(request, urgent=False)
        self.store.set_firing(firing.id, state="running", batch_id=batch.id, started_at=now,
                              lease_until=None)
        if created and self.audit is not None:
            self.audit.record(
                watch.owner, "batch", grid_id=watch.grid_id, grid_name=watch.grid_name,
                channel_id=watch.channel_id, rows=len(rows), entry="watch",
                outcome="started", batch_id=batch.id, watch_id=watch.id,
            )

    def _refusal(self, watch: Watch, rows: int) -> tuple[str, str] | None:
        """(code, sentence) when this firing may not spend: budgets first, then credits."""
        if self.policy is not None:
            decision = self.policy.check_run(
                watch.owner, watch.grid_id, rows, entry="watch", grid_name=watch.grid_name
            )
            if not decision.allowed:
                return decision.reason or "budget", decision.sentence
        cost = self.batches.cost_per_run(watch.grid_id) or watch.cost_per_row
        left = self._credits()
        if cost is not None and left is not None and rows * cost > left:
            return "credits", (
                f"This firing would cost about {rows * cost:,.0f} credits and the workspace "
                f"has {left:,} left."
            )
        return None

    def _credits(self) -> int | None:
        """Credits left, read at most every CREDITS_FRESH seconds: a hundred watches due at
        the same minute cost one read of the workspace, not a hundred."""
        now = self.clock()
        if self._credits_read is None or now - self._credits_read[0] > CREDITS_FRESH:
            try:
                left = self.credits_left()
            except Exception:  # noqa: BLE001 - unknown credits do not stop a firing
                left = None
            self._credits_read = (now, left)
        return self._credits_read[1]

    # --- 3. follow the batch to its end ------------------------------------------------

    def follow_claimed(self) -> None:
        now = self.clock()
        for firing in self.store.claim("running", me=self.me, now=now, lease=LEASE_SECONDS):
            try:
                self.follow(firing)
            except Exception:  # noqa: BLE001 - tried again when the lease ends
                log.exception("firing %s could not be followed", firing.id)

    def follow(self, firing: Firing) -> None:
        now = self.clock()
        batch = self.batches.get(firing.batch_id or "")
        watch = self.store.get(firing.watch_id)
        if batch is None or watch is None:
            self.store.set_firing(firing.id, state="skipped", reason="its batch is gone",
                                  finished_at=now, lease_until=None)
            return
        if batch.state == "paused" and watch.state == "active":
            self.pause(watch, batch.pause_code or "paused", batch.pause_reason or "")
        if batch.state not in ENDED or not batch.file_posted_at:
            self.store.set_firing(firing.id, lease_until=now + 0.5)  # look again shortly
            return
        outcomes = self._outcomes(watch, firing)
        compared = compare_all(outcomes, watch.outputs)  # once, for the digest and the file
        digest = build(
            outcomes, watch.outputs, watch.input_keys, compared=compared,
            late_by=max(0.0, (firing.started_at or now) - firing.scheduled_at)
            if firing.kind == "scheduled" else 0.0,
            missed=firing.missed,
        )
        table = csv_text(outcomes, watch.outputs, watch.input_keys, compared)
        baseline = [
            (o.key, {**(o.known or {}), **(o.values or {})} if o.ok else None,
             "ok" if o.ok else "failed", o.error)
            for o in outcomes
        ]
        if self.store.settle(firing.id, digest.to_json(), table, baseline, watch.id, now):
            self.store.move(watch.id, tuple(s for s in ("active", "paused")),
                            last_firing_id=firing.id, last_result=result_line(digest),
                            last_at=now)

    def _outcomes(self, watch: Watch, firing: Firing) -> list[RowOutcome]:
        found = self.store.batch_rows(firing.batch_id or "")
        ids = [o["id"] for o in watch.outputs]
        outcomes = []
        for row in self.store.rows(watch.id):
            state, outputs, error = found.get(row.key, ("missing", None, None))
            values = values_of(outputs, ids) if outputs is not None else None
            outcomes.append(RowOutcome(row.key, row.inputs, row.known, state, values, error))
        return outcomes

    # --- pausing -----------------------------------------------------------------------

    def pause(self, watch: Watch, code: str, why: str) -> None:
        """Stop firing until the owner resumes; they are told why and how."""
        paused = self.store.move(watch.id, ("active",), state="paused", pause_code=code,
                                 pause_reason=why, updated_at=self.clock())
        if paused is None:
            return
        if self.audit is not None:
            self.audit.record("bot", "watch_paused", watch_id=watch.id, grid_id=watch.grid_id,
                              grid_name=watch.grid_name, outcome=code, why=why)
        try:
            self.notifier.paused(paused)
        except Exception as exc:  # noqa: BLE001 - the list and Home still say paused
            log.warning("owner of watch %s not told of the pause: %s", watch.id, exc)

    def tick(self) -> None:
        """Everything but scheduling, which the leader does (see `schedule_due`)."""
        self.start_claimed()
        self.follow_claimed()
        self.posts.post_claimed()
        self.posts.attach_claimed()
