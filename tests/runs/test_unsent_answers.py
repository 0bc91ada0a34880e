"""Two processes on one database, and a submission that never left: a process stopping
while its submitter waited for the rate budget answers "not sent" for a run that the
other process has sent meanwhile. That answer must not put the other's request back in
the queue (it was then sent a second time: two runs at the provider, two charges)."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from bot.providers.base import Outcome, Providers
from bot.runs.service import RunService
from bot.store.database import Store
from tests.factories import Clock
from tests.runs.test_core import Echo, ask
from tests.runs.test_runs import RecordingNotifier


class Held(Echo):
    """The process that sends the run: its request is held open, the answer comes later."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Future] = []

    def submit(self, run, priority=None, *, before_send=None, **_hints):
        before_send()  # the claim: the request leaves now
        self.submits.append(run.target)
        answer: Future = Future()
        self.answers.append(answer)
        return answer


class CutShort(Echo):
    """The stopping process: while it waits for a slot, the other process sends the run;
    then the stop ends its wait and nothing leaves (no claim, as the limiter's Aborted)."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile = lambda run_id: None
        self.stopping = lambda: None

    def submit(self, run, priority=None, *, before_send=None, **_hints):
        self.meanwhile(run.id)
        self.stopping()
        return Outcome.later(2.0, "CONNECTION_ERROR", "Not sent: the bot is shutting down.")


def test_a_stopping_process_not_sending_a_run_leaves_the_others_request_alone(tmp_path):
    clock, store = Clock(1_000_000.0), Store(tmp_path / "runs.db")
    sender, stopping = Held(), CutShort()
    kept = RunService(
        store, Providers(sender), RecordingNotifier(), clock=clock, inline=True, instance_id="B"
    )
    going = RunService(
        store, Providers(stopping), RecordingNotifier(), clock=clock, inline=True, instance_id="A"
    )
    stopping.meanwhile = kept.submit_now
    stopping.stopping = lambda: going.shutdown(wait=False)
    try:
        run, _ = going.record_run(ask())
        going.submit_now(run.id)
        saved = store.get_run(run.id)
        assert (saved.state, saved.owner) == ("submitting", "B")  # still the other's
        clock.now += 5
        kept.tick()  # a queued run would be sent again here
        assert sender.submits == ["hello"]
        sender.answers[0].set_result(Outcome.done({"said": "hello"}))
        saved = store.get_run(run.id)
        assert saved.state == "completed" and saved.notified_at
        clock.now += 5
        kept.tick()
        assert sender.submits == ["hello"]  # sent once
    finally:
        kept.shutdown(wait=False)
        store.close()


@pytest.mark.parametrize(
    "answer", [Outcome.running("h1"), Outcome.done({"said": "hello"})], ids=["running", "done"]
)
def test_a_not_sent_answer_after_the_others_answer_changes_nothing(tmp_path, answer):
    clock, store = Clock(1_000_000.0), Store(tmp_path / "runs.db")
    sender, stopping = Echo(), CutShort()
    sender.submit_answers = [answer]
    kept = RunService(
        store, Providers(sender), RecordingNotifier(), clock=clock, inline=True, instance_id="B"
    )
    going = RunService(
        store, Providers(stopping), RecordingNotifier(), clock=clock, inline=True, instance_id="A"
    )
    stopping.meanwhile = kept.submit_now
    try:
        run, _ = going.record_run(ask())
        going.submit_now(run.id)
        saved = store.get_run(run.id)
        # Not taken for a failed poll of the other's run (nor a finished run made running).
        assert (saved.state, saved.poll_errors, saved.error_code) == (answer.state, 0, None)
        assert sender.submits == ["hello"]
    finally:
        store.close()


def test_a_run_not_sent_by_anyone_waits_in_the_queue_as_before(tmp_path):
    clock, store = Clock(1_000_000.0), Store(tmp_path / "runs.db")
    stopping = CutShort()
    going = RunService(store, Providers(stopping), RecordingNotifier(), clock=clock, inline=True)
    try:
        run, _ = going.record_run(ask())
        going.submit_now(run.id)
        saved = store.get_run(run.id)
        assert saved.state == "queued" and saved.submit_after == clock.now + 2.0
        assert "shutting down" in saved.error_message
    finally:
        store.close()


def test_a_not_sent_answer_puts_back_only_this_process_s_own_claim(tmp_path):
    """The write itself checks: between the look and the write another may claim it."""
    clock, store = Clock(1_000_000.0), Store(tmp_path / "runs.db")
    going = RunService(
        store, Providers(CutShort()), RecordingNotifier(), clock=clock, inline=True, instance_id="A"
    )
    refused = Outcome.later(2.0, "RATE_LIMIT_EXCEEDED", "BitScale said 429.")
    try:
        run, _ = going.record_run(ask())
        for owner, after in (("B", "submitting"), ("A", "queued")):
            store.update_run(run.id, state="submitting", owner=owner)
            going._apply(store.get_run(run.id), going.providers.get("echo"), refused)
            assert store.get_run(run.id).state == after, owner
    finally:
        store.close()
