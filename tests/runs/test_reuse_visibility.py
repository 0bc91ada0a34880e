"""Issue 27, N9 and N10: reuse never tells anyone what another person looked up where they
could not see it (bot/runs/reuse.py visible_to)."""

from __future__ import annotations

import pytest

from bot.runs.reuse import ResultIndex
from tests.runs.test_reuse import NOW, _store_with, done

ROWS = [{"company_name": "Secret Target"}, {"company_name": "Globex"}]


@pytest.fixture
def index(tmp_path) -> ResultIndex:
    """Ana's two private runs: one Only me (no channel), one in her DM."""
    store = _store_with(
        tmp_path,
        done(
            id="only-me",
            user_id="U0ANA",
            channel_id=None,  # Only me: no channel, the result went by DM
            inputs={"company_name": "Secret Target"},
        ),
        done(id="dm", user_id="U0ANA", channel_id="D0ANA", inputs={"company_name": "Globex"}),
    )
    return ResultIndex(store, clock=lambda: NOW)


def test_an_only_me_or_dm_run_is_reused_for_its_requester_only(index):
    assert index.find("g1", ROWS[0], None, "U0ANA").run_id == "only-me"
    assert index.find("g1", ROWS[1], None, "U0ANA").run_id == "dm"
    assert index.find("g1", ROWS[0], None, "U0BOB") is None
    assert index.find("g1", ROWS[1], None, "U0BOB") is None


def test_a_batch_preview_cannot_test_names_against_private_runs(index):
    """B's batch of candidate names must not learn which were looked up privately."""
    assert index.find_many("g1", ROWS, None, "U0BOB") == [None, None]
