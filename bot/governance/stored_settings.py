"""Settings admins change from Slack, kept in the database and effective at once.

A small key → JSON value table. Environment variables stay the defaults: `get(key,
default)` returns the stored value when an admin has set one, the default otherwise.
Every change is recorded in the audit log as old → new (see audit.py), and listeners
registered with `on_change` hear about it (for example the credit monitor).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.store.database import Store

_UNSET = object()


class StoredSettings:
    def __init__(self, store: Store, audit: Any = None, clock: Callable[[], float] = time.time):
        self.store = store
        self.audit = audit  # an AuditLog; optional so pure tests can do without
        self.clock = clock
        self._listeners: list[Callable[[str, Any, Any], None]] = []
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        value = self.store.sql.scalar(
            "SELECT value FROM admin_settings WHERE key = :key", {"key": key}
        )
        return default if value is None else json.loads(value)

    def all(self, prefix: str = "") -> dict[str, Any]:
        # Keys are the bot's own names, matched exactly: a prefix is compared, not a pattern.
        rows = self.store.sql.query(
            "SELECT key, value FROM admin_settings WHERE substr(key, 1, :length) = :prefix",
            {"length": len(prefix), "prefix": prefix},
        )
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def set(self, key: str, value: Any, *, actor: str, default: Any = None) -> bool:
        """Store `value` (None clears it back to the default). Returns False when nothing
        changed, so re-saving a form does not fill the audit log."""
        with self._lock:
            old = self.get(key, _UNSET)
            old_value = default if old is _UNSET else old
            if (old is _UNSET and value is None) or old_value == value:
                return False
            if value is None:
                self.store.sql.run("DELETE FROM admin_settings WHERE key = :key", {"key": key})
            else:
                self.store.sql.upsert(
                    "admin_settings",
                    {
                        "key": key,
                        "value": json.dumps(value),
                        "changed_at": self.clock(),
                        "changed_by": actor,
                    },
                    key="key",
                )
        new_value = default if value is None else value
        if self.audit is not None:
            self.audit.record(actor, "setting_changed", setting=key, old=old_value, new=new_value)
        for listener in list(self._listeners):
            listener(key, old_value, new_value)
        return True

    def on_change(self, listener: Callable[[str, Any, Any], None]) -> None:
        self._listeners.append(listener)
