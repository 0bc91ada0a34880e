"""Portable SQL on either backend: SQLAlchemy Core text statements with named `:parameters`.

Each call runs in its own short transaction and returns plain dicts. `transaction()` groups
several statements that must commit together. Only SQL that SQLite and PostgreSQL both speak
belongs here (`INSERT … ON CONFLICT`, `RETURNING`, `COALESCE`); `insert` and `upsert` build
the conflict clauses so callers need not spell them.

A database that cannot be reached (PostgreSQL restarting, the pool exhausted) raises
`DatabaseUnavailable`, whose message is fit to show a person: "try again in a moment".
A store this process closed raises `StoreClosed` instead: trying again cannot help.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

Params = Mapping[str, Any] | None


def stored(value: Any) -> Any:
    """A value as a parameter: flags are integers in the schema, and PostgreSQL, unlike
    SQLite, will not take a bool."""
    return int(value) if isinstance(value, bool) else value


def marks(prefix: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """`:prefix0, :prefix1, …` for an `IN (…)` list, and their parameters."""
    names = {f"{prefix}{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{name}" for name in names), names


class DatabaseUnavailable(Exception):
    """The database did not answer; the work is intact and can be tried again."""

    def __init__(self, cause: str = "") -> None:
        super().__init__("The database is not answering right now; try again in a moment.")
        self.cause = cause


class StoreClosed(RuntimeError):
    """This process closed the store (`close()`): nothing is read or written through it
    again. Not `DatabaseUnavailable`, so nobody waits for it to answer."""

    def __init__(self) -> None:
        super().__init__("The store was closed; nothing more is read or written through it.")


def _closed(exc: BaseException) -> bool:
    # PostgreSQL: the connection pool went with close(); SQLAlchemy wraps its refusal.
    return type(getattr(exc, "orig", exc)).__name__ == "PoolClosed"


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError, TimeoutError)):
        return True
    return type(exc).__name__ in ("PoolTimeout", "TooManyRequests")


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        if _closed(exc):
            raise StoreClosed() from exc
        if _unavailable(exc) and not _sqlite_busy_or_schema(exc):
            raise DatabaseUnavailable(type(exc).__name__) from exc
        raise


def _sqlite_busy_or_schema(exc: BaseException) -> bool:
    # SQLite's OperationalError also covers mistakes in the SQL itself; those are bugs.
    text = str(getattr(exc, "orig", exc))
    return "no such" in text or "syntax error" in text or "has no column" in text


def _rows(result: sa.CursorResult) -> list[dict[str, Any]]:
    return [dict(row) for row in result.mappings()] if result.returns_rows else []


class _Statements:
    """The statement methods, over a connection supplied by `_connection()`."""

    kind: str

    def _execute(self, sql: str, params: Params, *, read_only: bool) -> Any:
        raise NotImplementedError

    def query(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        return self._execute(sql, params, read_only=True)[0]

    def one(self, sql: str, params: Params = None) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Params = None) -> Any:
        row = self.one(sql, params)
        return next(iter(row.values())) if row else None

    def write(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """A write; with RETURNING, its rows."""
        return self._execute(sql, params, read_only=False)[0]

    def run(self, sql: str, params: Params = None) -> int:
        """A write; how many rows it changed."""
        return self._execute(sql, params, read_only=False)[1]

    def run_many(self, sql: str, rows: list[Mapping[str, Any]]) -> None:
        """One statement for many rows (the driver's executemany: psycopg pipelines it)."""
        if rows:
            self._execute_many(sql, rows)

    def _execute_many(self, sql: str, rows: list[Mapping[str, Any]]) -> None:
        raise NotImplementedError

    def insert(self, table: str, row: Mapping[str, Any], *, ignore_conflict: bool = False) -> bool:
        """Insert one row; with `ignore_conflict`, a row whose key exists is left alone.
        True when the row went in."""
        names = ", ".join(row)
        values = ", ".join(f":{name}" for name in row)
        tail = " ON CONFLICT DO NOTHING" if ignore_conflict else ""
        return self.run(f"INSERT INTO {table} ({names}) VALUES ({values}){tail}", row) == 1

    def upsert(self, table: str, row: Mapping[str, Any], key: str | tuple[str, ...]) -> None:
        """Insert one row, or update the existing row with the same key."""
        keys = (key,) if isinstance(key, str) else key
        names = ", ".join(row)
        values = ", ".join(f":{name}" for name in row)
        updates = ", ".join(f"{n} = excluded.{n}" for n in row if n not in keys)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        self.run(
            f"INSERT INTO {table} ({names}) VALUES ({values}) "
            f"ON CONFLICT ({', '.join(keys)}) {action}",
            row,
        )


class Transaction(_Statements):
    """Statements that commit together, on one connection (see `Database.transaction`)."""

    def __init__(self, connection: sa.Connection, kind: str) -> None:
        self._connection = connection
        self.kind = kind

    def _execute(self, sql: str, params: Params, *, read_only: bool) -> Any:
        with _translated():
            result = self._connection.execute(sa.text(sql), dict(params or {}))
            return _rows(result), result.rowcount

    def _execute_many(self, sql: str, rows: list[Mapping[str, Any]]) -> None:
        with _translated():
            self._connection.execute(sa.text(sql), [dict(row) for row in rows])


class Database(_Statements):
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.kind = engine.dialect.name  # "sqlite" or "postgresql"
        # (revision before, revision now) of the migration run at opening (opening.py).
        self.revisions: tuple[str | None, str] | None = None

    @property
    def postgres(self) -> bool:
        return self.kind == "postgresql"

    def _execute(self, sql: str, params: Params, *, read_only: bool) -> Any:
        with _translated():
            engine = self.engine.execution_options(read_only=read_only)
            with engine.begin() as connection:
                result = connection.execute(sa.text(sql), dict(params or {}))
                return _rows(result), result.rowcount

    def _execute_many(self, sql: str, rows: list[Mapping[str, Any]]) -> None:
        with _translated(), self.engine.begin() as connection:
            connection.execute(sa.text(sql), [dict(row) for row in rows])

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One writing transaction: everything in it commits at the end, or nothing does."""
        with _translated(), self.engine.begin() as connection:
            yield Transaction(connection, self.kind)

    def close(self) -> None:
        self.engine.dispose()
