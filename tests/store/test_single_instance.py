"""One bot per database: a second process is refused, and no result is lost to a race."""

from __future__ import annotations

import pytest
import respx

from bot.bootstrap import build_bot
from bot.playground.rigs.bot_process import run_bot
from bot.playground.rigs.stack import BOT_TOKEN, LocalStack
from bot.playground.slack.standin import SlackStandIn
from bot.slack.notifier import SlackNotifier
from bot.slack.web_client import make_web_client
from bot.store.instance_lock import InstanceLockError
from tests.factories import make_run
from tests.runs.test_runs import BASE, DONE, env, request  # noqa: F401 - fixture


def test_a_second_bot_on_the_same_database_is_refused(tmp_path):
    db = tmp_path / "bot.db"
    with LocalStack(str(db)) as stack:
        with pytest.raises(InstanceLockError, match="DATABASE_PATH"):
            build_bot(stack.settings)
        env = {
            "PATH": "/usr/bin:/bin",
            "SLACK_BOT_TOKEN": "xoxb-secret-token",
            "SLACK_SIGNING_SECRET": "s",
            "BITSCALE_API_KEY": "bs-secret-key",
            "DATABASE_PATH": str(db),
        }
        done = run_bot("start", env=env, cwd=tmp_path)
        assert done.returncode == 2
        (line,) = done.stderr.strip().splitlines()
        assert "already running" in line and str(db) in line
        assert "Traceback" not in done.stderr and "secret" not in done.stderr
        # the first one is untouched and still answers
        assert stack.driver.command("help")[0].status_code == 200
    # once the first has stopped, the database is free again
    with LocalStack(str(db)):
        pass


def test_recovery_only_touches_runs_whose_owner_is_gone(env):  # noqa: F811
    service, notifier, clock, store = env
    store.insert_run(make_run(id="mine", state="submitting", owner=service.instance_id))
    store.insert_run(make_run(id="orphan", state="submitting", owner="a-process-long-gone"))
    assert service.recover() == 1
    assert store.get_run("mine").state == "submitting"
    assert store.get_run("orphan").state == "interrupted"


@respx.mock
def test_finishing_is_a_compare_and_set(env):  # noqa: F811
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    run, _ = service.start_run(request())
    assert store.get_run(run.id).state == "completed"
    service._finish(run.id, "failed", code="RUN_FAILED", message="a stray late answer")
    saved = store.get_run(run.id)
    assert saved.state == "completed" and saved.error_message is None
    assert [d[1] for d in notifier.delivered] == ["completed"]


@respx.mock
def test_a_late_real_result_is_still_posted(env):  # noqa: F811
    service, notifier, clock, store = env

    def meanwhile(request_):
        # While the sync request is in flight, the run is given up on (as a second
        # process's recovery once did) and its requester is told.
        (run,) = store.all_runs()
        store.update_run(run.id, state="interrupted", error_message="lost track")
        service._deliver(run.id)
        return respx.MockResponse(200, json=DONE)

    respx.post(f"{BASE}/grids/g1/run").mock(side_effect=meanwhile)
    run, _ = service.start_run(request())
    saved = store.get_run(run.id)
    assert saved.state == "completed" and saved.notified_at and saved.late_after == "interrupted"
    assert [d[1] for d in notifier.delivered] == ["interrupted", "completed"]


def test_an_earlier_notice_does_not_count_as_the_late_result():
    slack = SlackStandIn().start()
    try:
        notifier = SlackNotifier(make_web_client(BOT_TOKEN, slack.api_url))
        run = make_run(id="late1", state="interrupted", error_message="lost track")
        announced = notifier.announce(run)
        run.post_channel, run.message_ts = announced.channel, announced.ts
        notifier.deliver(run)
        assert notifier.already_delivered(run)
        run.state, run.outputs = "completed", {"c": {"name": "N", "value": 1}}
        assert not notifier.already_delivered(run)
        notifier.deliver(run)
        assert notifier.already_delivered(run)
    finally:
        slack.stop()


def test_a_late_result_says_it_came_after_all():
    from bot.slack.blocks.results import result_message

    run = make_run(late_after="interrupted", outputs={"c": {"name": "N", "value": 1}})
    assert "after I had told you the run was interrupted" in str(result_message(run).blocks)
    assert "after all" not in str(result_message(make_run(outputs={})).blocks)


def test_a_symlink_to_the_database_finds_the_same_lock(tmp_path):
    from bot.store.instance_lock import InstanceLock

    real = tmp_path / "data" / "bot.db"
    real.parent.mkdir()
    real.write_bytes(b"")
    link = tmp_path / "link.db"
    link.symlink_to(real)
    folder_link = tmp_path / "volume"
    folder_link.symlink_to(real.parent)
    first = InstanceLock(str(real)).acquire()
    try:
        dotted = tmp_path / "data/../data/bot.db"
        for other in (str(link), str(folder_link / "bot.db"), str(dotted)):
            with pytest.raises(InstanceLockError, match="already running"):
                InstanceLock(other).acquire()
    finally:
        first.release()
    InstanceLock(str(link)).acquire().release()  # free again once the first let go
