"""Batch rows expire by the run core's steady clock, not the wall clock (N7): a +1 h step
of the system clock once expired every running row, which BitScale still ran and charged
for, and the results were never collected."""

from __future__ import annotations

import time

from bot.playground.rigs.stack import fast_stack
from bot.playground.slack.records import wait_for
from bot.runs.clock import SteadyClock


def test_a_wall_clock_jump_expires_no_running_batch_row(tmp_path):
    with fast_stack(
        tmp_path, settings={"BATCH_PROGRESS_SECONDS": 0.2, "BATCH_RUN_MODE": "async"}
    ) as stack:
        # The system clock stands an hour ahead of the run core's steady clock, as after
        # a +1 h step: the run core stamps rows with its steady time.
        stack.bot.runs.clock = SteadyClock(wall=lambda: time.time() - 3600)
        rows = "".join(f"Lead {i},200\n" for i in range(6))  # 2 s each at 100x
        stack.driver.start_batch(
            ("company_name,duration_seconds\n" + rows).encode(), grid="Load Test"
        )
        batch_rows = lambda: [r for r in stack.bot.store.all_runs() if r.batch_id]  # noqa: E731
        wait_for(lambda: any(r.state == "running" for r in batch_rows()), 20)
        wait_for(lambda: all(r.state in ("completed", "expired") for r in batch_rows()), 40)
        states = [r.state for r in batch_rows()]
        assert states == ["completed"] * 6, states
