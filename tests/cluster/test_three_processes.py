"""Three bot processes on one PostgreSQL: each piece of work is done once, whatever
happens to any one process. Real processes, the simulator and the Slack stand-in; every
test counts BitScale runs and Slack posts exactly."""

from __future__ import annotations

import time

from bot.playground.slack.records import wait_for
from bot.store.run_record import FINAL_STATES

GRID = "Cluster Grid"



def names(prefix: str, count: int) -> list[str]:
    return [f"{prefix} {n:03d}" for n in range(count)]


def all_answered(rig, wanted: list[str], timeout: float = 120.0) -> None:
    def done() -> bool:
        runs = {r.inputs.get("company_name"): r for r in rig.runs()}
        return all(
            n in runs and runs[n].state in FINAL_STATES and runs[n].notified_at for n in wanted
        )

    wait_for(done, timeout=timeout, interval=0.2)


def assert_once_each(rig, wanted: list[str]) -> None:
    for name in wanted:
        run = rig.run(name)
        assert run is not None, name
        assert len(rig.sim_runs(name)) <= 1, f"{name} was sent to BitScale twice"
        assert len(rig.replies(run)) == 1, f"{name}: {len(rig.replies(run))} thread replies"


def test_a_flood_across_three_processes_is_sent_polled_and_posted_once(cluster):
    rig = cluster()
    wanted = names("Flood", 30)
    for name in wanted:
        rig.submit(GRID, name)  # each form on the next process, as a load balancer does
    all_answered(rig, wanted)
    time.sleep(0.5)  # room for a duplicate post to show up
    assert_once_each(rig, wanted)
    assert all(rig.run(n).state == "completed" for n in wanted)
    assert rig.sim.run_count == len(wanted)
    assert rig.sim.count(status=429) == 0
    assert rig.sim.max_in_window(1.0) <= 5  # one budget for the workspace, not one a process
    owners = {rig.run(n).owner for n in wanted}
    assert len(owners) == 3  # every process took its share


def test_a_process_killed_mid_flood_loses_nothing_and_sends_nothing_twice(cluster):
    rig = cluster()
    wanted = names("Killed", 24)
    for name in wanted:
        rig.submit(GRID, name)
    wait_for(lambda: rig.sim.run_count >= 6, timeout=30)
    killed_at = time.monotonic()
    rig.kill(0)
    all_answered(rig, wanted, timeout=150)
    took = time.monotonic() - killed_at
    time.sleep(0.5)
    assert_once_each(rig, wanted)
    # What was at BitScale is finished; what may have left unanswered is reported, not resent.
    for name in wanted:
        assert rig.run(name).state in ("completed", "interrupted"), name
    assert took < 60, f"the others took {took:.0f} s to finish the dead process's work"


def test_a_rolling_deploy_answers_every_request(cluster):
    rig = cluster(processes=2)
    acks: list[tuple[int, float]] = []
    wanted = names("Deploy", 12)

    def burst(count: int) -> None:
        for _ in range(count):
            driver = rig.next_driver()
            began = time.monotonic()
            answer, _, _ = driver.command("help")
            acks.append((answer.status_code, time.monotonic() - began))

    burst(20)
    for name in wanted[:6]:
        rig.submit(GRID, name)
    rig.add_process()  # the new instance comes up...
    burst(20)
    code, _ = rig.drain(0)  # ...then the old one is taken out and stopped
    for name in wanted[6:]:
        rig.submit(GRID, name)
    burst(20)
    all_answered(rig, wanted)
    assert code == 0
    assert [status for status, _ in acks] == [200] * len(acks)
    assert max(seconds for _, seconds in acks) < 3.0
    assert_once_each(rig, wanted)


def test_the_database_dropping_every_connection_loses_nothing(cluster):
    rig = cluster(processes=2)
    wanted = names("Dropped", 12)
    for name in wanted[:6]:
        rig.submit(GRID, name)
    wait_for(lambda: rig.sim.run_count >= 3, timeout=30)
    # What a PostgreSQL restart does to every open connection of the bot's processes.
    dropped = rig.store.sql.scalar(
        "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
        "WHERE application_name = :name AND pid != pg_backend_pid()",
        {"name": rig.application_name},
    )
    assert dropped >= 2
    for name in wanted[6:]:
        rig.submit(GRID, name)
    all_answered(rig, wanted)
    assert_once_each(rig, wanted)
    assert all(rig.run(n).state == "completed" for n in wanted)
