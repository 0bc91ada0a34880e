from __future__ import annotations

import pytest

from bot.playground.rigs.stack import fast_stack, scaled_timing


@pytest.fixture
def stack(tmp_path):
    """The real bot over loopback HTTP, with the simulator and the Slack stand-in."""
    # 100x real time for runs and BitScale's 120 s sync window alike (see Simulator).
    with fast_stack(
        tmp_path, credit_channel="C0ALERTS", credit_debounce=0.0, settings=scaled_timing(100)
    ) as s:
        yield s
