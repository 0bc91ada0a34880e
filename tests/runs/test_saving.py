"""An answer that has left the provider is kept until the database takes it."""

from __future__ import annotations

from bot.runs.saving import until_saved
from bot.store.sql import DatabaseUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_write_is_tried_again_until_the_database_answers(caplog):
    caplog.set_level("INFO")
    clock, tries = Clock(), []

    def write() -> None:
        tries.append(clock.now)
        if len(tries) < 4:
            raise DatabaseUnavailable("restarting")

    assert until_saved(write, what="run r1's answer", patience=60, sleep=clock.sleep, clock=clock)
    assert [round(t, 3) for t in tries] == [0.0, 0.2, 0.6, 1.4]  # less often each time
    assert "keeping run r1's answer until it does" in caplog.text
    assert "saved" in caplog.text


def test_patience_runs_out_with_one_line_saying_what_is_lost(caplog):
    clock = Clock()

    def write() -> None:
        raise DatabaseUnavailable("gone")

    kept = until_saved(write, what="run r2's answer", patience=30, sleep=clock.sleep, clock=clock)
    assert not kept and clock.now <= 30
    assert "run r2's answer is lost" in caplog.text


def test_other_errors_are_not_swallowed():
    def write() -> None:
        raise ValueError("a bug")

    try:
        until_saved(write, what="x", patience=5, sleep=lambda s: None)
    except ValueError:
        return
    raise AssertionError("a bug must not be retried as if the database were down")
