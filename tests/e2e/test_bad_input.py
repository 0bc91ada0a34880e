"""Any command text and any interactivity payload gets a helpful reply or a 4xx, never a 500."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SLOW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4)
    ),
    max_leaves=12,
)


@SLOW
@given(text=st.text(max_size=3000))
def test_any_command_text_gets_an_answer(stack, text):
    answer, _, _ = stack.driver.command(text)
    assert answer.status_code == 200


@SLOW
@given(
    kind=st.sampled_from(
        [
            "block_actions",
            "view_submission",
            "shortcut",
            "block_suggestion",
            "view_closed",
            "nonsense",
        ]
    ),
    action_id=st.sampled_from(["run_grid", "grids_page_next", "run_again", "pick_grid", "other"]),
    junk=json_values,
)
def test_malformed_interactivity_never_500s(stack, kind, action_id, junk):
    payload = {
        "type": kind,
        "trigger_id": "t",
        "user": {"id": "U0ANA"},
        "team": {"id": "T0001"},
        "actions": [{"action_id": action_id, "value": junk}],
        "action_id": action_id,
        "callback_id": "run_bitscale_grid",
        "view": {
            "id": "V1",
            "callback_id": "run_view",
            "private_metadata": junk,
            "state": {"values": junk},
        },
        "value": junk,
    }
    answer = stack.driver.send(urlencode({"payload": json.dumps(payload)}))
    assert answer.status_code < 500


def test_broken_payload_json_is_a_4xx(stack):
    answer = stack.driver.send("payload=%7Bnot-json")
    assert 400 <= answer.status_code < 500


def test_a_command_that_mentions_payload_is_still_a_command(stack):
    # Bolt alone takes any form body containing "payload" for an interaction (a 404).
    for text in ("payload", "run Payload Grid", "grids payload=1"):
        answer, _, _ = stack.driver.command(text)
        assert answer.status_code == 200, text
