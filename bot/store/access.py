"""Why the database cannot be opened for writing, in words an admin can act on.

A read-only file, folder or disk is a permissions problem, not damaged data: telling an
admin to "restore it from a backup" would send them the wrong way.
"""

from __future__ import annotations

import errno
import os

# SQLite's result codes (and their extended forms) for "you may not write here".
_READ_ONLY_CODES = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")


def is_read_only(exc: BaseException) -> bool:
    if isinstance(exc, PermissionError):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return True
    name = getattr(exc, "sqlite_errorname", None) or ""
    return name.startswith(_READ_ONLY_CODES) or "readonly database" in str(exc)


def read_only_text(path: str, exc: BaseException) -> str:
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    folder = os.path.dirname(os.path.abspath(path))
    return (
        f"The database file {path} cannot be written ({detail}): the file, its folder "
        f"{folder} or its disk is read-only for the bot. Check their owner and permissions "
        "(the bot writes the file and creates the -wal, -shm and .lock files beside it) "
        "and that the disk is mounted read-write. The data itself is not damaged."
    )
