"""A firing's rows handed to the batch machinery: a batch file with one column per input and
one line per row, and a fresh batch whose dedupe key is the firing (FIRING_PREFIX marks a
firing's batch, whose posts the watch makes instead, batch_posts.py).
"""

from __future__ import annotations

import csv
import io

from bot.batches.csvread import CsvInfo
from bot.batches.request import BatchRequest
from bot.batches.rows import Plan
from bot.store.files import FileStore
from bot.watches.records import Firing, Watch, WatchRow

FIRING_PREFIX = "watch:"  # a firing's batch: its dedupe key starts so


def firing_batch(
    watch: Watch, firing: Firing, rows: list[WatchRow], files: FileStore
) -> BatchRequest:
    """The firing's rows as a batch file (kept in the database, owned by the batch once
    it is created): one column per input, one line per row."""
    keys = watch.input_keys
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(keys)
    for row in rows:
        writer.writerow([row.inputs.get(k, "") for k in keys])
    data = text.getvalue().encode("utf-8")
    name = f"{watch.grid_name} watch"
    file_id = files.put("upload", name, data, owner=f"user:{watch.owner}")
    return BatchRequest(
        info=CsvInfo(file_id, "utf-8", ",", list(keys), len(rows), data),
        file_name=f"{watch.grid_name} watch",
        grid_id=watch.grid_id,
        grid_name=watch.grid_name,
        mapping={k: k for k in keys},
        outputs=watch.outputs,
        output_columns=[o["id"] for o in watch.outputs],
        user_id=watch.owner,
        channel_id=watch.channel_id,
        plan=Plan(rows_total=len(rows), runs=len(rows)),
        estimate=None if watch.cost_per_row is None else watch.cost_per_row * len(rows),
        team_id=watch.team_id,
        dedupe_key=FIRING_PREFIX + firing.id,
        fresh=True,  # a watch exists to see change: never an earlier answer
    )
