"""Three bot processes on one PostgreSQL: each piece of work is done once, whatever
happens to any one process. Real processes, the simulator and the Slack stand-in; every
test counts BitScale runs and Slack posts exactly."""

from __future__ import annotations

import threading
import time

import httpx

from bot.playground.slack.form_fill import form_values
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


def polled_after(rig, request_ids: set[str], moment: float) -> dict[str, float]:
    """request id → when BitScale first saw its status asked for after `moment`."""
    with rig.sim.lock:
        records = [r for r in rig.sim.state.records if r.at > moment and "status" in r.path]
    first: dict[str, float] = {}
    for record in records:
        for request_id in request_ids:
            if request_id in record.path:
                first.setdefault(request_id, record.at)
    return first


def test_a_process_killed_mid_flood_loses_nothing_and_sends_nothing_twice(cluster):
    rig = cluster()
    wanted = names("Killed", 24)
    for name in wanted:
        rig.submit(GRID, name)
    wait_for(lambda: rig.sim.run_count >= 9, timeout=30)
    victim = rig.bots[0].pid
    killed_at = time.monotonic()
    rig.kill(0)
    following = {
        r.request_id
        for r in rig.runs()
        if r.state == "running" and r.request_id and r.owner and f":{victim}:" in r.owner
    }
    all_answered(rig, wanted, timeout=150)
    time.sleep(0.5)
    assert_once_each(rig, wanted)
    # What was at BitScale is finished; what may have left unanswered is reported, not resent.
    for name in wanted:
        assert rig.run(name).state in ("completed", "interrupted"), name
    # The dead process's runs at BitScale were taken over by the others within 30 s.
    taken = polled_after(rig, following, killed_at)
    finished_first = {r.request_id for r in rig.runs() if r.request_id in following} - set(taken)
    assert set(taken) | finished_first == following
    assert max((t - killed_at for t in taken.values()), default=0.0) < 30.0


def test_a_rolling_deploy_answers_every_request(cluster):
    """Process B starts, then A is taken out and stopped, while slash commands and form
    submissions arrive at 20 a second and a batch runs."""
    rig = cluster(processes=2)
    view = rig.open_form(GRID)
    acks: list[tuple[int, float]] = []
    submitted: list[str] = []
    stop = threading.Event()

    def stream() -> None:
        sent = 0
        while not stop.is_set():
            sent += 1
            driver = rig.next_driver()
            began = time.monotonic()
            if sent % 4 == 0:  # one in four a form submission that starts a run
                name = f"Deploy {sent:04d}"
                copy = {**view, "id": f"{view['id']}-{sent}"}
                answer = driver.submit(copy, form_values(copy, {"company_name": name}))
                submitted.append(name)
            else:
                answer, _, _ = driver.command("help")
            acks.append((answer.status_code, time.monotonic() - began))
            stop.wait(max(0.0, 0.05 - (time.monotonic() - began)))  # 20 a second

    sheet = "company_name\n" + "".join(f"Row {n:02d}\n" for n in range(20))
    rig.drivers[0].start_batch(sheet.encode(), grid=GRID)
    sender = threading.Thread(target=stream)
    sender.start()
    try:
        wait_for(lambda: len(acks) >= 40, timeout=30)
        rig.add_process()  # the new instance comes up...
        wait_for(lambda: len(acks) >= 80, timeout=60)
        code, _ = rig.drain(0)  # ...then the old one is taken out and stopped
        wait_for(lambda: len(acks) >= 160, timeout=60)
    finally:
        stop.set()
        sender.join()
    all_answered(rig, submitted)
    rows = [f"Row {n:02d}" for n in range(20)]
    wait_for(lambda: all(rig.run(r) and rig.run(r).state in FINAL_STATES for r in rows), 120)
    assert code == 0
    assert [status for status, _ in acks] == [200] * len(acks)
    assert max(seconds for _, seconds in acks) < 3.0
    assert_once_each(rig, submitted)
    for row in rows:  # each batch row fed to BitScale once
        assert len(rig.sim_runs(row)) == 1, row


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
    for name in wanted:  # a request cut off mid-send is reported, never sent again
        assert rig.run(name).state in ("completed", "interrupted"), name


def readiness(bot) -> str:
    return httpx.get(f"http://127.0.0.1:{bot.port}/readyz", timeout=5).text


def test_a_database_restart_loses_nothing_and_reps_are_told_to_try_again(
    cluster, database_proxy
):
    rig = cluster(processes=2, through=database_proxy)
    wanted = names("Restart", 10)
    for name in wanted[:5]:
        rig.submit(GRID, name)
    wait_for(lambda: rig.sim.run_count >= 3, timeout=30)
    database_proxy.stop()  # the server goes down: connections dropped, new ones refused
    wait_for(lambda: "database unreachable" in readiness(rig.bots[0]), timeout=30)
    before = len(rig.slack.responses)
    answer, _, _ = rig.next_driver().command("runs")
    assert answer.status_code == 200
    told = wait_for(
        lambda: [r for r in rig.slack.responses[before:] if "try again in a moment" in str(r)]
        or ("try again in a moment" in answer.text and [answer.text]),
        timeout=15,
    )
    assert told
    database_proxy.start()  # ...and comes back on the same address
    wait_for(lambda: "database" not in readiness(rig.bots[0]), timeout=30)
    for name in wanted[5:]:
        rig.submit(GRID, name)
    all_answered(rig, wanted, timeout=150)
    assert_once_each(rig, wanted)
    for name in wanted:
        assert rig.run(name).state in ("completed", "interrupted"), name


def test_socket_mode_spreads_work_over_three_connections_and_does_each_once(cluster):
    rig = cluster(socket_mode=True)
    wanted = names("Socket", 15)
    for name in wanted:
        rig.submit(GRID, name)
    all_answered(rig, wanted)
    time.sleep(0.5)
    assert_once_each(rig, wanted)
    assert len(rig.slack.socket_mode.live_links()) == 3
    assert len({rig.run(n).owner for n in wanted}) == 3  # Slack's spread reached every one
