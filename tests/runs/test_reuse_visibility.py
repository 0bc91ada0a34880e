"""Issue 27, N9 and N10: reuse must not tell anyone what another person looked up where
they could not see it. Not fixed yet: the rule needs the run core's look-up (bot/runs/reuse.py
`find`/`find_many`, and submit.py passing the asker's channel), outside this helper's files.
These tests fail today (strict xfail) and must pass, unmarked, once it is done."""

from __future__ import annotations

import pytest

from bot.runs.reuse import ResultIndex
from tests.runs.test_reuse import NOW, _store_with, done

NOT_YET = pytest.mark.xfail(
    strict=True, reason="issue 27 N9/N10: reuse ignores who could see the earlier run"
)
ROWS = [{"company_name": "Secret Target"}, {"company_name": "Globex"}]


@NOT_YET
def test_an_only_me_or_dm_run_is_reused_for_its_requester_only(tmp_path):
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
    index = ResultIndex(store, clock=lambda: NOW)
    assert index.find("g1", ROWS[0], None, "U0ANA").run_id == "only-me"
    assert index.find("g1", ROWS[1], None, "U0ANA").run_id == "dm"
    assert index.find("g1", ROWS[0], None, "U0BOB") is None
    assert index.find("g1", ROWS[1], None, "U0BOB") is None


@NOT_YET
def test_a_batch_preview_cannot_test_names_against_private_runs(tmp_path):
    """B's batch of candidate names must not learn which were looked up privately."""
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
    index = ResultIndex(store, clock=lambda: NOW)
    assert index.find_many("g1", ROWS, None, "U0BOB") == [None, None]
