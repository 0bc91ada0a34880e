"""A batch survives restarts: the bot as a real process gets SIGKILL (or SIGTERM) in the
middle of a batch, a new process starts on the same database, and we count BitScale runs
and Slack posts. Every row is sent at most once, every sent row's result is in the file,
and the progress message and the summary are each posted once."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter

import pytest

from bot.playground.process import BotProcess
from bot.playground.simulator import Simulator
from bot.playground.slack_driver import SlackDriver
from bot.playground.slack_standin import SlackStandIn
from bot.playground.stack import SIGNING_SECRET, wait_for
from bot.store import Store

ROWS = 20


class BatchRig:
    def __init__(self, tmp_path):
        self.sim = Simulator("restart-key", time_scale=20).start()
        self.slack = SlackStandIn().start()
        self.db = tmp_path / "bot.db"
        self.bot: BotProcess | None = None
        self.driver: SlackDriver | None = None

    def start_bot(self) -> None:
        self.bot = BotProcess(
            slack_api_url=self.slack.api_url,
            bitscale_url=self.sim.url,
            bitscale_key=self.sim.api_key,
            db_path=self.db,
            extra_env={"BATCH_PROGRESS_SECONDS": "0.5"},
        ).start()
        if self.driver:
            self.driver.close()
        self.driver = SlackDriver(self.bot.url, SIGNING_SECRET, self.slack)

    def parents(self):
        return self.slack.posts("C0SALES", top_level=True)

    def summaries(self):
        return [m for m in self.slack.posts("C0SALES") if m.thread_ts and m.metadata]

    def files(self):
        return [f for f in self.slack.files.values() if f.get("thread_ts") and f.get("content")]

    def close(self):
        if self.bot:
            self.bot.kill()
        if self.driver:
            self.driver.close()
        self.slack.stop()
        self.sim.stop()


@pytest.fixture
def rig(tmp_path):
    r = BatchRig(tmp_path)
    r.start_bot()
    yield r
    r.close()


@pytest.mark.parametrize("stop", ["kill", "terminate"])
def test_restart_mid_batch_sends_each_row_once_and_posts_once(rig, stop):
    # Load Test rows of 20 simulated seconds (2 s here), submitted async
    rows = "".join(f"Lead {i},20\n" for i in range(ROWS))
    rig.driver.start_batch(("company_name,duration_seconds\n" + rows).encode(), grid="Load Test")
    wait_for(lambda: rig.sim.run_count >= 6, 30)
    getattr(rig.bot, stop)()
    sent_before = rig.sim.run_count
    assert sent_before < ROWS
    rig.start_bot()
    wait_for(lambda: rig.summaries(), 90)
    wait_for(lambda: rig.files(), 30)
    time.sleep(1.5)  # a grace period in which a second post would show up

    sent = Counter(r.inputs["company_name"] for r in rig.sim.runs_for("Load Test"))
    assert max(sent.values()) == 1  # no row was sent twice
    assert len(rig.parents()) == 1 and len(rig.summaries()) == 1 and len(rig.files()) == 1
    (record,) = rig.files()
    table = list(csv.reader(io.StringIO(record["content"].decode("utf-8-sig"))))
    statuses = Counter(row[-2] for row in table[1:])
    # every sent row's result is in the file (a row cut off mid-request would say so)
    assert statuses["done"] + statuses["interrupted"] == ROWS == len(sent)
    assert statuses["done"] >= ROWS - 1
    for row in table[1:]:
        if row[-2] == "done":
            assert row[2] == row[0]  # the Echo output is this row's own company
    runs = Store(rig.db).all_runs()
    assert len(runs) == ROWS and all(r.batch_id for r in runs)
