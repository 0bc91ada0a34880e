"""Learned grid durations: the estimate, the sync-or-async choice, poll spacing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.runs.timings import GridTiming, Observation, RunTimings, next_poll_after
from bot.store.database import Store
from tests.factories import make_run


def exact(seconds: float) -> Observation:
    return Observation(seconds, seconds)


def test_a_grid_whose_recent_runs_finish_well_inside_the_drain_goes_sync():
    timing = GridTiming("g", 0.0)
    for _ in range(2):
        timing = timing.learn(exact(4.0))
    assert not timing.sync_is_safe(25)  # two runs are not "recent runs"
    timing = timing.learn(exact(5.0))
    assert timing.sync_is_safe(25)  # three, all under half the 25 s drain
    assert not timing.sync_is_safe(8)  # 5 s is not well inside an 8 s drain
    slow = timing.learn(exact(40.0))  # one slow run is enough to go back to async
    assert not slow.sync_is_safe(25)
    for _ in range(5):
        slow = slow.learn(exact(3.0))
    assert slow.sync_is_safe(25)  # ... until it has left the recent window


def test_first_poll_moves_towards_the_duration_from_either_side():
    timing = GridTiming("g", 0.0).learn(Observation(58.0, 62.0, first_poll=2.0))
    assert timing.first_poll == 60.0  # the first run: the middle of what was seen
    # polled at 60 s, done at once (on time): a little earlier next time
    hit = timing.learn(Observation(0.0, 60.0, first_poll=60.0, done_at_first_poll=True))
    assert hit.first_poll == 54.0
    # polled at 54 s, still running, done by 59 s: later, at least the middle
    miss = hit.learn(Observation(54.0, 59.0, first_poll=54.0))
    assert miss.first_poll == 67.5
    # a first poll that went out late (a busy budget) says nothing about the estimate
    late = timing.learn(Observation(0.0, 200.0, first_poll=200.0, done_at_first_poll=True))
    assert late.first_poll == 60.0


@given(st.floats(1, 300), st.lists(st.floats(0.5, 1.5), min_size=30, max_size=30))
def test_first_poll_settles_near_the_duration(duration, jitter):
    """Simulate polling a grid whose runs take duration × jitter: the first-poll time ends
    within the spread of the durations, however wrong it started."""
    timing = GridTiming("g", 0.0).learn(exact(duration * 10))
    for j in jitter * 3:
        d = duration * j
        first = timing.first_poll
        if d <= first:
            seen = Observation(0.0, first, first_poll=first, done_at_first_poll=True)
        else:
            step = min(5.0, max(2.0, d / 5))
            seen = Observation(d - step / 2, d + step / 2, first_poll=first)
        timing = timing.learn(seen)
    assert duration * 0.4 <= timing.first_poll <= duration * 1.9 + 5


def test_timings_survive_a_restart(tmp_path):
    store = Store(tmp_path / "t.db")
    timings = RunTimings(store, drain_seconds=25)
    never = make_run(grid_id="g1")
    assert not timings.may_block(never) and timings.first_poll_after(never) is None
    for i in range(3):
        run = make_run(id=f"r{i}", grid_id="g1", submitted_at=100.0)
        timings.learn(run, 103.0)  # sync answers after 3 s
    again = RunTimings(Store(tmp_path / "t.db"), drain_seconds=25)
    assert again.may_block(never) and again.first_poll_after(never) > 0
    assert not again.may_block(make_run(grid_id="g2"))  # per grid
    assert not RunTimings(store, drain_seconds=5).may_block(never)  # 3 s is not well inside 5


def test_polls_come_every_2_to_5_seconds_by_age():
    assert [next_poll_after(age, 2) for age in (1, 10, 20, 100)] == [2, 2, 4, 5]


def test_polls_starved_by_a_flood_do_not_mark_a_fast_grid_slow():
    fast = GridTiming("g", 0.0)
    for _ in range(3):
        fast = fast.learn(exact(4.0))
    # done within 4 s, but its only poll came 60 s late: no evidence it was slow
    starved = fast.learn(Observation(0.0, 64.0, first_poll=64.0, done_at_first_poll=True), 7.5)
    assert starved.recent == fast.recent and starved.sync_is_safe(25)
    # a never-timed grid learns only that it ran at least `lo`
    unknown = GridTiming("g", 0.0).learn(Observation(30.0, 90.0, first_poll=2.0), 7.5)
    assert unknown.samples == 0 and unknown.first_poll == 30.0 and unknown.recent == []


def test_runs_sent_before_the_target_was_timed_do_not_push_the_estimate_up():
    # Five runs of 25 s sent at once to a grid never timed: each first polled at 2 s.
    timing = GridTiming("g", 0.0)
    for _ in range(5):
        timing = timing.learn(Observation(24.0, 26.0, first_poll=2.0))
    assert 24.0 <= timing.first_poll <= 26.0 * 1.25  # about their length, not 25 x 1.25^4
