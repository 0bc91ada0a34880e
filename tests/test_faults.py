"""Nothing lost, nothing twice: the bot as a real process, killed at each step and restarted.

Crash points are set up from outside (the simulator and the Slack stand-in stall or refuse
at the right moment), then the process gets SIGKILL and a new one starts on the same
database. Each test counts BitScale runs and Slack result posts.
"""

from __future__ import annotations

import time

import pytest

from bot.playground.rigs.bot_process import run_bot
from bot.playground.rigs.process_rig import ProcessRig
from bot.playground.rigs.stack import BOT_TOKEN, SIGNING_SECRET
from bot.playground.slack.records import wait_for
from bot.playground.slack.standin import SlackStandIn


def start_rig(process_rig, **env: str) -> ProcessRig:
    # BitScale's timing at 10x (a 100 s grid takes 10 s, the sync window 12 s); the bot
    # keeps its own poll gaps and drain.
    return process_rig(
        time_scale=10, scale_bot_timing=False, env={"RUN_EXPIRY_MINUTES": "5", **env}
    )


@pytest.fixture
def rig(process_rig):
    return start_rig(process_rig)


def test_crash_before_the_request_leaves(rig):
    # BitScale turns the run away (429, Retry-After 2): it waits in the queue, unsent.
    rig.sim.inject(
        method="POST",
        path_contains="/run",
        status=429,
        code="RATE_LIMIT_EXCEEDED",
        retry_after=2,
        times=1,
    )
    rig.submit_inputs("Person Lookup", {"full_name": "Ada L", "company_domain": "a.io"})
    wait_for(
        lambda: rig.runs() and rig.runs()[0].state == "queued" and rig.sim.count(status=429) == 1,
        timeout=15,
    )
    rig.restart()
    wait_for(lambda: rig.results(), timeout=20)
    time.sleep(1.5)  # a grace period in which a duplicate would show up
    assert rig.sim.run_count == 1 and len(rig.results()) == 1
    assert rig.runs()[0].state == "completed"


def test_crash_while_the_run_is_in_flight_is_told_not_resent(process_rig):
    # Sync forced: the whole run is in flight without a request id (its exposure).
    _told_not_resent(start_rig(process_rig, BITSCALE_RUN_MODE="sync"))


def _told_not_resent(rig):
    rig.submit_inputs("Load Test", {"company_name": "Inflight", "duration_seconds": "100"})  # 10 s
    wait_for(lambda: rig.sim.run_count == 1, timeout=15)
    rig.restart()
    (reply,) = wait_for(lambda: rig.results(), timeout=20)
    text = str(reply.blocks)
    assert "interrupted" in text and "Run again" in text and "not re-sent" in text
    time.sleep(1.5)
    assert rig.sim.run_count == 1 and len(rig.results()) == 1


def test_crash_after_the_request_id_is_stored(process_rig):
    rig = start_rig(process_rig, BITSCALE_RUN_MODE="async")
    rig.submit_inputs("Load Test", {"company_name": "Resume", "duration_seconds": "30"})  # 3 s
    wait_for(lambda: rig.runs() and rig.runs()[0].request_id, timeout=15)
    rig.restart()
    (reply,) = wait_for(lambda: rig.results(), timeout=30)
    assert "Resume" in str(reply.blocks)
    time.sleep(1.5)
    assert rig.sim.run_count == 1 and len(rig.results()) == 1


def test_crash_before_slack_accepted_the_result(rig):
    rig.slack.inject(method="chat.postMessage", thread_only=True, hang=30, error="timeout")
    rig.submit_inputs("Person Lookup", {"full_name": "Grace H", "company_domain": "navy.mil"})
    wait_for(
        lambda: (
            rig.runs() and rig.runs()[0].state == "completed" and rig.runs()[0].notify_attempted_at
        ),
        timeout=15,
    )
    assert rig.results() == []
    rig.restart()
    wait_for(lambda: rig.results(), timeout=30)
    time.sleep(1.5)
    assert len(rig.results()) == 1 and rig.sim.run_count == 1


def test_crash_after_slack_accepted_but_before_it_was_recorded(rig):
    rig.slack.inject(method="chat.postMessage", thread_only=True, hang=30, accept_first=True)
    rig.submit_inputs("Person Lookup", {"full_name": "Alan T", "company_domain": "b.uk"})
    wait_for(lambda: rig.results(), timeout=15)
    assert rig.runs()[0].notified_at is None
    rig.restart()
    wait_for(lambda: rig.runs()[0].notified_at, timeout=30)
    assert len(rig.results()) == 1 and rig.sim.run_count == 1


def test_crash_after_everything_is_done_changes_nothing(rig):
    rig.submit_inputs("Person Lookup", {"full_name": "Kay N", "company_domain": "k.dev"})
    wait_for(lambda: rig.runs() and rig.runs()[0].notified_at, timeout=15)
    rig.restart()
    time.sleep(2)
    assert len(rig.results()) == 1 and rig.sim.run_count == 1


def test_bitscale_and_slack_faults_are_survived(process_rig):
    # 5xx bursts and a proxy's HTML on polls, then Slack 429 (Retry-After) and 503 on the
    # thread reply: the run still ends with exactly one result.
    rig = start_rig(process_rig, BITSCALE_RUN_MODE="async")
    rig.sim.inject(path_contains="/run/status", status=503, code="INTERNAL_ERROR", times=3)
    rig.sim.inject(path_contains="/run/status", status=502, raw_body=b"<html>proxy</html>")
    rig.slack.inject(method="chat.postMessage", status=429, retry_after=1, thread_only=True)
    rig.slack.inject(method="chat.postMessage", status=503, thread_only=True)
    rig.submit_inputs("Load Test", {"company_name": "Sturdy", "duration_seconds": "20"})  # 2 s
    (reply,) = wait_for(lambda: rig.results(), timeout=60)
    assert "Sturdy" in str(reply.blocks)
    time.sleep(1.0)
    assert rig.sim.run_count == 1 and len(rig.results()) == 1
    assert rig.sim.count(status=503) >= 1
    # the retries were logged, the secrets were not
    log = rig.bot.log_path.read_text()
    assert "retrying" in log
    for secret in (rig.sim.api_key, BOT_TOKEN, SIGNING_SECRET):
        assert secret not in log


def test_thirty_runs_at_once_cause_no_429(rig):
    for i in range(30):
        rig.submit_inputs("Person Lookup", {"full_name": f"Person {i}", "company_domain": "x.io"})
    wait_for(lambda: len(rig.results()) == 30, timeout=60)
    assert rig.sim.count(status=429) == 0
    assert rig.sim.max_in_window(1.0) <= 5
    assert rig.sim.run_count == 30


def test_sigterm_shuts_down_cleanly(rig):
    assert rig.bot.terminate() == 0


def test_a_rejected_slack_token_stops_start_up_with_one_line(tmp_path):
    slack = SlackStandIn().start()
    try:
        slack.inject(method="auth.test", error="invalid_auth")
        env = {
            "PATH": "/usr/bin:/bin",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "s",
            "BITSCALE_API_KEY": "k",
            "SLACK_API_URL": slack.api_url,
            "DATABASE_PATH": str(tmp_path / "db"),
        }
        done = run_bot("start", env=env)
        assert done.returncode == 2
        assert "Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in done.stderr
        assert BOT_TOKEN not in done.stderr + done.stdout and "Traceback" not in done.stderr
    finally:
        slack.stop()
