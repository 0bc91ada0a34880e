from __future__ import annotations

import pytest

from bot.playground.simulator import Simulator


@pytest.fixture
def simulator():
    """A BitScale simulator on a free loopback port, with runs sped up."""
    sim = Simulator("test-key", sync_wait=0.5, duration_scale=0.01)
    sim.start()
    yield sim
    sim.stop()
