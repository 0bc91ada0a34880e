"""`bitscale-bot backup FILE`: a consistent copy of a live SQLite database, taken while the
bot runs and writes.

Copying the file with `cp` is not a backup: in WAL mode the newest writes are in the `-wal`
file, and a copy taken mid-write can be torn. SQLite's online backup API copies the pages
of one snapshot (a read transaction, which in WAL mode never blocks the bot's writers), so
the copy is the database as it was at one instant, WAL included. The copy is written next
to FILE under a temporary name, owner-only (it holds lead data and a rotated API key),
checked, synced, and only then renamed to FILE: a failed backup never leaves half a file
where the last good one was.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.store.engines import BUSY_TIMEOUT_SECONDS


class BackupError(Exception):
    """The backup could not be taken; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    path: Path
    bytes: int
    runs: int


def backup_sqlite(database: str | Path, target: str | Path) -> Backup:
    source_path, target_path = Path(database), Path(target)
    if not source_path.is_file():
        raise BackupError(f"there is no database at DATABASE_PATH={source_path}")
    if target_path.exists() and target_path.resolve() == source_path.resolve():
        raise BackupError("FILE is the live database itself; name another file")
    if target_path.is_dir():
        raise BackupError(f"{target_path} is a folder; name the backup file, e.g. bot.db.bak")
    partial = target_path.with_name(f".{target_path.name}.partial")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    except OSError as exc:
        raise BackupError(f"cannot write {target_path} ({exc.strerror})") from None
    try:
        runs = _copy(source_path, partial)
        with open(partial, "rb") as copied:
            os.fsync(copied.fileno())
        os.replace(partial, target_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Backup(target_path, target_path.stat().st_size, runs)


def _copy(source_path: Path, partial: Path) -> int:
    uri = f"file:{source_path.resolve()}?mode=ro"
    try:
        source = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open the database ({exc})") from None
    copy = sqlite3.connect(partial)
    try:
        # All pages in one step: one snapshot, whatever the bot writes meanwhile (a copy
        # in several steps starts over each time another connection writes).
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        status = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"the copy failed its integrity check ({status}); try again")
        runs = sqlite_utils.Database(copy)["runs"]  # the SQLite file itself: sqlite-utils
        return runs.count if runs.exists() else 0
    except sqlite3.Error as exc:
        raise BackupError(f"the copy failed ({exc}); check the free space and try again") from None
    finally:
        copy.close()
        source.close()
