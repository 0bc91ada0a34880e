from __future__ import annotations

import pytest

from bot.playground.simulator import Simulator
from bot.playground.stack import LocalStack, scaled_timing


@pytest.fixture
def stack(tmp_path):
    """The real bot over loopback HTTP, with the simulator and the Slack stand-in."""
    # 100x real time for runs and BitScale's 120 s sync window alike (see Simulator).
    sim = Simulator("e2e-key", time_scale=100)
    with LocalStack(
        str(tmp_path / "bot.db"),
        simulator=sim,
        tick_seconds=0.05,
        credit_channel="C0ALERTS",
        credit_debounce=0.0,
        settings=scaled_timing(100),
    ) as s:
        yield s
