"""`bitscale-bot migrate-db --to postgresql://…`: an existing SQLite deployment moved into an
empty PostgreSQL database, runs in flight included, and found there by the bot; a target
that already holds data, a running bot and a bad URL are refused in one line."""

from __future__ import annotations

import pytest

from bot import cli
from bot.config import Settings, env_name
from bot.store.database import Store
from bot.store.files import FileStore
from bot.store.instance_lock import InstanceLock
from tests.factories import make_run

PASSWORD = "hunter2-not-for-logs"
CSV = b"company_name\nAcme\n\x00\xff binary-safe\n"


@pytest.fixture
def sqlite_db(monkeypatch, tmp_path):
    """A deployment's SQLite file: runs queued, running and done, a batch with its
    uploaded file, and audit entries; DATABASE_PATH names it."""
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bot.db"
    store = Store(path)
    store.insert_run(make_run(id="queued1", state="queued", dedupe_key="k1", created_at=1.0))
    store.insert_run(make_run(id="running1", state="running", request_id="req-42", created_at=2.0))
    store.insert_run(
        make_run(id="done1", state="completed", outputs={"website": "acme.com"}, created_at=3.0)
    )
    file_id = FileStore(store).put("upload", "leads.csv", CSV, "b1")
    store.sql.insert(
        "batches",
        {
            "id": "b1",
            "grid_id": "g1",
            "user_id": "U0ANA",
            "state": "running",
            "file_id": file_id,
            "file_name": "leads.csv",
        },
    )
    for n in range(3):
        store.sql.insert("audit", {"at": float(n), "actor": "U0ANA", "action": "run"})
    store.close()
    monkeypatch.setenv("DATABASE_PATH", str(path))
    return path, file_id


def test_a_sqlite_deployment_moves_into_postgresql_and_the_bot_finds_it(
    sqlite_db, postgres_url, capsys
):
    _, file_id = sqlite_db
    assert cli.main(["migrate-db", "--to", postgres_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"copied {sqlite_db[0]} to {postgres_url}: 8 rows in ")
    assert "row counts match, table by table:" in lines[0]
    table_lines = {line.split()[0]: line.split()[1] for line in lines[1:-1]}
    assert table_lines["runs"] == "3" and table_lines["audit"] == "3"
    assert table_lines["batches"] == "1" and table_lines["files"] == "1"
    assert table_lines["sessions"] == "0"
    assert "alembic_version" not in table_lines and "health_probe" not in table_lines

    store = Store(postgres_url)
    assert store.postgres
    assert {r.id: r.state for r in store.all_runs()} == {
        "queued1": "queued",
        "running1": "running",
        "done1": "completed",
    }
    assert store.run_by_request_id("req-42").id == "running1"
    assert store.get_run("done1").outputs == {"website": "acme.com"}
    assert store.run_by_dedupe_key("k1").id == "queued1"
    assert FileStore(store).get(file_id) == CSV  # a BLOB became bytea, byte for byte
    # The audit log's ids carry on after the copied ones, with no collision.
    store.sql.insert("audit", {"at": 9.0, "actor": "U0BOB", "action": "run"})
    assert store.sql.scalar("SELECT id FROM audit WHERE actor = 'U0BOB'") == 4
    store.close()


def test_a_target_that_holds_data_is_refused_and_left_alone(sqlite_db, postgres_url, capsys):
    assert cli.main(["migrate-db", "--to", postgres_url]) == 0
    capsys.readouterr()
    assert cli.main(["migrate-db", "--to", postgres_url]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    (line,) = out.err.splitlines()
    assert line.startswith(
        f"bitscale-bot: migrate-db failed: the target database {postgres_url} already holds "
        "the bot's data (audit 3, batches 1, files 1, runs 3 rows)"
    )
    store = Store(postgres_url)
    assert store.count_runs() == 3  # nothing doubled
    store.close()


def test_a_running_bot_is_named_and_nothing_is_copied(sqlite_db, postgres_url, capsys):
    lock = InstanceLock(str(sqlite_db[0])).acquire()
    try:
        assert cli.main(["migrate-db", "--to", postgres_url]) == 2
    finally:
        lock.release()
    (line,) = capsys.readouterr().err.splitlines()
    assert "another bitscale-bot is already running on DATABASE_PATH=" in line
    assert line.endswith("A run it changes after the copy would be lost.")
    store = Store(postgres_url)
    assert store.count_runs() == 0
    store.close()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (f"postgresql://root:{PASSWORD}@127.0.0.1:1/test", "Connection refused"),
        (f"postgresql://root:{PASSWORD}@127.0.0.1:5432/no_such_db", "does not exist"),
        (f"mysql://root:{PASSWORD}@127.0.0.1/bot", "--to must be a postgresql://"),
    ],
)
def test_a_bad_url_is_one_line_without_the_password(sqlite_db, capsys, url, said, postgres_url):
    assert cli.main(["migrate-db", "--to", url]) == 2
    out = capsys.readouterr()
    note, line = out.err.splitlines()  # the note: a password on the command line shows in ps
    assert "process list" in note and "DATABASE_URL" in note
    assert line.startswith("bitscale-bot: migrate-db failed: ") and said in line
    assert PASSWORD not in out.err + out.out


def test_the_target_can_come_from_database_url_keeping_the_password_off_the_command_line(
    sqlite_db, postgres_url, capsys, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert cli.main(["migrate-db"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith(f"copied {sqlite_db[0]} to {postgres_url}: 8 rows in ")
    assert "process list" not in out.err


def test_no_target_at_all_is_said(sqlite_db, capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["migrate-db"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "bitscale-bot: migrate-db needs a target: set DATABASE_URL to the PostgreSQL "
        "database (or pass --to URL)"
    ]


def test_no_sqlite_database_is_said(sqlite_db, postgres_url, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "missing.db"))
    assert cli.main(["migrate-db", "--to", postgres_url]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"bitscale-bot: migrate-db failed: there is no SQLite database at "
        f"DATABASE_PATH={tmp_path / 'missing.db'}"
    ]


def test_a_row_postgresql_refuses_rolls_the_whole_copy_back(sqlite_db, postgres_url, capsys):
    store = Store(sqlite_db[0])
    # PostgreSQL's text cannot hold a NUL character, SQLite's can; `sessions` is copied
    # after `runs`, so the runs were already in the transaction when it fails.
    store.sql.insert("sessions", {"token": "t1", "payload": "a\x00b", "created_at": 1.0})
    store.close()
    assert cli.main(["migrate-db", "--to", postgres_url]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        f"bitscale-bot: migrate-db failed: copying table sessions into {postgres_url} failed ("
    )
    assert line.endswith("it was rolled back, nothing was written")
    store = Store(postgres_url)
    assert store.count_runs() == 0
    store.close()
