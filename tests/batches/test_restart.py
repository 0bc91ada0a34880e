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

from bot.playground.rigs.process_rig import ProcessRig
from bot.playground.slack.records import wait_for

ROWS = 20


@pytest.fixture
def rig(process_rig) -> ProcessRig:
    # BitScale's timing at 20x; the bot keeps its own poll gaps and drain.
    return process_rig(
        time_scale=20, scale_bot_timing=False, env={"BATCH_PROGRESS_SECONDS": "0.5"}
    )


def parents(rig: ProcessRig):
    return rig.slack.posts("C0SALES", top_level=True)


def summaries(rig: ProcessRig):
    return [m for m in rig.slack.posts("C0SALES") if m.thread_ts and m.metadata]


def files(rig: ProcessRig):
    return [f for f in rig.slack.files.values() if f.get("thread_ts") and f.get("content")]


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
    wait_for(lambda: summaries(rig), 90)
    wait_for(lambda: files(rig), 30)
    time.sleep(1.5)  # a grace period in which a second post would show up

    sent = Counter(r.inputs["company_name"] for r in rig.sim.runs_for("Load Test"))
    assert max(sent.values()) == 1  # no row was sent twice
    assert len(parents(rig)) == 1 and len(summaries(rig)) == 1 and len(files(rig)) == 1
    (record,) = files(rig)
    table = list(csv.reader(io.StringIO(record["content"].decode("utf-8-sig"))))
    statuses = Counter(row[-2] for row in table[1:])
    # every sent row's result is in the file (a row cut off mid-request would say so)
    assert statuses["done"] + statuses["interrupted"] == ROWS == len(sent)
    assert statuses["done"] >= ROWS - 1
    for row in table[1:]:
        if row[-2] == "done":
            assert row[2] == row[0]  # the Echo output is this row's own company
    runs = rig.runs()
    assert len(runs) == ROWS and all(r.batch_id for r in runs)
    # the uploaded and the enriched file are in the database; no lead data on the disk
    assert not (rig.db.parent / "batch-files").exists()
    stored = rig.store.sql.query("SELECT kind FROM files ORDER BY kind")
    assert stored == [{"kind": "enriched"}, {"kind": "upload"}]
