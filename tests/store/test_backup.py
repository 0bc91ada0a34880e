"""`bitscale-bot backup FILE`: a consistent copy of the live SQLite database while it is
being written, owner-only, never half a file; PostgreSQL is pointed to pg_dump."""

from __future__ import annotations

import sqlite3
import stat
import threading

import pytest

from bot import cli
from bot.store.database import Store
from tests.factories import make_run


@pytest.fixture
def live(tmp_path, monkeypatch):
    """A database in WAL mode with a writer committing runs as fast as it can."""
    path = tmp_path / "bot.db"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    store = Store(path)
    stop, written = threading.Event(), [0]

    def write() -> None:
        while not stop.is_set():
            n = written[0]
            store.insert_run(make_run(id=f"r{n}", dedupe_key=f"k{n}", inputs={"i": "x" * 200}))
            written[0] = n + 1

    for n in range(300):  # in the WAL, not yet checkpointed into the file
        store.insert_run(make_run(id=f"s{n}", dedupe_key=f"s{n}"))
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    yield path, written
    stop.set()
    writer.join()


def test_a_backup_taken_while_the_bot_writes_is_consistent_and_complete(live, tmp_path, capsys):
    path, written = live
    target = tmp_path / "backups" / "bot-copy.db"
    target.parent.mkdir()
    before = written[0]
    assert cli.main(["backup", str(target)]) == 0
    after = written[0]
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runs = copy.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    assert 300 + before <= runs <= 300 + after  # one instant, WAL included
    ids = {row[0] for row in copy.execute("SELECT id FROM runs WHERE id LIKE 'r%'")}
    assert ids == {f"r{n}" for n in range(runs - 300)}  # no gap: a snapshot, not a torn copy
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert list(target.parent.iterdir()) == [target]  # no partial file left behind
    out = capsys.readouterr().out
    assert f"to {target} (" in out and f"{runs} runs" in out and "keep it owner-only" in out


def test_the_live_database_is_not_a_target(live, capsys):
    path, _ = live
    assert cli.main(["backup", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "bitscale-bot: backup failed: FILE is the live database itself; name another file"
    )


def test_a_target_that_cannot_be_written_leaves_the_last_backup_alone(live, tmp_path, capsys):
    assert cli.main(["backup", str(tmp_path / "missing-folder" / "x.db")]) == 2
    assert capsys.readouterr().err.startswith("bitscale-bot: backup failed: cannot write ")


def test_postgresql_is_pointed_to_pg_dump(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:secret-pw@127.0.0.1/bot")
    assert cli.main(["backup", "x.db"]) == 2
    err = capsys.readouterr().err
    assert "pg_dump" in err and "secret-pw" not in err
