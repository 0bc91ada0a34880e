from __future__ import annotations

from bot.store.database import Store
from tests.factories import make_run


def test_streak_counts_alike_failures_in_a_row(database_target):
    store = Store(database_target)
    finished = 1_700_000_000.0

    def add(run_id: str, state: str, message: str | None = None, grid: str = "g1"):
        nonlocal finished
        finished += 1
        run = make_run(
            id=run_id,
            grid_id=grid,
            state=state,
            error_code="RUN_FAILED" if state == "failed" else None,
            error_message=message,
            finished_at=finished,
        )
        store.insert_run(run)
        return run

    add("a", "failed", "Provider error for 'Initech'")
    add("b", "completed")
    add("c", "failed", "Provider error for 'Acme' (1 tries)")
    add("d", "failed", "Quota exceeded", grid="g2")  # another grid does not count
    add("e", "failed", "Provider error for 'Globex' (3 tries)")
    latest = add("f", "failed", "Provider error for 'Hooli' (2 tries)")
    assert store.failure_streak(latest) == 3  # f, e, c; the completed run b ends it
    other = add("g", "failed", "Something else")
    assert store.failure_streak(other) == 1
