"""Can the bot use its PostgreSQL database: the database half of `/healthz` on PostgreSQL.

Three things go wrong under a running bot, each said in one line:
- the server is unreachable (down, restarting, the network, a changed password);
- it is read-only: a standby after a failover left DATABASE_URL on the old primary's
  replica, or a session default of `default_transaction_read_only`; every write fails;
- this process's connection pool is exhausted: every connection is lent out and work is
  queueing for one (DATABASE_POOL_SIZE too small, or something holds connections).

Reachability and read-only are checked on a new connection of the probe's own, not one
from the pool, so a full pool cannot hide the server's state and the probe never takes a
connection the bot's work is waiting for. No answer holds the URL (its host or password);
`where` (the URL without its password) is for the log.
"""

from __future__ import annotations

import re
from typing import Any

from bot.store.engines import libpq_url, without_password

PROBE_TIMEOUT_SECONDS = 3
# psycopg's words start with where it tried: 'connection to server at "10.0.0.5", port
# 5432 failed: …'. The answer keeps only why.
_WHERE = re.compile(r"^.*?connection to server (at|on) .*? failed: ")


class PostgresProbe:
    def __init__(self, url: str, pool: Any = None, *, timeout: float = PROBE_TIMEOUT_SECONDS):
        """`pool`: the process's psycopg_pool.ConnectionPool, whose load is reported."""
        self.url = url
        self.pool = pool
        self.timeout = timeout
        self.where = f"DATABASE_URL={without_password(url)}"

    def problem(self) -> str | None:
        return self._server_problem() or self._pool_problem()

    def _server_problem(self) -> str | None:
        import psycopg

        try:
            with psycopg.connect(
                libpq_url(self.url),
                connect_timeout=max(1, round(self.timeout)),
                application_name="bitscale-bot health",
                autocommit=True,
            ) as connection:
                connection.execute(f"SET statement_timeout = {int(self.timeout * 1000)}")
                standby, read_only = connection.execute(
                    "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')"
                ).fetchone()
        except psycopg.Error as exc:
            return (
                f"database unreachable ({_reason(exc)}): work waits until PostgreSQL answers; "
                "check the server and DATABASE_URL"
            )
        if standby or read_only == "on":
            return (
                "database is read-only (a standby?): PostgreSQL refuses writes; point "
                "DATABASE_URL at the primary"
            )
        return None

    def _pool_problem(self) -> str | None:
        if self.pool is None:
            return None
        stats = self.pool.get_stats()
        size, in_use = stats["pool_max"], stats["pool_size"] - stats["pool_available"]
        waiting = stats.get("requests_waiting", 0)
        # All lent out is only busy; all lent out with work queueing for one is exhausted.
        if in_use < size or not waiting:
            return None
        return (
            f"database connection pool exhausted ({in_use} of {size} in use, {waiting} "
            "waiting): raise DATABASE_POOL_SIZE, or look in the log for work holding them"
        )


def _reason(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    text = " ".join((lines[0] if lines else type(exc).__name__).split())
    text = _WHERE.sub("", text.removeprefix("connection failed: "))
    return text.replace("FATAL: ", "").rstrip(".") or type(exc).__name__
