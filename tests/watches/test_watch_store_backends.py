"""Watches behave the same on SQLite and PostgreSQL: saving, editing and pausing a watch,
its rows and their last known values, firings, and claims by several processes at once."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from bot.runs.recovery import INSTANCE_LEASE
from bot.store.database import Store
from bot.store.leases import LeaderLease
from bot.watches.firings import Firings
from bot.watches.schedule import Schedule
from bot.watches.service import Refused, WatchDraft, WatchService, row_key
from bot.watches.store import WatchStore
from tests.factories import Clock, make_run

TZ = "Europe/Berlin"
DAILY = Schedule("daily", "09:00", TZ)
WEEKLY = Schedule("weekly", "09:00", TZ, weekday=0)
OUTPUTS = [{"id": "emp", "name": "Employees"}]


@dataclass
class Batch:
    id: str
    state: str = "done"
    file_posted_at: float | None = 1.0
    pause_code: str | None = None
    pause_reason: str | None = None


class Batches:
    """The batch machinery as the watches see it: every batch has ended and been posted."""

    def cost_per_run(self, grid_id: str) -> float | None:
        return 2.0

    def get(self, batch_id: str) -> Batch:
        return Batch(batch_id)


def service(store: Store, clock: Clock) -> WatchService:
    return WatchService(WatchStore(store), Batches(), None, clock=clock)  # type: ignore[arg-type]


def draft(**overrides) -> WatchDraft:
    fields = dict(
        owner="U0ANA",
        grid_id="g1",
        grid_name="Company Enrichment",
        input_keys=["company_name"],
        rows=[{"company_name": "Acme"}, {"company_name": "Globex"}, {"company_name": "Acme"}],
        outputs=OUTPUTS,
        schedule=DAILY,
        channel_id="C1",
        dedupe_key="form-1",
    )
    fields.update(overrides)
    return WatchDraft(**fields)


def test_a_watch_is_saved_once_edited_and_paused(database_target):
    store, clock = Store(database_target), Clock(1_774_000_000.0)
    watches = service(store, clock)
    watch, created = watches.create(draft(only_changes=True))
    assert created and watch.state == "active" and watch.rows == 2  # the duplicate: one row
    again, created_again = watches.create(draft(only_changes=True))  # the form sent twice
    assert not created_again and again.id == watch.id
    saved = watches.get(watch.id)
    assert saved.only_changes == 1 and saved.cost_per_row == 2.0
    assert saved.schedule == DAILY and saved.outputs == OUTPUTS
    assert [w.id for w in watches.listed_for("U0ANA")] == [watch.id]
    assert watches.listed_for("U0BOB") == []

    edited = watches.edit(watch.id, "U0ANA", schedule=WEEKLY, only_changes=False)
    assert edited.schedule == WEEKLY and edited.only_changes == 0
    assert edited.next_at == WEEKLY.next_after(clock.now)
    try:
        watches.pause(watch.id, "U0BOB")
        raise AssertionError("someone else paused Ana's watch")
    except Refused:
        pass
    paused = watches.pause(watch.id, "U0ANA")
    assert paused.state == "paused" and paused.pause_reason == "paused by <@U0ANA>"
    clock.now = WEEKLY.next_after(clock.now) + 3600
    assert watches.store.due(clock.now) == []  # paused: not due
    resumed = watches.resume(watch.id, "U0ANA")
    assert resumed.state == "active" and resumed.pause_code is None
    watches.delete(watch.id, "U0ANA")
    assert watches.listed_for("U0ANA") == []
    store.close()


def test_rows_are_stored_and_each_firing_is_diffed_against_the_last(database_target):
    store, clock = Store(database_target), Clock(1_774_000_000.0)
    watches = service(store, clock)
    watch, _ = watches.create(draft())
    rows = watches.store.rows(watch.id)
    assert [(r.inputs["company_name"], r.known) for r in rows] == [("Acme", None), ("Globex", None)]
    firings = Firings(watches.store, Batches(), None, policy=None, audit=None,  # type: ignore[arg-type]
                      credits_left=lambda: None, me="p1", clock=clock)  # fmt: skip

    def fire(batch_id: str, employees: dict[str, int | None]) -> str | None:
        """One firing whose batch found these employee counts (None: the row failed)."""
        firing = watches.store.add_firing(watch.id, clock.now, kind="manual", missed=0,
                                          now=clock.now)  # fmt: skip
        watches.store.set_firing(firing.id, state="running", batch_id=batch_id, started_at=1.0)
        for n, row in enumerate(rows):
            value = employees[row.inputs["company_name"]]
            store.insert_run(make_run(
                id=f"{batch_id}-{n}", batch_id=batch_id, dedupe_key=f"batch:{batch_id}:{row.key}",
                state="failed" if value is None else "completed",
                error_message="not found" if value is None else None,
                outputs=None if value is None else {"emp": {"value": value, "name": "Employees"}},
            ))  # fmt: skip
        firings.follow(watches.store.firing(firing.id))
        clock.now += 60
        return watches.get(watch.id).last_result

    assert fire("b1", {"Acme": 120, "Globex": 40}) == "first check: 2 accounts recorded"
    assert {r.key: r.known for r in watches.store.rows(watch.id)} == {
        row_key({"company_name": "Acme"}): {"emp": 120},
        row_key({"company_name": "Globex"}): {"emp": 40},
    }
    assert fire("b2", {"Acme": 150, "Globex": 40}) == "1 of 2 changed"
    latest = watches.last_firing(watches.get(watch.id))
    assert latest.state == "digested" and latest.digest["changed"][0]["label"] == "Acme"
    assert "150" in latest.csv
    # a failing row keeps its last known values for the next comparison
    assert fire("b3", {"Acme": 150, "Globex": None}) == "0 of 2 changed, 1 failing"
    globex = {r.key: r for r in watches.store.rows(watch.id)}[row_key({"company_name": "Globex"})]
    assert (globex.known, globex.status, globex.error) == ({"emp": 40}, "failed", "not found")
    assert fire("b4", {"Acme": 150, "Globex": 45}) == "1 of 2 changed"
    store.close()


def test_a_firing_is_recorded_once_and_followed_through_its_states(database_target):
    store = Store(database_target)
    watches = service(store, Clock(1_774_000_000.0))
    watch, _ = watches.create(draft())
    first = watches.store.add_firing(watch.id, 500.0, kind="scheduled", missed=2, now=10.0)
    assert first is not None
    assert watches.store.add_firing(watch.id, 500.0, kind="scheduled", missed=0, now=11.0) is None
    assert watches.store.in_flight(watch.id).id == first.id
    watches.store.set_firing(first.id, state="skipped", reason="the watch is paused")
    assert watches.store.in_flight(watch.id) is None
    (stored,) = watches.store.firings_of(watch.id)
    assert (stored.state, stored.reason, stored.missed) == ("skipped", "the watch is paused", 2)
    assert watches.store.advance(watch.id, watch.next_at, watch.next_at + 86400)
    assert not watches.store.advance(watch.id, watch.next_at, watch.next_at + 2 * 86400)
    store.close()


def claim_at_once(processes: list[WatchStore], now: float) -> dict[str, list[str]]:
    """Each "process" claims the starting firings from its own thread, all at one instant."""
    barrier = threading.Barrier(len(processes))
    won: dict[str, list[str]] = {}

    def claim(me: str, watches: WatchStore) -> None:
        barrier.wait()
        won[me] = [f.id for f in watches.claim("starting", me=me, now=now, lease=60)]

    threads = [threading.Thread(target=claim, args=(f"p{n}", w)) for n, w in enumerate(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won


def test_two_processes_claiming_the_same_firing_at_once_one_gets_it(database_target):
    setup = Store(database_target)
    watch, _ = service(setup, Clock(1_774_000_000.0)).create(draft())
    processes = [WatchStore(Store(database_target)) for _ in range(2)]
    for n, watches in enumerate(processes):  # alive, as every process is once started
        LeaderLease(watches.store, f"p{n}", name=INSTANCE_LEASE + f"p{n}", says=None).renew()
    for round_ in range(10):
        firing = processes[0].add_firing(
            watch.id, 1000.0 + round_, kind="scheduled", missed=0, now=float(round_)
        )
        won = claim_at_once(processes, now=100.0 + round_)
        winners = [me for me, ids in won.items() if ids]
        assert len(winners) == 1 and won[winners[0]] == [firing.id], won
        assert processes[1].firing(firing.id).owner == winners[0]
        processes[0].set_firing(firing.id, state="skipped", lease_until=None)
    for watches in processes:
        watches.store.close()
    setup.close()


def wake_at_once(leaders: list[WatchService]) -> list[int]:
    """Each leader schedules due watches from its own thread, all at one instant."""
    barrier = threading.Barrier(len(leaders))
    made: list[int] = []

    def wake(leader: WatchService) -> None:
        barrier.wait()
        made.append(len(leader.schedule_due()))

    threads = [threading.Thread(target=wake, args=(leader,)) for leader in leaders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return made


def test_four_leaders_waking_at_the_same_second_make_one_firing(database_target):
    """A leadership hand-over can leave two schedulers for a moment: each due slot is still
    one firing, however many wake at once, each on its own connection."""
    setup = Store(database_target)
    clock = Clock(1_774_000_000.0)
    watch, _ = service(setup, clock).create(draft())
    now = watch.next_at + 1
    leaders = [service(Store(database_target), Clock(now)) for _ in range(4)]
    for round_ in range(3):
        made = wake_at_once(leaders)
        assert sorted(made) == [0, 0, 0, 1], (round_, made)
        nxt = leaders[0].store.get(watch.id).next_at
        for leader in leaders:
            leader.set_clock(Clock(nxt + 1))
    assert len(leaders[0].store.firings_of(watch.id)) == 3
    for leader in leaders:
        leader.store.store.close()
    setup.close()


def test_a_firing_held_by_a_process_that_stopped_is_taken_over_at_once(database_target):
    """A deploy stops a process in the middle of a step: its firing is not left waiting out
    the step's lease (a minute) once the process is gone; a live process keeps its own."""
    setup = Store(database_target)
    watch, _ = service(setup, Clock(1_774_000_000.0)).create(draft())
    old, new = (WatchStore(Store(database_target)) for _ in range(2))
    alive = LeaderLease(old.store, "p-old", name=INSTANCE_LEASE + "p-old", says=None)
    alive.renew()
    firing = old.add_firing(watch.id, 1000.0, kind="scheduled", missed=0, now=10.0)
    assert [f.id for f in old.claim("starting", me="p-old", now=20.0, lease=60)] == [firing.id]
    assert new.claim("starting", me="p-new", now=21.0, lease=60) == []  # alive: its own
    alive.release()  # stopped (a crashed one's lease lapses the same way)
    LeaderLease(new.store, "p-new", name=INSTANCE_LEASE + "p-new", says=None).renew()
    taken = new.claim("starting", me="p-new", now=22.0, lease=60)
    assert [f.id for f in taken] == [firing.id] and taken[0].owner == "p-new"
    assert old.claim("starting", me="p-old", now=23.0, lease=60) == []  # p-new is alive
    # a digest being posted is never taken over early: a second post could go out
    old.set_firing(firing.id, state="digested", owner="p-old", lease_until=80.0)
    assert new.claim("digested", me="p-new", now=24.0, lease=60) == []
    assert [f.id for f in new.claim("digested", me="p-new", now=81.0, lease=60)] == [firing.id]
    for watches in (old, new):
        watches.store.close()
    setup.close()
