"""Batch files live in the database (N18, issue 21): stored and read back byte for byte,
pruned with their batch, an upload never started pruned after a week, and an existing
deployment's `batch-files/` folder moved in at start and removed."""

from __future__ import annotations

import pytest

from bot.batches.legacy import import_batch_files, legacy_folder
from bot.batches.store import Batch, BatchStore
from bot.store.database import Store
from bot.store.file_retention import prune_batches
from bot.store.files import FileMissing, FileStore
from bot.store.retention import Retention
from tests.factories import make_run

DAY = 86400.0
NOW = 1_800_000_000.0


@pytest.fixture
def store(database_target):
    return Store(database_target)


def batch(batch_id: str, state: str = "done", finished_at: float = NOW - 100 * DAY, **kw):
    fields = dict(
        id=batch_id,
        grid_id="g1",
        grid_name="Company Enrichment",
        user_id="U0ANA",
        channel_id="C0SALES",
        file_name="leads.csv",
        file_id="",
        encoding="utf-8-sig",
        delimiter=",",
        headers=["company"],
        mapping={"company_name": "company"},
        outputs=[],
        state=state,
        created_at=finished_at - 60,
        finished_at=finished_at,
    )
    fields.update(kw)
    return Batch(**fields)


def test_a_file_comes_back_byte_for_byte_and_goes_when_deleted(store):
    files = FileStore(store)
    data = bytes(range(256)) * 1000  # any byte, a BOM, NULs: stored as a BLOB
    file_id = files.put("upload", "leads.csv", data, owner="user:U0ANA")
    assert files.get(file_id) == data
    files.give(file_id, "b1")
    assert files.delete_owned("user:U0ANA") == 0 and files.get(file_id) == data
    assert files.delete_owned("b1") == 1
    with pytest.raises(FileMissing):
        files.get(file_id)


def test_retention_prunes_an_ended_batch_with_its_files_once_its_rows_are_gone(store):
    batches, files = BatchStore(store), FileStore(store)
    kept_rows = batch("old-with-rows")
    for b in (
        batch("old"),
        batch("running", state="running"),
        kept_rows,
        batch("recent", finished_at=NOW - 2 * DAY),
    ):
        batches.insert(b)
        files.put("upload", "leads.csv", b"company\nAcme\n", owner=b.id)
        files.put("enriched", "leads.csv (enriched)", b"x", owner=b.id)
    store.insert_run(make_run(id="r1", batch_id="old-with-rows", state="queued"))
    pruned = prune_batches(store, ended_before=NOW - 35 * DAY, now=NOW)
    assert (pruned.batches, pruned.files) == (1, 2)
    assert batches.get("old") is None
    left = {r["owner"] for r in store.sql.query("SELECT DISTINCT owner FROM files")}
    assert left == {"running", "old-with-rows", "recent"}


def test_an_upload_never_started_as_a_batch_goes_after_a_week(store):
    files = FileStore(store, clock=lambda: NOW - 8 * DAY)
    stale = files.put("upload", "a.csv", b"a", owner="user:U0ANA")
    fresh = FileStore(store, clock=lambda: NOW - 1 * DAY).put("upload", "b.csv", b"b", "user:U0B")
    Retention(store, days=0, clock=lambda: NOW).prune()  # keep-for-ever keeps runs, not these
    with pytest.raises(FileMissing):
        files.get(stale)
    assert files.get(fresh) == b"b"


def test_an_existing_deployments_folder_is_moved_into_the_database(tmp_path):
    # Only a SQLite deployment ever kept files in a folder beside its database.
    store = Store(tmp_path / "bot.db")
    folder = legacy_folder(str(tmp_path / "bot.db"))
    folder.mkdir()
    (folder / "F1-123.csv").write_bytes(b"company\nAcme\n")
    (folder / "b1-enriched.csv").write_bytes(b"company,industry\nAcme,Robots\n")
    (folder / "F9-orphan.csv").write_bytes(b"lead data nobody names")
    batches = BatchStore(store)
    batches.insert(batch("b1", state="running"))
    batches.update(
        "b1",
        file_id=None,
        file_path=str(folder / "F1-123.csv"),
        result_path=str(folder / "b1-enriched.csv"),
    )
    batches.insert(batch("b2", state="running"))
    batches.update("b2", file_id=None, file_path=str(folder / "gone.csv"))
    assert import_batch_files(batches, folder) == 2
    assert not folder.exists()  # nothing of lead data left on the disk
    moved = batches.get("b1")
    assert batches.files.get(moved.file_id) == b"company\nAcme\n"
    assert batches.files.get(moved.result_file_id) == b"company,industry\nAcme,Robots\n"
    assert batches.csv_info(moved).data == b"company\nAcme\n"
    row = store.sql.one("SELECT file_path, result_path FROM batches WHERE id = 'b1'")
    assert row == {"file_path": None, "result_path": None}
    assert batches.get("b2").file_id is None  # its file was already gone: said in the log
    assert import_batch_files(batches, folder) == 0  # once
