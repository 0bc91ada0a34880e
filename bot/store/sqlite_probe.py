"""Can the bot still write its SQLite file: the database half of `/healthz` on SQLite.

The file can go wrong under a running bot without it noticing: a deleted file keeps
working through the connections already open (the data goes nowhere), a file replaced by
a restore is not the one those connections write, and a read-only file only fails new
connections. So each check looks at the path afresh and writes through a new connection.
The answer names the kind of problem, never the file's path (anyone who can reach the
port reads it); `where` is for the log.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path
from urllib.parse import quote


class SqliteProbe:
    def __init__(self, path: str, *, busy_timeout: float = 2.0) -> None:
        self.path = path
        self.where = f"DATABASE_PATH={path}"
        self.busy_timeout = busy_timeout  # a write lock held this long still counts as writable
        self._file = self._identity()  # the file the bot opened at start-up

    def problem(self) -> str | None:
        if self.path == ":memory:":
            return None
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return "database file is gone (DATABASE_PATH); restore it and restart the bot"
        except OSError as exc:
            return f"database file cannot be read ({exc.strerror})"
        if self._file is not None and (info.st_dev, info.st_ino) != self._file:
            return (
                "database file was replaced after start-up; the bot still writes the old "
                "file: restart it to use the new one"
            )
        if not info.st_mode & stat.S_IWUSR:
            return "database file is read-only; make it writable (chmod u+w) and restart"
        return self._write_problem()

    def _identity(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def _write_problem(self) -> str | None:
        """Write one row through a new connection: what the next unit of work will do."""
        uri = f"file:{quote(str(Path(self.path).resolve()))}?mode=rw"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout)
        except sqlite3.Error as exc:
            return f"database file cannot be opened for writing ({_without(exc, self.path)})"
        try:
            with conn:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, at REAL)"
                )
                conn.execute("INSERT OR REPLACE INTO health_probe VALUES (1, ?)", [time.time()])
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None  # someone is writing right now: writable
            return f"database file cannot be written ({_without(exc, self.path)})"
        except sqlite3.Error as exc:
            return f"database file cannot be written ({_without(exc, self.path)})"
        finally:
            conn.close()
        return None


def _without(exc: Exception, path: str) -> str:
    """SQLite's words, with the file's path taken out should they hold it."""
    text = str(exc)
    for shown in {path, str(Path(path).resolve())}:
        text = text.replace(shown, "DATABASE_PATH")
    return text
