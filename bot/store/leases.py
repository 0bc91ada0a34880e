"""The leader lease: which process runs the cluster's once-per-period jobs.

A row in `leases` names its owner and when its hold lapses. The owner renews it every few
seconds; another process may take it only once it has lapsed (its owner died, or let go at
shutdown), so a dead leader is replaced within one lease length. A lease row, not an
advisory lock: a lock lives on one database connection, and a pooled connection outlives
the work that took it. With SQLite there is one process (the instance lock), so it always
holds the lease; the same code path serves both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.store.database import Store

log = logging.getLogger(__name__)

LEASE_SECONDS = 15.0  # a dead leader is replaced within this long (plus one renewal tick)

# Take a free or lapsed lease, or extend our own, in one statement: the row comes back
# only to the process that holds the lease afterwards.
_TAKE = (
    "INSERT INTO leases (name, owner, lease_until) VALUES (:name, :owner, :until) "
    "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until "
    "WHERE leases.owner = excluded.owner OR leases.lease_until <= :now "
    "RETURNING owner"
)


class LeaderLease:
    def __init__(
        self,
        store: Store,
        owner: str,
        *,
        name: str = "leader",
        ttl: float = LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
        says: str | None = "this process now runs the periodic jobs",
    ) -> None:
        """`says`: the log line when this process takes the lease (None: quiet, as for a
        process's own heartbeat)."""
        self.store = store
        self.owner = owner
        self.name = name
        self.ttl = ttl
        self.clock = clock
        self._until = 0.0  # when our hold lapses, as far as we know
        self.says = says

    def renew(self) -> bool:
        """Take the lease if it is free or lapsed, or keep ours; True while we hold it."""
        now = self.clock()
        was_held = self.held()
        rows = self.store.sql.write(
            _TAKE, {"name": self.name, "owner": self.owner, "until": now + self.ttl, "now": now}
        )
        self._until = now + self.ttl if rows else 0.0
        if self.says and rows and not was_held:
            log.info("%s (%s lease)", self.says, self.name)
        elif self.says and was_held and not rows:
            log.warning("lost the %s lease; another process runs the periodic jobs", self.name)
        return bool(rows)

    def seize(self) -> None:
        """Take the lease whoever held it: only for a process that knows no other can run
        (SQLite's instance lock), so a restart after a crash need not wait for it to lapse."""
        now = self.clock()
        self.store.sql.upsert(
            "leases",
            {"name": self.name, "owner": self.owner, "lease_until": now + self.ttl},
            "name",
        )
        self._until = now + self.ttl

    def held(self) -> bool:
        return self.clock() < self._until

    def holder(self) -> str | None:
        """Who holds the lease now (None when nobody does): for health and tests."""
        return self.store.sql.scalar(
            "SELECT owner FROM leases WHERE name = :name AND lease_until > :now",
            {"name": self.name, "now": self.clock()},
        )

    def release(self) -> None:
        """Let go at shutdown, so the next process takes over at its next renewal."""
        if self._until:
            self.store.sql.run(
                "UPDATE leases SET lease_until = 0 WHERE name = :name AND owner = :owner",
                {"name": self.name, "owner": self.owner},
            )
        self._until = 0.0
