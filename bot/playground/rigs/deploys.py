"""Deploys and crashes at every step of runs of every length, on BitScale's timing.

Four grids take 5 s, 60 s, 110 s and 150 s (longer than BitScale's 120 s sync window). The
bot runs as a real process; it is stopped (`term`: SIGTERM as a host does on a deploy;
`kill`: SIGKILL, a crash) at each step below and started again on the same database:

1. *sending*: a run of the 5 s grid in flight in sync mode (the grid has proved fast), a
   60 s run's async request in flight (both requests take a while to reach BitScale), and
   a 110 s run waiting to be sent (BitScale said 429 with a long Retry-After);
2. *at BitScale*: runs with a request id, one of them finished at BitScale but not polled
   yet (its polls fail);
3. *posting*: a result stored, its Slack post not accepted yet (Slack stalls);
4. *posted*: a post Slack accepted, not yet recorded as delivered (the answer is lost);
5. *done*: everything delivered.

`run_scenario` returns what happened; tests/test_deploys.py checks it on a clock 20x real
time, and bench/deploys.py runs it once on real time (a few minutes).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bot.playground.rigs.process_rig import ProcessRig
from bot.playground.slack.records import wait_for
from bot.store.run_record import Run

GRIDS = {
    "quick": ("Deploy Quick 5s", 5.0),
    "medium": ("Deploy Medium 60s", 60.0),
    "long": ("Deploy Long 110s", 110.0),
    "over": ("Deploy Over 150s", 150.0),
}
# run name → grid role, in the order they are asked for
RUNS = {
    "warm-1": "quick",
    "warm-2": "quick",
    "warm-3": "quick",
    "quick-live": "quick",  # step 1: sync, in flight
    "medium-a": "medium",  # step 1: async request in flight
    "long": "long",  # step 1: waiting to be sent
    "medium-b": "medium",  # step 2: done at BitScale, not polled
    "over": "over",  # step 2: running past the 120 s window
}


@dataclass
class Stop:
    step: str
    how: str
    exit_code: int | None
    seconds: float  # from the signal until the process was gone
    states: dict[str, str]  # run name → state at the moment of the signal


@dataclass
class RunReport:
    name: str
    grid: str
    state: str
    mode: str | None
    bitscale_runs: int  # runs BitScale started for it
    replies: int  # the bot's replies in its thread
    first_reply: str
    exposure: float | None  # seconds BitScale had it before the bot stored its request id
    duration: float | None  # seconds it took at BitScale


@dataclass
class Report:
    how: str
    stops: list[Stop] = field(default_factory=list)
    runs: dict[str, RunReport] = field(default_factory=dict)
    posts_after_last_restart: int = 0


def add_grids(rig: ProcessRig) -> None:
    for name, seconds in GRIDS.values():
        rig.sim.add_timed_grid(name, seconds)


def run_scenario(rig: ProcessRig, how: str, say=lambda text: None) -> Report:
    """Drive the steps above with `how` ("term" or "kill") as the stop, on a fresh
    database with the grids added; the bot is not started yet."""
    report = Report(how)
    grid = {role: rig.sim.grid_named(name) for role, (name, _) in GRIDS.items()}
    hold = rig.drain_seconds * 0.7  # a request held this long (plus 5 s) still fits the drain
    stall = rig.drain_seconds * 1.6  # a Slack stall longer than the drain

    def stop(step: str) -> None:
        states = {r.inputs.get("company_name"): r.state for r in rig.runs()}
        code, seconds = rig.stop_bot(how)
        report.stops.append(Stop(step, how, code, seconds, states))
        say(f"{how} at '{step}': exit {code} after {seconds:.1f}s; {states}")

    # The 5 s grid's history: three earlier runs, from a bot that ran in sync mode (their
    # exact lengths), then a deploy to the default auto mode. Learned timings survive it.
    rig.env["BITSCALE_RUN_MODE"] = "sync"
    rig.start_bot()
    for name in ("warm-1", "warm-2", "warm-3"):
        rig.submit(GRIDS["quick"][0], name)
        rig.wait_run(name, lambda r: r.notified_at is not None)
    rig.stop_bot("term")
    del rig.env["BITSCALE_RUN_MODE"]
    rig.start_bot()

    # 1. sending: two requests in flight (they take `hold` to reach BitScale), then a run
    # that BitScale turns away with a Retry-After that outlasts the stop
    for role in ("medium", "quick"):
        rig.sim.inject(
            method="POST", path_contains=f"/grids/{grid[role].id}/run", hang=hold, passthrough=True
        )
    rig.sim.inject(
        method="POST",
        path_contains=f"/grids/{grid['long'].id}/run",
        status=429,
        code="RATE_LIMIT_EXCEEDED",
        retry_after=max(1, round(rig.drain_seconds * 3)),
    )
    forms = {role: rig.open_form(GRIDS[role][0]) for role in ("medium", "quick", "long")}
    time.sleep(1.2)  # the forms' look-ups leave BitScale's 1 s rate window: three can go at once
    rig.submit_form(forms["medium"], "medium-a")
    rig.submit_form(forms["quick"], "quick-live")
    rig.wait_run("medium-a", lambda r: r.state == "submitting")
    rig.wait_run("quick-live", lambda r: r.state == "submitting")
    rig.submit_form(forms["long"], "long")
    rig.wait_run("long", lambda r: r.state == "queued" and r.error_message)
    stop("sending")
    rig.start_bot()

    # 2. at BitScale: running with request ids; medium-b done there but its polls fail
    rig.submit(GRIDS["medium"][0], "medium-b")
    rig.submit(GRIDS["over"][0], "over")
    medium_b = rig.wait_run("medium-b", lambda r: bool(r.request_id))
    blocked = rig.sim.inject(
        path_contains=f"/run/status/{medium_b.request_id}", status=503, times=10**6
    )
    rig.wait_run("over", lambda r: bool(r.request_id))
    rig.wait_run("long", lambda r: bool(r.request_id), timeout=120)
    (sim_b,) = rig.sim_runs("medium-b")
    wait_for(lambda: sim_b.status(time.monotonic()) == "completed", sim_b.duration + 60)
    assert rig.run("medium-b").state == "running"
    stop("at BitScale")
    blocked.times = 0

    # 3. posting: the next result's post stalls longer than the drain
    stalled = rig.slack.inject(
        method="chat.postMessage", thread_only=True, hang=stall, error="timeout"
    )
    rig.start_bot()
    stuck = wait_for(
        lambda: (
            stalled.times == 0
            and next((r for r in rig.runs() if r.notify_attempted_at and not r.notified_at), None)
        ),
        120,
    )
    stop("posting")

    # 4. posted: Slack accepts the next post, but its answer never comes back
    lost = rig.slack.inject(
        method="chat.postMessage", thread_only=True, hang=stall, accept_first=True
    )
    rig.start_bot()
    wait_for(
        lambda: lost.times == 0 and any(rig.replies(r) and not r.notified_at for r in rig.runs()),
        120,
    )
    stop("posted")

    # 5. done: everything delivered, then one more stop
    rig.start_bot()
    last = rig.sim.state.runs and max(r.duration for r in rig.sim.state.runs.values())
    wait_for(lambda: all(r.notified_at for r in rig.runs()), last + 120)
    stop("done")
    posts = len(rig.slack.messages)
    rig.start_bot()
    time.sleep(max(1.0, rig.drain_seconds))  # room for anything posted twice
    report.posts_after_last_restart = len(rig.slack.messages) - posts
    say(f"stuck post was run {stuck.inputs.get('company_name')}")
    report.runs = {name: _report(rig, name, role) for name, role in RUNS.items()}
    return report


def _report(rig: ProcessRig, name: str, role: str) -> RunReport:
    run = rig.run(name)
    assert run is not None, name
    sims = rig.sim_runs(name)
    replies = rig.replies(run)
    return RunReport(
        name=name,
        grid=GRIDS[role][0],
        state=run.state,
        mode=run.mode,
        bitscale_runs=len(sims),
        replies=len(replies),
        first_reply=replies[0].text if replies else "",
        exposure=exposure(run, sims[0].started_wall) if sims else None,
        duration=sims[0].duration if sims else None,
    )


def exposure(run: Run, started_wall: float) -> float | None:
    """Seconds BitScale had the run while the bot held no request id for it: until the id
    was stored, or the result when a sync answer came first. None when never stored."""
    end = run.request_id_at or (run.finished_at if run.state == "completed" else None)
    return None if end is None else max(0.0, end - started_wall)
