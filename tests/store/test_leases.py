"""The leader lease: one holder at a time, taken over once the holder stops renewing."""

from __future__ import annotations

import threading

from bot.scheduler import on_leader_only
from bot.store.database import Store
from bot.store.leases import LeaderLease
from tests.factories import Clock


def two_processes(target, clock):
    """Two bots' leases on one database (the same rows two PostgreSQL processes share)."""
    path = target
    return (
        LeaderLease(Store(path), "a", ttl=15, clock=clock),
        LeaderLease(Store(path), "b", ttl=15, clock=clock),
    )


def test_one_holder_at_a_time(database_target):
    clock = Clock()
    a, b = two_processes(database_target, clock)
    assert a.renew() and a.held()
    assert not b.renew() and not b.held()
    clock.now += 10
    assert a.renew()  # renewing keeps it
    clock.now += 10
    assert not b.renew()  # 20 s after a took it, but only 10 since a renewed
    assert a.holder() == "a"


def test_a_dead_holder_is_replaced_once_its_lease_lapses(database_target):
    clock = Clock()
    a, b = two_processes(database_target, clock)
    a.renew()
    clock.now += 14.9
    assert not b.renew()
    clock.now += 0.2  # a stopped renewing (it died) 15.1 s ago
    assert not a.held()
    assert b.renew() and b.holder() == "b"
    assert not a.renew()  # a comes back: b keeps it


def test_release_hands_over_at_the_next_renewal(database_target):
    clock = Clock()
    a, b = two_processes(database_target, clock)
    a.renew()
    a.release()
    assert not a.held()
    assert b.renew()


def test_seize_takes_a_crashed_processes_lease_at_once(database_target):
    clock = Clock()
    old, new = two_processes(database_target, clock)
    old.renew()  # then SIGKILL: never released
    new.seize()  # SQLite: the instance lock says old is gone
    assert new.held() and new.holder() == "b"


def test_racing_processes_get_one_lease(database_target):
    clock = Clock()
    leases = [LeaderLease(Store(database_target), f"p{i}", clock=clock) for i in range(8)]
    start = threading.Barrier(len(leases))
    won: list[str] = []

    def race(lease: LeaderLease) -> None:
        start.wait()
        if lease.renew():
            won.append(lease.owner)

    threads = [threading.Thread(target=race, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and leases[0].holder() == won[0]


def test_a_singleton_job_runs_only_on_the_leader(database_target):
    clock = Clock()
    a, b = two_processes(database_target, clock)
    ran: list[str] = []
    on_a = on_leader_only(lambda: ran.append("a"), a)
    on_b = on_leader_only(lambda: ran.append("b"), b)
    a.renew()
    b.renew()
    on_a()
    on_b()
    assert ran == ["a"]
    clock.now += 16  # a died; b's next renewal takes over
    b.renew()
    on_a()
    on_b()
    assert ran == ["a", "b"]


def test_without_a_leader_every_job_runs():
    ran = []
    on_leader_only(lambda: ran.append(1), None)()
    assert ran == [1]
