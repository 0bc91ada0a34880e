from __future__ import annotations

import pytest

from bot.playground.simulator import Simulator


@pytest.fixture
def simulator():
    """A BitScale simulator on a free loopback port on a clock 100x real time: runs and the
    real 120 s sync window alike (a 2 s grid takes 20 ms, the window 1.2 s)."""
    sim = Simulator("test-key", time_scale=100)
    sim.start()
    yield sim
    sim.stop()
