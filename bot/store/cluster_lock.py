"""A lock held across every process sharing the database, for the few steps that must not
interleave anywhere in the cluster (a budget check and the insert that spends it).

In-process threads queue on a threading lock first; on PostgreSQL the holder then takes a
session advisory lock on a connection of its own, so the other processes queue too, and a
process that dies holding it lets go with its connection. SQLite has one process (its
instance lock), so the threading lock is the whole of it.
"""

from __future__ import annotations

import threading
import zlib
from typing import Any

import sqlalchemy as sa

from bot.store.database import Store


class ClusterLock:
    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.key = zlib.crc32(f"bitscale-bot:{name}".encode())  # the same in every process
        self._threads = threading.Lock()
        self._connection: sa.Connection | None = None

    def __enter__(self) -> ClusterLock:
        self._threads.acquire()
        if not self.store.postgres:
            return self
        try:
            connection = self.store.sql.engine.connect()
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": self.key})
        except BaseException:
            self._threads.release()
            raise
        self._connection = connection
        return self

    def __exit__(self, *exc: Any) -> None:
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                try:
                    connection.execute(
                        sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
                    )
                    connection.commit()
                finally:
                    connection.close()  # a broken connection releases the lock server-side
        finally:
            self._threads.release()
