from __future__ import annotations

import json

from bot.slack import blocks as kit
from tests.factories import make_run


def _text(run) -> str:
    return json.dumps(kit.result_message(run).blocks, ensure_ascii=False)


def test_a_failed_run_says_what_happened_retry_credits_and_where():
    run = make_run(state="failed", error_code="RUN_FAILED", error_message="Provider timed out")
    text = _text(run)
    assert "*What happened:* Provider timed out" in text
    assert "Trying again may help" in text
    assert "may have spent credits" in text and "/bitscale credits" in text
    assert "https://app.bitscale.ai/grid/g1|the grid in BitScale" in text
    assert "Edit and run again" in text and "Ref `R1`" in text


def test_a_grid_failing_alike_again_and_again_is_not_worth_retrying():
    run = make_run(state="failed", error_code="RUN_FAILED", error_message="x", same_failures=3)
    text = _text(run)
    assert "failed the same way on its last 3 runs" in text
    assert "Trying again may help" not in text


def test_refused_runs_spent_nothing_and_given_up_runs_say_check_first():
    refused = _text(make_run(state="failed", error_code="MISSING_SOURCE", error_message="x"))
    assert "no credits were spent" in refused and "refused the same way" in refused
    expired = _text(make_run(state="expired", error_message="x"))
    assert "BitScale may still finish it" in expired
    interrupted = _text(make_run(state="interrupted", error_message="x"))
    assert "a second row" in interrupted


def test_a_run_the_provider_forgot_does_not_promise_a_retry_helps():
    text = _text(
        make_run(
            state="failed",
            error_code="REQUEST_NOT_FOUND",
            error_message="BitScale no longer knows this run's request id.",
        )
    )
    assert "Trying again may help" not in text
    assert "how it ended is unknown" in text and "Look for its row before running again" in text
