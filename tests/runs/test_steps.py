"""Completing a workflow step exactly once, whatever happened before."""

from __future__ import annotations

from bot.runs.steps import StepCompleter
from bot.runs.types import DeliveryError
from bot.store.database import Store
from tests.factories import make_run


class Notifier:
    def __init__(self, *errors: DeliveryError | None) -> None:
        self.errors = list(errors)
        self.calls = 0

    def complete_step(self, run) -> None:
        self.calls += 1
        error = self.errors.pop(0) if self.errors else None
        if error is not None:
            raise error


def _setup(tmp_path, notifier, **run):
    store = Store(tmp_path / "bot.db")
    now = [1000.0]
    fields = {"id": "r1", "step_execution_id": "Fx1", "notified_at": 1.0, "finished_at": 1.0}
    store.insert_run(make_run(**{**fields, **run}))
    return store, StepCompleter(store, notifier, lambda: now[0]), now


def test_completed_once_and_never_again(tmp_path):
    notifier = Notifier()
    store, steps, _ = _setup(tmp_path, notifier)
    assert steps.due(1000.0) == ["r1"]
    steps.complete("r1")
    steps.complete("r1")
    assert notifier.calls == 1 and store.get_run("r1").step_completed_at == 1000.0
    assert steps.due(2000.0) == []


def test_waits_for_the_thread_reply_first(tmp_path):
    store, steps, _ = _setup(tmp_path, Notifier(), notified_at=None)
    assert steps.due(1000.0) == []
    store.update_run("r1", notify_error="channel_not_found")  # never coming: go on
    assert steps.due(1000.0) == ["r1"]


def test_retried_after_a_slack_hiccup_then_closed_is_done(tmp_path):
    # The first attempt's answer was lost (Slack had accepted it); the retry hears
    # "execution_not_in_running_state": that means done, not failed.
    notifier = Notifier(
        DeliveryError("timeout", retryable=True, retry_after=5),
        DeliveryError("Slack said execution_not_in_running_state", retryable=False),
    )
    store, steps, now = _setup(tmp_path, notifier)
    steps.complete("r1")
    assert store.get_run("r1").step_completed_at is None and steps.due(now[0]) == []
    now[0] += 5
    steps.complete(steps.due(now[0])[0])
    run = store.get_run("r1")
    assert run.step_completed_at == now[0] and run.step_error is None and notifier.calls == 2


def test_a_refusal_on_the_first_attempt_is_recorded_not_retried(tmp_path):
    notifier = Notifier(DeliveryError("Slack said parameter_validation_failed", retryable=False))
    store, steps, now = _setup(tmp_path, notifier)
    steps.complete("r1")
    assert "parameter_validation_failed" in store.get_run("r1").step_error
    assert steps.due(now[0] + 1000) == []
