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

COLUMNS = {
    "id": str,
    "kind": str,  # upload | enriched | chart
    "name": str,  # the name people gave it, for the download's file name
    "owner": str,
    "size": int,
    "data": bytes,
    "created_at": float,
}


class FileMissing(KeyError):
    """No file with that id (deleted by retention, or never stored)."""


class FileStore:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        db = store.db()
        db["files"].create(COLUMNS, pk="id", if_not_exists=True)
        db["files"].create_index(["owner"], if_not_exists=True)
        db.conn.commit()

    def put(self, kind: str, name: str, data: bytes, owner: str) -> str:
        file_id = uuid.uuid4().hex
        self.store.write(
            "INSERT INTO files (id, kind, name, owner, size, data, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [file_id, kind, name, owner, len(data), data, self.clock()],
        )
        return file_id

    def get(self, file_id: str) -> bytes:
        row = self.store.db().execute("SELECT data FROM files WHERE id = ?", [file_id]).fetchone()
        if row is None:
            raise FileMissing(file_id)
        return bytes(row[0])

    def delete(self, file_id: str) -> None:
        self.store.write("DELETE FROM files WHERE id = ?", [file_id])

    def give(self, file_id: str, owner: str) -> None:
        """The file now belongs to `owner` (an upload that became a batch)."""
        self.store.write("UPDATE files SET owner = ? WHERE id = ?", [owner, file_id])

    def delete_owned(self, owner: str) -> int:
        return len(self.store.write("DELETE FROM files WHERE owner = ? RETURNING id", [owner]))
