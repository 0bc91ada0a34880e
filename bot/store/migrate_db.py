"""`bitscale-bot migrate-db --to postgresql://…`: move a deployment from its SQLite file to
an empty PostgreSQL database, runs in flight included.

The bot must be stopped (the SQLite file's instance lock is taken, so a running bot is
named and the copy refused): a run it changed after the copy would be lost. Both databases
are brought to the code's schema revision first, so every table the migrations create has
the same columns on both sides; the tables are found by reflection, not listed here. The
target must hold none of the bot's rows; it is checked before anything is written to it.

Every row is copied in chunks inside ONE PostgreSQL transaction, read from one SQLite
snapshot: an error anywhere, or row counts that differ table by table at the end, roll the
whole copy back and the target stays empty. Integer keys drawn from a sequence (the audit
log's) have their sequence moved past the copied ids, so the next entry does not collide.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from bot.store.commands import shown
from bot.store.engines import is_postgres_url, open_engine
from bot.store.instance_lock import InstanceLock, InstanceLockError
from bot.store.opening import StoreError, connect_once, open_postgres, open_sqlite
from bot.store.sql import Database

CHUNK_ROWS = 2000
NOT_COPIED = {"alembic_version", "health_probe", "sqlite_sequence"}


@dataclass(frozen=True)
class Copied:
    counts: dict[str, int]  # rows per table, equal on both sides
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def lines(self, source: str, target: str) -> list[str]:
        rate = self.rows / self.seconds if self.seconds else 0.0
        width = max(len(name) for name in self.counts)
        return [
            f"copied {source} to {shown(target)}: {self.rows:,} rows in {len(self.counts)} "
            f"tables in {self.seconds:.1f} s ({rate:,.0f} rows/s); row counts match, table "
            "by table:",
            *(f"  {name:<{width}} {count:>9,}" for name, count in self.counts.items()),
            "Start the bot with DATABASE_URL set to this URL; keep the SQLite file as a backup.",
        ]


def migrate_db(path: str, url: str, *, clock: Callable[[], float] = time.monotonic) -> Copied:
    """Copy the SQLite database at `path` into the empty PostgreSQL database at `url`."""
    if not is_postgres_url(url):
        raise StoreError("--to must be a postgresql:// (or postgres://) URL")
    if path == ":memory:" or not Path(path).is_file():
        raise StoreError(f"there is no SQLite database at DATABASE_PATH={path}")
    lock = InstanceLock(path)
    try:
        lock.acquire()
    except InstanceLockError as exc:
        raise StoreError(f"{exc} A run it changes after the copy would be lost.") from None
    try:
        source = open_sqlite(path, pool_size=1)
        try:
            _no_files_left_on_disk(source)
            names = _bot_tables(source)
            connect_once(url)  # a wrong URL is said in the server's words, at once
            _refuse_rows_in(url, names)
            target = open_postgres(url, pool_size=1)
            try:
                return _copy(source, target, names, url, clock)
            finally:
                target.close()
        finally:
            source.close()
    finally:
        lock.release()


def _bot_tables(source: Database) -> list[str]:
    return sorted(set(sa.inspect(source.engine).get_table_names()) - NOT_COPIED)


def _no_files_left_on_disk(source: Database) -> None:
    """Batch files from before they lived in the database are moved in at the bot's start;
    a copy taken before that would leave them behind on this machine's disk."""
    left = source.scalar(
        "SELECT COUNT(*) FROM batches WHERE (file_path IS NOT NULL AND file_id IS NULL) "
        "OR (result_path IS NOT NULL AND result_file_id IS NULL)"
    )
    if left:
        raise StoreError(
            f"{left} batches still keep their files in the batch-files folder on this disk: "
            "start this version of the bot once on SQLite (it moves them into the "
            "database), stop it, then run migrate-db again"
        )


def _refuse_rows_in(url: str, names: list[str]) -> None:
    """The target holds none of the bot's rows (checked before anything is written)."""
    engine = open_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            present = set(sa.inspect(connection).get_table_names()) & set(names)
            held = {}
            for name in sorted(present):
                count = _count(connection, name)
                if count:
                    held[name] = count
    finally:
        engine.dispose()
    if held:
        listed = ", ".join(f"{name} {count:,}" for name, count in list(held.items())[:6])
        raise StoreError(
            f"the target database {shown(url)} already holds the bot's data ({listed} rows); "
            "migrate-db copies only into an empty database, and nothing was written"
        )


def _copy(
    source: Database, target: Database, names: list[str], url: str, clock: Callable[[], float]
) -> Copied:
    started = clock()
    read_from = sa.MetaData()
    read_from.reflect(bind=source.engine, only=names)
    write_to = sa.MetaData()
    write_to.reflect(bind=target.engine, only=names)
    table = ""
    try:
        # One snapshot of the file (a read transaction), one transaction on PostgreSQL.
        with source.engine.execution_options(read_only=True).connect() as read, read.begin():
            counts = {name: _count(read, name) for name in names}
            with target.engine.begin() as write:
                for table in names:
                    _copy_table(read, write, read_from.tables[table], write_to.tables[table])
                table = ""
                for name in names:
                    _move_sequences_past(write, write_to.tables[name])
                _compare(write, counts)
    except (sa.exc.DBAPIError, psycopg.Error) as exc:
        what = f"copying table {table}" if table else "the copy"
        said = " ".join(str(getattr(exc, "orig", None) or exc).split()) or type(exc).__name__
        raise StoreError(
            f"{what} into {shown(url)} failed ({said}); it was rolled back, nothing was written"
        ) from None
    return Copied(counts, clock() - started)


def _count(connection: sa.Connection, table: str) -> int:
    return int(connection.scalar(sa.text(f'SELECT COUNT(*) FROM "{table}"')) or 0)


def _copy_table(
    read: sa.Connection, write: sa.Connection, source: sa.Table, target: sa.Table
) -> None:
    """Stream the rows with PostgreSQL's COPY (about 3x an INSERT per row), reading the
    SQLite file CHUNK_ROWS at a time, inside the copy's one transaction."""
    columns = [c for c in target.columns if c.name in source.columns]
    converters = [_converter(c.type) for c in columns]
    query = sa.select(*(source.c[c.name] for c in columns))
    rows = read.execution_options(yield_per=CHUNK_ROWS).execute(query)
    names = ", ".join(f'"{c.name}"' for c in columns)
    raw = write.connection.driver_connection  # psycopg's, in SQLAlchemy's transaction
    with raw.cursor() as cursor, cursor.copy(f'COPY "{target.name}" ({names}) FROM STDIN') as copy:
        for chunk in rows.partitions():
            for row in chunk:
                copy.write_row(
                    [convert(value) for convert, value in zip(converters, row, strict=True)]
                )


def _converter(kind: sa.types.TypeEngine) -> Callable[[Any], Any]:
    """SQLite keeps whatever a column was given; PostgreSQL takes only its column's type.
    A whole number stored as 3.0, or text in a BLOB, is given back as the column wants."""
    if isinstance(kind, sa.Integer):
        return lambda v: int(v) if isinstance(v, float) and v.is_integer() else v
    if isinstance(kind, sa.LargeBinary):
        return lambda v: v.encode() if isinstance(v, str) else v
    if isinstance(kind, sa.String):
        return lambda v: v if v is None or isinstance(v, str) else _text(v)
    return lambda v: v


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _move_sequences_past(write: sa.Connection, table: sa.Table) -> None:
    for column in table.primary_key.columns:
        if not isinstance(column.type, sa.Integer):
            continue
        sequence = write.scalar(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
        )
        if sequence:
            write.execute(
                sa.text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM '
                    f'"{table.name}"), 0) + 1, false)'
                ),
                {"s": sequence},
            )


def _compare(write: sa.Connection, counts: dict[str, int]) -> None:
    wrong = []
    for name, expected in counts.items():
        found = _count(write, name)
        if found != expected:
            wrong.append(f"{name}: {expected:,} in SQLite, {found:,} in PostgreSQL")
    if wrong:
        raise StoreError(
            "row counts differ after the copy (" + "; ".join(wrong) + "); it was rolled back, "
            "nothing was written"
        )
