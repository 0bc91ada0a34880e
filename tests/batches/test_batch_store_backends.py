"""Batches on both backends (a SQLite file, then the real PostgreSQL): a batch, its rows
and its file are stored and read back, it finishes with its enriched file and one summary,
and two processes feeding the same batch at once hand every row to a worker exactly once."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter
from types import SimpleNamespace

from bot.batches.expand import expand
from bot.batches.feeder import Feeder
from bot.batches.finish import Finisher
from bot.batches.legacy import import_batch_files, legacy_folder
from bot.batches.posts import BatchPosts
from bot.batches.progress import measure
from bot.batches.store import Batch, BatchStore
from bot.store.database import Store

NOW = 1_800_000_000.0
SHEET = b"company,website\nAlpha,alpha.io\nBeta,\nGamma,gamma.io\nAlpha,alpha.io\nDelta,delta.io\n"


def new_batch(batches: BatchStore, sheet: bytes, batch_id: str = "b1", **kw) -> Batch:
    file_id = batches.files.put("upload", "leads.csv", sheet, owner=batch_id)
    fields = dict(
        id=batch_id, dedupe_key="form:ana:1", grid_id="g1",
        grid_name="Company Enrichment", user_id="U0ANA", channel_id="C0SALES",
        file_name="leads.csv", file_id=file_id, encoding="utf-8", delimiter=",",
        headers=["company", "website"],
        mapping={"company_name": "company", "website": "website"},
        outputs=[{"id": "employees", "name": "Employees"}], state="preparing",
        created_at=NOW, rows_total=sheet.count(b"\n") - 1,
    )  # fmt: skip
    fields.update(kw)
    return Batch(**fields)


def earlier_for(company: str):
    """An earlier result index that knows one company's answer."""
    hit = SimpleNamespace(
        outputs={"employees": {"value": 7}}, run_id="r-old", made_by="U0BEN", made_at=NOW - 86400
    )

    def earlier(grid_id, grid_name, inputs, output_columns, user_id, channel_id):
        return [hit if i.get("company_name") == company else None for i in inputs]

    return earlier


class Notifier:
    def __init__(self) -> None:
        self.summaries: list[object] = []
        self.files: list[object] = []

    def batch_reply_exists(self, batch) -> bool:
        return False

    def batch_finished(self, batch, report) -> None:
        self.summaries.append(report)

    def attach_batch_result(self, batch, report) -> None:
        self.files.append(report.result)


def row_of(store: Store, company: str) -> dict:
    return store.sql.one(
        "SELECT * FROM runs WHERE batch_id = 'b1' AND inputs LIKE :company",
        {"company": f'%"{company}"%'},
    )


def test_a_batch_its_rows_and_its_file_from_upload_to_the_enriched_file(database_target):
    store = Store(database_target)
    batches = BatchStore(store)
    batch, created = batches.insert(new_batch(batches, SHEET, rows_skipped=1))
    assert created
    # the same form again (another id, the same dedupe key) is the first batch
    again, created = batches.insert(new_batch(batches, SHEET, batch_id="b2"))
    assert not created and again.id == "b1"
    stored = batches.get("b1")
    assert stored.mapping == {"company_name": "company", "website": "website"}
    assert stored.headers == ["company", "website"] and stored.fresh == 0
    assert [b.id for b in batches.where("state = :state", {"state": "preparing"})] == ["b1"]

    for _ in range(2):  # a restart mid-expansion expands again: nothing new goes in
        expand(batches, stored, earlier_for("Gamma"), "bitscale", NOW)
    # Alpha twice (one run), Gamma answered by an earlier result, Delta; Beta is skipped
    assert batches.counts("b1") == {"queued": 3, "reused": 1}
    assert store.count_runs("batch_id = :b", {"b": "b1"}) == 3
    assert row_of(store, "Gamma")["reused_from"] == "r-old"

    assert batches.move("b1", ("preparing",), state="running", started_at=NOW, credits_before=100)
    assert not batches.move("b1", ("preparing",), state="running")  # moved once only
    alpha, delta = row_of(store, "Alpha")["id"], row_of(store, "Delta")["id"]
    store.update_run(
        alpha, state="completed", submitted_at=NOW + 1, finished_at=NOW + 5,
        outputs={"employees": {"value": 12}},
    )  # fmt: skip
    store.update_run(
        delta, state="failed", submitted_at=NOW + 1, finished_at=NOW + 5,
        error_message="The grid failed on this row",
    )  # fmt: skip
    assert batches.move("b1", ("running",), state="done", finished_at=NOW + 6)
    assert batches.failure_reasons("b1") == [("The grid failed on this row", 1)]

    notifier = Notifier()
    finisher = Finisher(batches, notifier, lambda: 90, lambda: NOW + 60)
    done = batches.get("b1")
    for _ in range(2):  # the summary and the file go out once
        finisher.finish(done, measure(done, batches.counts("b1"), NOW + 60))
    assert len(notifier.summaries) == 1 and len(notifier.files) == 1
    assert notifier.summaries[0].failures == [("The grid failed on this row", 1)]
    ended = batches.get("b1")
    assert ended.reply_posted_at and ended.file_posted_at and ended.credits_after == 90
    enriched = batches.files.get(ended.result_file_id)
    table = list(csv.reader(io.StringIO(enriched.decode("utf-8-sig"))))
    assert table[0] == [
        "company", "website", "Employees",
        "bitscale_reused_from_date", "bitscale_status", "bitscale_error",
    ]  # fmt: skip
    assert [(r[0], r[2], r[4]) for r in table[1:]] == [
        ("Alpha", "12", "done"),
        ("Beta", "", "skipped"),
        ("Gamma", "7", "reused"),
        ("Alpha", "12", "done"),
        ("Delta", "", "failed"),
    ]
    assert batches.grid_cost("g1") == 5.0  # 10 credits over the 2 rows sent
    # nothing left over from before files lived in the database (none on PostgreSQL)
    folder = legacy_folder(store.path) if store.path else None
    assert import_batch_files(batches, folder) == 0
    store.close()


def running_batch(target: str, rows: int) -> None:
    store = Store(target)
    batches = BatchStore(store)
    sheet = b"company,website\n" + b"".join(b"Lead %d,lead%d.io\n" % (i, i) for i in range(rows))
    batch, _ = batches.insert(new_batch(batches, sheet))
    expand(batches, batch, earlier_for("nobody"), "bitscale", NOW)
    batches.move("b1", ("preparing",), state="running", started_at=NOW)
    store.close()


def test_two_processes_claiming_rows_at_once_never_take_the_same_row(database_target):
    running_batch(database_target, 150)
    stores = [Store(database_target), Store(database_target)]
    taken: list[list[str]] = [[], []]
    start = threading.Barrier(2)

    def claim(n: int) -> None:
        batches = BatchStore(stores[n])
        start.wait()
        while (run := batches.claim_row("b1", NOW + 1, lease=300)) is not None:
            taken[n].append(run.id)

    threads = [threading.Thread(target=claim, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not set(taken[0]) & set(taken[1])
    assert len(taken[0]) + len(taken[1]) == 150
    for store in stores:
        store.close()


class SendsOnce:
    """The run core's part, as far as the feeder sees it: a row handed to `submit_now`
    leaves the queue. Every hand-over is counted."""

    def __init__(self, store: Store, handed: Counter, lock: threading.Lock) -> None:
        self.store, self.handed, self.lock = store, handed, lock

    def submit_now(self, run_id, priority=None, still_wanted=None, *, fold=False) -> None:
        with self.lock:
            self.handed[run_id] += 1
        time.sleep(0.001)  # the request is on its way
        self.store.sql.run("UPDATE runs SET state = 'running' WHERE id = :id", {"id": run_id})


def test_two_processes_feeding_one_batch_hand_each_row_to_one_worker(database_target):
    rows = 120
    running_batch(database_target, rows)
    handed: Counter[str] = Counter()
    lock = threading.Lock()
    stores = [Store(database_target), Store(database_target)]  # two "processes"
    provider = SimpleNamespace(request_rate=1000.0, batch_priority=9)
    feeders = [
        Feeder(
            BatchStore(store),
            SendsOnce(store, handed, lock),
            provider,
            workers=8,
            stopping=threading.Event(),
            wake=threading.Event(),
        )  # fmt: skip
        for store in stores
    ]
    start = threading.Barrier(2)

    def feed(feeder: Feeder) -> None:
        start.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            feeder.feed(NOW + 1)
            if feeder.store.store.count_runs("state = 'queued'") == 0:
                return
            time.sleep(0.001)

    threads = [threading.Thread(target=feed, args=(f,)) for f in feeders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for feeder in feeders:
        feeder.shutdown(wait=True)
    assert len(handed) == rows and max(handed.values()) == 1
    # every row the feeders are done with is free again for the run core's poller
    assert stores[0].count_runs("lease_until IS NOT NULL") == 0
    for store in stores:
        store.close()


class Posts(Notifier):
    def __init__(self, fails: bool = False) -> None:
        super().__init__()
        self.fails, self.pauses, self.edits = fails, 0, 0

    def batch_paused(self, batch) -> None:
        if self.fails:
            raise RuntimeError("Slack is down")
        self.pauses += 1

    def update_batch(self, batch, progress) -> None:
        self.edits += 1


def test_two_processes_tell_of_a_pause_once_and_edit_the_progress_once(database_target):
    running_batch(database_target, 3)
    stores = [Store(database_target), Store(database_target)]
    first, second = (BatchStore(store) for store in stores)
    first.update("b1", message_ts="1.0", post_channel="C0SALES")
    assert first.move("b1", ("running",), state="paused", pause_code="OUT_OF_CREDITS")
    seen = first.get("b1")  # both processes read the batch before either acts
    progress = measure(seen, first.counts("b1"), NOW + 10)
    down = BatchPosts(first, Posts(fails=True), lambda b: progress)
    down.notify_pause(seen)  # Slack refused it: the notice is still owed
    assert first.get("b1").pause_notified == 0
    notifier = Posts()
    both = [BatchPosts(batches, notifier, lambda b: progress) for batches in (first, second)]
    for posts in both:
        posts.notify_pause(seen)
        posts.show_progress(seen, progress, NOW + 10)
    assert notifier.pauses == 1 and notifier.edits == 1
    assert first.get("b1").pause_notified == 1 and second.get("b1").progress_at == NOW + 10
    for store in stores:
        store.close()
