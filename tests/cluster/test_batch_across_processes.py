"""A batch in a cluster: three bot processes on one PostgreSQL feed the same batch at once.
Every row goes to BitScale once, the processes share the rows, and the batch's message,
its summary and its file are each posted once."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter

from bot.playground.slack.records import wait_for

GRID = "Cluster Grid"
ROWS = 30


def test_three_processes_feed_one_batch_and_send_each_row_once(cluster):
    rig = cluster()
    rows = "".join(f"Lead {i:02d}\n" for i in range(ROWS))
    rig.next_driver().start_batch(("company_name\n" + rows).encode(), grid=GRID)

    def summaries():
        return [m for m in rig.slack.posts("C0SALES") if m.thread_ts and m.metadata]

    def files():
        return [f for f in rig.slack.files.values() if f.get("thread_ts") and f.get("content")]

    wait_for(summaries, timeout=120, interval=0.2)
    wait_for(files, timeout=60, interval=0.2)
    time.sleep(0.5)  # room for a second summary or file to show up

    sent = Counter(r.inputs["company_name"] for r in rig.sim.runs_for(GRID))
    assert len(sent) == ROWS and max(sent.values()) == 1  # every row, each once
    batch_rows = [r for r in rig.runs() if r.batch_id]
    assert len(batch_rows) == ROWS and all(r.state == "completed" for r in batch_rows)
    assert len({r.owner for r in batch_rows}) >= 2  # the processes shared the rows
    assert len(rig.slack.posts("C0SALES", top_level=True)) == 1
    assert len(summaries()) == 1 and len(files()) == 1
    (record,) = files()
    table = list(csv.reader(io.StringIO(record["content"].decode("utf-8-sig"))))
    assert Counter(row[-2] for row in table[1:]) == {"done": ROWS}
