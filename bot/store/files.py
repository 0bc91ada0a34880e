"""Files the bot keeps (uploaded batch CSVs, enriched CSVs, charts) live in the database, not
on a local disk: any process on any machine can finish any batch, a backup of the database
holds them, and lead data gets the database's protection (owner-only SQLite file, or
PostgreSQL's access control) instead of a world-readable folder.

Table `files(id TEXT PRIMARY KEY, kind TEXT, name TEXT, owner TEXT, size INTEGER,
data BLOB, created_at REAL)`: BLOB on SQLite, BYTEA on PostgreSQL. `owner` names what the
file belongs to (a batch id, or `user:U…` for an upload not yet started as a batch), so
retention deletes a batch's files with it (retention.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from bot.store.database import Store

KINDS = ("upload", "enriched", "chart")


class FileMissing(KeyError):
    """No file with that id (deleted by retention, or never stored)."""


class FileStore:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def put(self, kind: str, name: str, data: bytes, owner: str) -> str:
        file_id = uuid.uuid4().hex
        row = {"id": file_id, "kind": kind, "name": name, "owner": owner}
        self.store.sql.insert(
            "files", {**row, "size": len(data), "data": data, "created_at": self.clock()}
        )
        return file_id

    def get(self, file_id: str) -> bytes:
        row = self.store.sql.one("SELECT data FROM files WHERE id = :id", {"id": file_id})
        if row is None:
            raise FileMissing(file_id)
        return bytes(row["data"])

    def delete(self, file_id: str) -> None:
        self.store.sql.run("DELETE FROM files WHERE id = :id", {"id": file_id})

    def give(self, file_id: str, owner: str) -> None:
        """The file now belongs to `owner` (an upload that became a batch)."""
        self.store.sql.run(
            "UPDATE files SET owner = :owner WHERE id = :id", {"owner": owner, "id": file_id}
        )

    def delete_owned(self, owner: str) -> int:
        return self.store.sql.run("DELETE FROM files WHERE owner = :owner", {"owner": owner})
