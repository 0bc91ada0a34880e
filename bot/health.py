"""What `GET /healthz` answers: can the bot still write its database, and is its scheduler
still ticking. One line either way, so a host's health check (and its log) says why. The
answer names the kind of problem, never the file's path (anyone who can reach the port
reads it); the log line adds the path for the operator.

The database can go wrong under a running bot without it noticing: a deleted file keeps
working through the connections already open (the data goes nowhere), a file replaced by
a restore is not the one those connections write, and a read-only file only fails new
connections. So each check looks at the path afresh and writes through a new connection.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)

# A tick is late after this many intervals, and never sooner than STALE_FLOOR seconds: a
# busy 2-core host can hold a one-second tick back for a few seconds without harm.
STALE_TICKS = 5
STALE_FLOOR = 10.0
TICK_JOB = "runs"  # the scheduler job whose ticks count (scheduler.py)


class Health:
    def __init__(
        self,
        db_path: str,
        *,
        tick_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        busy_timeout: float = 2.0,
    ) -> None:
        self.path = db_path
        self.busy_timeout = busy_timeout  # a write lock held this long still counts as writable
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.stale_after = max(STALE_TICKS * tick_seconds, STALE_FLOOR)
        self._file = self._identity()  # the file the bot opened at start-up
        self._last_tick = clock()  # start-up counts: the first tick is due within one

    # --- the scheduler reports -------------------------------------------------------------

    def ticked(self) -> None:
        self._last_tick = self.clock()

    def on_job_event(self, event) -> None:
        """An APScheduler listener: a finished run tick counts (a failed one too: the
        scheduler is alive, and the failure is logged where it happened)."""
        if getattr(event, "job_id", None) == TICK_JOB:
            self.ticked()

    # --- the answer ------------------------------------------------------------------------

    def __call__(self) -> tuple[bool, str]:
        problem = self.database_problem() or self.scheduler_problem()
        if problem:
            log.warning("unhealthy: %s (DATABASE_PATH=%s)", problem, self.path)
        return problem is None, problem or "ok"

    def scheduler_problem(self) -> str | None:
        late = self.clock() - self._last_tick
        if late <= self.stale_after:
            return None
        return (
            f"scheduler stalled: no run tick for {late:.0f}s (due every {self.tick_seconds:g}s); "
            "runs are not being sent or polled: restart the bot"
        )

    def database_problem(self) -> str | None:
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
