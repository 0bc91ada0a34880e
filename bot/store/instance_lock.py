"""One bot per database: an exclusive lock on a file next to it, held while the bot runs.

Two processes on one database once lost results: the second one's start-up recovery
gave up on the first one's runs in flight. The operating system drops the lock when its
process dies (even by SIGKILL), so a restart after a crash is never refused, and while
the lock is held every run that is still "submitting" from earlier belongs to a process
that is gone.
"""

from __future__ import annotations

import fcntl
import os
import socket
import uuid
from pathlib import Path

from bot.store.access import is_read_only, read_only_text
from bot.store.database import StoreError


class InstanceLockError(Exception):
    """Another bot holds the database; the message says which and what to do."""


def resolved(db_path: str) -> str:
    """The database file's real path (symlinks followed, even when the file is not made
    yet: its folder may be the link)."""
    return os.path.realpath(os.path.expanduser(db_path))


class InstanceLock:
    def __init__(self, db_path: str | None) -> None:
        """`db_path` None: no lock (PostgreSQL, where processes share the database and
        claim their work row by row); the instance id still names this process."""
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.db_path = db_path
        # On the resolved path: a symlink (or `..`) naming the same file must find the
        # same lock, or a second bot gets past it onto the first one's database.
        alone = db_path is not None and db_path != ":memory:"
        self.path = Path(f"{resolved(db_path)}.lock") if alone else None
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        if self.path is None:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if not is_read_only(exc):
                raise
            raise StoreError(read_only_text(self.db_path, exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise InstanceLockError(
                f"another bitscale-bot is already running on DATABASE_PATH={self.db_path} "
                f"({holder}). Stop it first, or give this one its own DATABASE_PATH."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None
