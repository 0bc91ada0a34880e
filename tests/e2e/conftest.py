from __future__ import annotations

import pytest

from bot.playground.simulator import Simulator
from bot.playground.stack import LocalStack


@pytest.fixture
def stack(tmp_path):
    """The real bot over loopback HTTP, with the simulator and the Slack stand-in."""
    sim = Simulator("e2e-key", sync_wait=1.0, duration_scale=0.05)
    with LocalStack(
        str(tmp_path / "bot.db"),
        simulator=sim,
        tick_seconds=0.05,
        credit_channel="C0ALERTS",
        credit_debounce=0.0,
    ) as s:
        yield s
