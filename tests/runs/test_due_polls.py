"""Which polls go before new submissions: those of runs that are probably done (at least
as old as their target's learned duration). A target never timed is not known to be done."""

from __future__ import annotations

from bot.runs.timings import GridTiming, Observation
from tests.factories import make_run
from tests.runs.test_core import ask
from tests.runs.test_core import core as core  # noqa: F401 - the fixture


class Hinted:
    """Wraps the Echo provider's poll to record the core's hint."""

    def __init__(self, echo) -> None:
        self.hints: list[bool] = []
        plain = echo.poll

        def poll(run, *, likely_done=False):
            self.hints.append(likely_done)
            return plain(run)

        echo.poll = poll


def learn(service, seconds: float) -> None:
    timing = GridTiming("echo:hello", 0.0).learn(Observation(seconds, seconds))
    service.timings.store.sql.upsert(
        "run_timings",
        {
            "key": timing.key,
            "first_poll": timing.first_poll,
            "recent": "[]",
            "samples": 1,
            "updated_at": 0.0,
        },
        "key",
    )


def sent_runs(store, count: int, prefix: str, now: float, *, next_poll_at: float) -> None:
    """`count` runs already sent to the Echo provider at `now` (ids prefix0, prefix1, ...),
    each on its own target, next polled at `next_poll_at`."""
    for n in range(count):
        store.insert_run(
            make_run(
                id=f"{prefix}{n}",
                provider="echo",
                target=f"t{n}",
                state="running",
                request_id=f"h{n}",
                submitted_at=now,
                next_poll_at=next_poll_at,
                created_at=now,
            )
        )


def test_the_first_poll_of_a_timed_target_is_due_and_so_are_later_ones(core):
    service, echo, _, clock, store = core
    learn(service, 30.0)
    hinted = Hinted(echo)
    run, _ = service.start_run(ask())
    assert store.get_run(run.id).next_poll_at == clock.now + 30.0  # timed as learned
    clock.now += 30.0
    service.tick()
    clock.now += 5.0
    service.tick()
    assert hinted.hints == [True, True]


def test_polls_of_a_target_never_timed_wait_behind_submissions(core):
    service, echo, _, clock, _ = core
    hinted = Hinted(echo)
    service.start_run(ask())
    for _ in range(3):
        clock.now += 5.0
        service.tick()
    assert hinted.hints == [False, False, False]


def test_a_poll_earlier_than_the_usual_duration_is_not_due(core):
    service, echo, _, clock, store = core
    learn(service, 30.0)
    hinted = Hinted(echo)
    run, _ = service.start_run(ask())
    store.update_run(run.id, next_poll_at=clock.now + 10.0)  # asked early (a restart, say)
    clock.now += 10.0
    service.tick()
    assert hinted.hints == [False]


def test_runs_waiting_for_their_first_poll_do_not_stretch_the_gap_of_one_polled_again(core):
    service, echo, _, clock, store = core
    # sent, and not due for their first poll for a minute yet
    sent_runs(store, 50, "wait", clock.now, next_poll_at=clock.now + 60)
    run, _ = service.start_run(ask())
    clock.now += 2.0
    service.tick()  # its first poll: still running
    polled = store.get_run(run.id)
    assert polled.polls == 1
    assert polled.next_poll_at - clock.now == 2.0  # not 51 runs / 5 polls a second


def test_polls_take_the_whole_budget_only_while_nothing_waits_to_be_sent(core):
    service, echo, _, clock, store = core
    echo.poll_rate, echo.request_rate = 3.0, 5.0  # polls' share of a 5 req/s budget
    sent_runs(store, 10, "run", clock.now, next_poll_at=clock.now)
    store.insert_run(
        make_run(
            id="new",
            provider="echo",
            target="new",
            state="queued",
            submit_after=clock.now,
            created_at=clock.now,
        )
    )
    service.tick()  # a submission goes out this tick: polls keep to their share
    assert len(echo.polls) == 3 and echo.submits == ["new"]
    clock.now += 30  # every run is due for a poll again
    echo.polls.clear()
    service.tick()  # nothing to send: the whole budget
    assert len(echo.polls) == 5


def test_while_submissions_wait_a_poll_not_yet_due_waits_in_the_database(core):
    service, echo, _, clock, store = core
    learn(service, 30.0)
    hinted = Hinted(echo)
    run, _ = service.start_run(ask())
    store.update_run(run.id, next_poll_at=clock.now + 10.0)  # asked early
    service._in_hand.add("someone-else")  # a flood's submission waits for the budget
    clock.now += 10.0
    service.tick()
    assert hinted.hints == []  # no thread waited behind the flood for it
    assert store.get_run(run.id).next_poll_at > clock.now
    clock.now += 20.0  # now as old as the grid's runs usually take: polled, flood or not
    service.tick()
    assert hinted.hints == [True]
