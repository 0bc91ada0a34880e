"""A deploy loses nothing; a crash loses only what was in its short exposure window.

The bot runs as a real process against the simulator with BitScale's real 120 s sync
window, on a clock 20x real time (a 110 s grid takes 5.5 s, the sync window 6 s, the
25 s drain 1.25 s; see bot/playground/rigs/deploys.py for the steps). bench/deploys.py runs the
same scenario once on real time.
"""

from __future__ import annotations

import pytest

from bot.playground.rigs.deploys import RUNS, add_grids, run_scenario
from bot.playground.rigs.process_rig import ProcessRig

SCALE = 20


@pytest.fixture
def rig(request, tmp_path):
    rig = ProcessRig(tmp_path, time_scale=SCALE, socket_mode=request.param)
    add_grids(rig)
    yield rig
    rig.close()


@pytest.mark.parametrize("rig", [True], indirect=True, ids=["socket-mode"])
def test_sigterm_at_every_step_loses_nothing(rig):
    report = run_scenario(rig, "term")
    for stop in report.stops:
        assert stop.exit_code == 0, stop
    by_step = {s.step: s for s in report.stops}
    # The sync run in flight and the async request in flight were waited for...
    assert by_step["sending"].states["quick-live"] == "submitting"
    assert by_step["sending"].states["medium-a"] == "submitting"
    assert by_step["sending"].states["long"] == "queued"
    assert by_step["sending"].seconds < rig.drain_seconds + 5
    for name, run in report.runs.items():
        # every run BitScale started has exactly one result in its thread, none twice,
        # and nobody is asked to run anything again
        assert run.state == "completed", (name, run)
        assert run.bitscale_runs == 1 and run.replies == 1, (name, run)
        assert run.first_reply.startswith("✅"), (name, run)
    assert report.runs["quick-live"].mode == "sync"  # the 5 s grid went sync once proven
    assert {report.runs[n].mode for n in ("medium-a", "long", "medium-b", "over")} == {"async"}
    assert report.posts_after_last_restart == 0


@pytest.mark.parametrize("rig", [False], indirect=True, ids=["http"])
def test_sigkill_at_every_step_loses_only_what_was_in_flight(rig):
    report = run_scenario(rig, "kill")
    cut_off = {"quick-live", "medium-a"}  # their requests had left, without an answer yet
    for name, run in report.runs.items():
        assert run.replies == 1, (name, run)
        if name in cut_off:
            # BitScale may or may not have got the request (that is why it is not re-sent)
            assert run.bitscale_runs <= 1 and run.state == "interrupted", (name, run)
            assert "not re-sent" in run.first_reply or "interrupted" in run.first_reply
        else:
            assert run.bitscale_runs == 1 and run.state == "completed", (name, run)
            assert run.first_reply.startswith("✅"), (name, run)
    assert report.posts_after_last_restart == 0
    assert set(RUNS) == set(report.runs)
