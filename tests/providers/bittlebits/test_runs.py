"""Bittlebits through the run core, against the simulator: joins, budgets, resubmission,
restarts and escaping."""

from __future__ import annotations

import json

import pytest

from bot.playground.simulators.bittlebits import BittlebitsSimulator
from bot.playground.simulators.bittlebits_pages import HOSTILE
from bot.providers.base import Providers
from bot.providers.bittlebits.client import BittlebitsClient
from bot.providers.bittlebits.provider import BittlebitsProvider, make_target
from bot.providers.limiter import RateLimiter
from bot.runs.service import RunService
from bot.runs.types import RunRequest
from bot.slack import blocks as kit
from bot.store.database import Store
from tests.factories import Clock
from tests.runs.test_runs import RecordingNotifier

URL = "https://prospect.example/pricing"


class Env:
    def __init__(self, tmp_path, posts_per_hour: int = 100) -> None:
        self.clock = Clock(1_000_000.0)
        self.sim_clock = Clock(1_000_000.0)
        self.sim = BittlebitsSimulator("key", task_seconds=4, clock=self.sim_clock).start()
        self.db = tmp_path / "runs.db"
        self.posts_per_hour = posts_per_hour
        self.notifier = RecordingNotifier()
        self.service = self.make_service()

    def make_service(self) -> RunService:
        client = BittlebitsClient(
            "key",
            self.sim.url,
            post_limiter=RateLimiter(rate=self.posts_per_hour, per=3600, clock=self.clock),
            get_limiter=RateLimiter(rate=1000),
        )
        self.provider = BittlebitsProvider(client, wall_clock=self.clock)
        return RunService(
            Store(self.db), Providers(self.provider), self.notifier, clock=self.clock, inline=True
        )

    @property
    def store(self) -> Store:
        return self.service.store

    def ask(self, user: str = "U1", url: str = URL, kind: str = "score"):
        return self.service.start_run(
            RunRequest(
                provider="bittlebits",
                target=make_target(kind, url),
                grid_name=f"Page {kind}",
                inputs={"page": url},
                user_id=user,
                channel_id="C1",
            )
        )

    def wait(self, seconds: float) -> None:
        """Time passes for the bot and for Bittlebits; the bot ticks."""
        self.clock.now += seconds
        self.sim_clock.now += seconds
        self.service.tick()


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.sim.stop()


def test_score_is_polled_every_2_seconds_then_delivered(env):
    run, _ = env.ask()
    saved = env.store.get_run(run.id)
    assert saved.state == "running" and saved.request_id == "42"  # url_id kept before polling
    assert saved.next_poll_at == env.clock.now + 2
    env.wait(2)
    assert env.store.get_run(run.id).state == "running"
    env.wait(8)
    done = env.store.get_run(run.id)
    assert done.state == "completed" and done.outputs["kind"] == "score"
    assert len(env.notifier.delivered) == 1 and len(env.sim.posts()) == 1


def test_a_second_request_for_a_pending_page_joins_it(env):
    first, _ = env.ask("U1")
    second, _ = env.ask("U2", url=URL + "/")  # the same page, written differently
    rewrite, _ = env.ask("U3", kind="rewrite")  # another kind is another task
    assert second.joined_to == first.id and rewrite.joined_to is None
    env.wait(10)
    delivered = {d[0]: d for d in env.notifier.delivered}
    assert delivered[first.id][2] == delivered[second.id][2]  # both get the same result
    assert len(env.sim.posts(URL, "score")) == 1 and env.sim.state.reposts_while_pending == 0


def test_over_the_hourly_budget_a_page_is_queued_and_says_when(tmp_path):
    env = Env(tmp_path, posts_per_hour=2)
    try:
        env.ask(url="https://a.example")
        env.ask(url="https://b.example")
        third, _ = env.ask(url="https://c.example")
        assert third.state == "queued" and third.submit_after >= env.clock.now + 3599
        assert len(env.sim.posts()) == 2  # nothing sent over the budget
        env.wait(1800)
        assert env.store.get_run(third.id).state == "queued"
        env.wait(1801)
        assert env.store.get_run(third.id).state == "running"
        env.wait(10)
        assert env.store.get_run(third.id).state == "completed"
        assert env.sim.count(429) == 0
    finally:
        env.sim.stop()


def test_a_queued_submission_is_told_when_it_goes_in(tmp_path):
    env = Env(tmp_path, posts_per_hour=1)
    try:
        env.ask(url="https://a.example")
        # The budget was spent between announcing and sending (another worker took it).
        run, _ = env.ask(url="https://b.example")
        text = json.dumps(kit.announcement(env.store.get_run(run.id))[1])
        assert "goes in at" in text
    finally:
        env.sim.stop()


@pytest.mark.parametrize("fate", ["revoke_next", "time_out_next"])
def test_revoked_or_timed_out_tasks_are_resubmitted_once(env, fate):
    getattr(env.sim, fate)(URL)
    run, _ = env.ask()
    env.wait(10)  # the GET says 410 / 504: back in the queue
    env.service.tick()  # sent again, by url_id
    posts = env.sim.posts(URL)
    assert len(posts) == 2 and posts[1].params == {"url_id": "42"}
    env.wait(5)
    saved = env.store.get_run(run.id)
    assert saved.state == "completed" and saved.resubmits == 1


def test_a_second_drop_is_not_resubmitted_again(env):
    env.sim.revoke_next(URL)
    env.sim.time_out_next(URL)
    run, _ = env.ask()
    env.wait(10)
    env.service.tick()
    env.wait(10)
    saved = env.store.get_run(run.id)
    assert saved.state == "failed" and "already sent again once" in saved.error_message
    assert len(env.sim.posts(URL)) == 2


def test_a_restart_mid_task_resumes_polling_and_posts_once(env):
    run, _ = env.ask()
    env.wait(2)
    env.service.shutdown()  # the process goes away (SIGKILL leaves the same rows)
    env.service = env.make_service()
    assert env.service.recover() == 0  # it had its url_id: nothing is in doubt
    env.wait(10)
    env.wait(2)
    assert env.store.get_run(run.id).state == "completed"
    assert [d[0] for d in env.notifier.delivered] == [run.id]
    assert len(env.sim.posts()) == 1


def test_a_restart_keeps_the_hourly_budget(tmp_path):
    env = Env(tmp_path, posts_per_hour=1)
    try:
        env.ask(url="https://a.example")
        env.service = env.make_service()  # a fresh limiter: it must learn the hour's POSTs
        rows = env.store.sql.query("SELECT submitted_at FROM runs")
        env.provider.remember_submissions([r["submitted_at"] for r in rows])
        run, _ = env.ask(url="https://b.example")
        assert run.state == "queued" and len(env.sim.posts()) == 1
    finally:
        env.sim.stop()


def test_hostile_page_text_is_escaped(env):
    env.ask(url="https://hostile.example", kind="rewrite")
    score, _ = env.ask(url="https://hostile.example")
    env.wait(10)
    for run in env.store.all_runs():
        view = env.service.providers.view(run)
        message = kit.result_message(run, view)
        text = json.dumps(message.blocks)
        assert "<!channel>" not in text and "<@U0BOSS>" not in text
        assert "<https://evil.example" not in text and "&lt;!channel&gt;" in text
    rewrite = next(r for r in env.store.all_runs() if r.outputs["kind"] == "rewrite")
    attachment = kit.result_message(rewrite, env.service.providers.view(rewrite)).attachment
    assert attachment and HOSTILE in attachment and attachment.count("## ") == 7
