"""Opening a database engine for either backend, from `DATABASE_PATH` or `DATABASE_URL`.

SQLite: a pool of connections that any thread may borrow, WAL, autocommit at the
driver so SQLAlchemy's own BEGIN is the only one, `BEGIN IMMEDIATE` for writing transactions
(a writer that waits, waits at BEGIN, never half-way through with a lock upgrade to fail),
and a busy timeout so writers queue instead of failing.

PostgreSQL: psycopg 3 connections from a bounded `psycopg_pool.ConnectionPool`, which checks
a connection before lending it (so a server restart costs one reconnect, not an error per
pooled connection) and waits at most `POOL_WAIT_SECONDS` for a free one, or less inside
`waiting_at_most(seconds)`: a Slack request must be answered within 3 s, so there a server
that is away is said ("try again in a moment") before Slack gives up on the answer.
SQLAlchemy borrows from it through `NullPool`, so there is exactly one pool and one bound on
connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import NullPool, StaticPool

BUSY_TIMEOUT_SECONDS = 30
POOL_WAIT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 5
RECONNECT_GIVE_UP_SECONDS = 10
# TCP keepalives (libpq's): a server host that vanishes without a word (a failover, a
# dropped route) is noticed within about a minute (30 s idle, then 3 probes 10 s apart)
# instead of the system's default two hours, during which a query would hang on a dead
# connection. A URL's own keepalives_* parameters win.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
              "keepalives_count": 3}  # fmt: skip
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")

# How long this thread's next borrower waits for a PostgreSQL connection. A new thread
# starts with the default (contextvars are not inherited by threads).
_pool_wait: ContextVar[float] = ContextVar("pool_wait", default=POOL_WAIT_SECONDS)


@contextmanager
def waiting_at_most(seconds: float) -> Iterator[None]:
    """Within the block, a borrower waits at most `seconds` for a connection (then the
    statement raises DatabaseUnavailable), instead of POOL_WAIT_SECONDS."""
    token = _pool_wait.set(min(seconds, _pool_wait.get()))
    try:
        yield
    finally:
        _pool_wait.reset(token)


def is_postgres_url(target: str) -> bool:
    return urlsplit(str(target)).scheme in POSTGRES_SCHEMES


def libpq_url(url: str) -> str:
    """The URL psycopg accepts: host add-ons set `postgres://`, SQLAlchemy spells the driver."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", *parts[1:]))


def without_password(url: str) -> str:
    """The URL with its password replaced, for logs and messages."""
    parts = urlsplit(str(url))
    if parts.password is None:
        return str(url)
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, *parts[2:]))


def open_engine(target: str, *, pool_size: int = 10) -> sa.Engine:
    if is_postgres_url(target):
        return _postgres_engine(target, pool_size)
    return _sqlite_engine(str(target), pool_size)


def _sqlite_engine(path: str, pool_size: int) -> sa.Engine:
    connect_args = {"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}
    kwargs: dict[str, Any] = {"connect_args": connect_args}
    if path == ":memory:":
        # One connection shared by every thread, or each thread would see its own database.
        kwargs.update(poolclass=StaticPool)
    else:
        # Connections are cheap file handles; the bot's many threads never wait for one.
        kwargs.update(pool_size=max(pool_size, 32), max_overflow=-1)
    engine = sa.create_engine(f"sqlite:///{path}", **kwargs)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy issues BEGIN itself, below
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        if path != ":memory:":
            # Readers never block the writer; set outside any transaction, as SQLite needs.
            dbapi_connection.execute("PRAGMA journal_mode = wal")

    @event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        read_only = connection.get_execution_options().get("read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _connection_options(url: str) -> dict[str, Any]:
    options: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    options.update({k: v for k, v in KEEPALIVES.items() if f"{k}=" not in url})
    if "application_name=" not in url:  # the URL's own name wins
        options["application_name"] = "bitscale-bot"  # what pg_stat_activity shows
    return options


def _postgres_engine(url: str, pool_size: int) -> sa.Engine:
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(
        libpq_url(url),
        min_size=1,
        max_size=max(1, pool_size),
        timeout=POOL_WAIT_SECONDS,
        kwargs=_connection_options(url),
        check=ConnectionPool.check_connection,
        open=False,
        name="bitscale-bot",
        # While the server is away each reconnection retries with a growing delay; giving
        # up after a few seconds lets the next borrower start afresh with an immediate
        # try, so the bot is back within seconds of the server, however long it was away.
        reconnect_timeout=RECONNECT_GIVE_UP_SECONDS,
        # SQLAlchemy closes the connections it borrowed; closing hands them back instead.
        close_returns=True,
    )
    pool.open(wait=False)
    engine = sa.create_engine(
        "postgresql+psycopg://",
        creator=lambda: pool.getconn(timeout=_pool_wait.get()),
        poolclass=NullPool,
    )
    engine.pool_of_connections = pool  # type: ignore[attr-defined]

    @event.listens_for(engine, "engine_disposed")
    def _close_pool(_engine: sa.Engine) -> None:
        pool.close()

    return engine
