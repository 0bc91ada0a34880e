"""Opening a database for the Store: checks that turn a bad file or URL into one line an
operator can act on, then the migration to the code's schema revision."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa

from bot.store.access import is_read_only, read_only_text
from bot.store.engines import (
    CONNECT_TIMEOUT_SECONDS,
    libpq_url,
    open_engine,
    without_password,
)
from bot.store.migrate import SchemaTooNew, migrate
from bot.store.sql import Database, DatabaseUnavailable


class StoreError(Exception):
    """The database cannot be used; the message says what to do."""


def open_sqlite(path: str, *, pool_size: int = 10) -> Database:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Created owner-only before SQLite touches it: it may hold the API key.
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as exc:
            if not is_read_only(exc):
                raise
            raise StoreError(read_only_text(path, exc)) from None
    database = Database(open_engine(path, pool_size=pool_size))
    try:
        status = database.scalar("PRAGMA quick_check")
        if status != "ok":
            raise sqlite3.DatabaseError(status)
        database.revisions = migrate(database.engine)
        # One real write, so a file that can be read but not written is reported now.
        database.run("UPDATE alembic_version SET version_num = version_num")
        restrict_file_modes(path)
    except SchemaTooNew as exc:
        database.close()
        raise StoreError(str(exc)) from None
    except (sqlite3.DatabaseError, sa.exc.DatabaseError, DatabaseUnavailable) as exc:
        database.close()
        if isinstance(exc, DatabaseUnavailable) and exc.__cause__ is not None:
            exc = exc.__cause__
        cause = getattr(exc, "orig", None) or exc
        if is_read_only(cause):
            raise StoreError(read_only_text(path, cause)) from None
        raise StoreError(
            f"The database file {path} cannot be read ({cause}). Restore it from a "
            "backup or point DATABASE_PATH at a new file; the bot will not start empty "
            "over it, because it may hold runs that are still owed to people."
        ) from None
    return database


def open_postgres(url: str, *, pool_size: int = 10) -> Database:
    connect_once(url)
    database = Database(open_engine(url, pool_size=pool_size))
    try:
        database.revisions = migrate(database.engine)
    except SchemaTooNew as exc:
        database.close()
        raise StoreError(str(exc)) from None
    except Exception as exc:
        database.close()
        raise StoreError(
            f"The PostgreSQL database at {without_password(url)} cannot be used: "
            f"{_first_line(exc)}. Check DATABASE_URL (host, port, user, password, database "
            "name) and that the server is running."
        ) from None
    return database


def connect_once(url: str) -> None:
    """One plain connection before the pool opens: a wrong host, password or database
    name is said now in the server's words (the pool would retry in the background, log
    each attempt and end with "couldn't get a connection")."""
    import psycopg

    try:
        psycopg.connect(libpq_url(url), connect_timeout=CONNECT_TIMEOUT_SECONDS).close()
    except psycopg.Error as exc:
        said = " ".join(_first_line(exc).removeprefix("connection failed: ").split())
        said = said.replace("FATAL: ", "")
        password = urlsplit(url).password
        if password:
            said = said.replace(password, "***")
        raise StoreError(
            f"The PostgreSQL database at {without_password(url)} cannot be used: {said}. "
            "Check DATABASE_URL (host, port, user, password, database name) and that the "
            "server is running."
        ) from None


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return (text[0] if text else type(cause).__name__).rstrip(".")


def restrict_file_modes(path: str) -> None:
    """The database and its WAL and shared-memory files: readable by the owner only."""
    if path == ":memory:":
        return
    for suffix in ("", "-wal", "-shm"):
        try:
            os.chmod(path + suffix, 0o600)
        except FileNotFoundError:
            pass
