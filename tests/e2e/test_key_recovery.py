"""A key rotation whose answer was lost (issue 27, N12): the outcome is unknown, the old key
is checked at once, and when it is dead the admin is told how to recover, with Set API key
in the admin form (stored as rotation stores it, never shown)."""

from __future__ import annotations

import json

from bot.governance.keys import KeyStore
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from bot.slack.blocks.api_key import KEY_BLOCK, SET_KEY_ACTION, SET_KEY_VIEW
from tests.e2e.test_admin import GRID, press_in_admin_form, rotation_confirm
from tests.e2e.test_admin import stack as stack  # noqa: F401 - the fixture
from tests.e2e.test_commands import blocks_text, saying

GATEWAY_TIMEOUT = b"<html><body><h1>504 Gateway Time-out</h1></body></html>"


def rotate_from_the_form(stack, wanted: str) -> str:
    confirm = rotation_confirm(stack)
    since = len(stack.standin.view_log)
    stack.admin.submit(confirm, {})
    return blocks_text(wait_for(lambda: stack.standin.latest_view(since, saying(wanted)))["blocks"])


def set_key_form(stack, driver):
    return press_in_admin_form(
        stack, driver, SET_KEY_ACTION, "set", lambda v: v.get("callback_id") == SET_KEY_VIEW
    )


def typed(key: str) -> dict:
    return {KEY_BLOCK: {"value": {"type": "plain_text_input", "value": key}}}


def test_a_lost_rotation_answer_checks_the_old_key_and_says_how_to_recover(stack):
    old = stack.sim.api_key
    # BitScale rotates, then a gateway loses its answer: the bot never sees the new key.
    stack.sim.inject(
        path_contains="/api-key", lose_answer=True, status=504, raw_body=GATEWAY_TIMEOUT
    )
    said = rotate_from_the_form(stack, "no longer works")
    assert stack.sim.api_key != old  # rotated at BitScale
    assert "old key is still" not in said
    assert "unknown" in said
    assert "BitScale → Settings → Accounts → API Keys" in said and "*Set API key*" in said
    (failed,) = stack.bot.policy.audit.entries(action="key_rotation_failed")
    assert failed.outcome == "outcome_unknown_old_key_dead"

    # Recovery from Slack: a key that BitScale refuses is not stored ...
    form = set_key_form(stack, stack.admin)
    since = len(stack.standin.view_log)
    stack.admin.submit(form, typed("not-a-real-key"))
    wait_for(lambda: stack.standin.latest_view(since, saying("BitScale refused that key")))
    assert KeyStore(stack.bot.store).get() is None

    # ... the new key from BitScale's settings is, and runs work again without a restart.
    new = stack.sim.api_key
    since = len(stack.standin.view_log)
    answer = stack.admin.submit(form, typed(f"  {new}\n"))
    assert "Checking the key" in answer.text
    wait_for(lambda: stack.standin.latest_view(since, saying("The bot uses the key you set")))
    assert KeyStore(stack.bot.store).get() == new
    view = stack.driver.open_run_form(f"run {GRID}")
    stack.driver.submit(view, form_values(view, {"company_name": "Back", "website": "b.io"}))
    wait_for(lambda: stack.bot.store.count_runs("state = 'completed'") == 1)
    # Never shown: no message or view the bot sent carries it, nor the audit log.
    assert not [c for c in stack.standin.calls if new in json.dumps(c.args)]
    dump = "\n".join(str(r) for r in stack.bot.store.sql.query("SELECT * FROM audit"))
    assert new not in dump and "key_set" in dump


def test_a_lost_answer_with_the_old_key_still_working_says_it_was_not_rotated(stack):
    old = stack.sim.api_key
    stack.sim.inject(path_contains="/api-key", status=504, raw_body=GATEWAY_TIMEOUT)
    said = rotate_from_the_form(stack, "still works")
    assert stack.sim.api_key == old
    assert "unknown" not in said and "checked the old key at once" in said
    assert "not rotated" in said


def test_set_api_key_is_for_admins_only(stack):
    refused = press_in_admin_form(
        stack, stack.driver, SET_KEY_ACTION, "set", saying("only bot admins can set the API key")
    )
    assert "The admins are" in blocks_text(refused["blocks"])
    crafted = {"id": "V1", "type": "modal", "callback_id": SET_KEY_VIEW}
    answer = stack.driver.submit(crafted, typed(stack.sim.api_key + "x"))
    assert (
        "only bot admins can set the API key" in answer.text
        and KeyStore(stack.bot.store).get() is None
    )
