from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.playground.rigs.process_rig import ProcessRig
from bot.playground.simulators.bitscale import Simulator
from tests.pg import database_target, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture
def simulator():
    """A BitScale simulator on a free loopback port on a clock 100x real time: runs and the
    real 120 s sync window alike (a 2 s grid takes 20 ms, the window 1.2 s)."""
    sim = Simulator("test-key", time_scale=100)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def process_rig(tmp_path) -> Iterator[Callable[..., ProcessRig]]:
    """Start the bot as a real process on the simulator and the Slack stand-in
    (`ProcessRig(tmp_path, **kwargs)`, see bot/playground/rigs/process_rig.py); each rig
    made is closed after the test."""
    rigs: list[ProcessRig] = []

    def start(**kwargs: Any) -> ProcessRig:
        rig = ProcessRig(tmp_path, **kwargs)
        rigs.append(rig)
        rig.start_bot()
        return rig

    yield start
    for rig in rigs:
        rig.close()
