"""Settings admins change from Slack, kept in SQLite and effective at once.

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
        db = store.db()
        db["admin_settings"].create(
            {"key": str, "value": str, "changed_at": float, "changed_by": str},
            pk="key",
            if_not_exists=True,
        )
        db.conn.commit()

    def get(self, key: str, default: Any = None) -> Any:
        rows = list(self.store.db()["admin_settings"].rows_where("key = ?", [key], limit=1))
        return json.loads(rows[0]["value"]) if rows else default

    def all(self, prefix: str = "") -> dict[str, Any]:
        rows = self.store.db()["admin_settings"].rows_where("key LIKE ?", [prefix + "%"])
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def set(self, key: str, value: Any, *, actor: str, default: Any = None) -> bool:
        """Store `value` (None clears it back to the default). Returns False when nothing
        changed, so re-saving a form does not fill the audit log."""
        with self._lock:
            old = self.get(key, _UNSET)
            old_value = default if old is _UNSET else old
            if (old is _UNSET and value is None) or old_value == value:
                return False
            db = self.store.db()
            if value is None:
                db.execute("DELETE FROM admin_settings WHERE key = ?", [key])
            else:
                db["admin_settings"].upsert(
                    {
                        "key": key,
                        "value": json.dumps(value),
                        "changed_at": self.clock(),
                        "changed_by": actor,
                    },
                    pk="key",
                )
            db.conn.commit()
        new_value = default if value is None else value
        if self.audit is not None:
            self.audit.record(actor, "setting_changed", setting=key, old=old_value, new=new_value)
        for listener in list(self._listeners):
            listener(key, old_value, new_value)
        return True

    def on_change(self, listener: Callable[[str, Any, Any], None]) -> None:
        self._listeners.append(listener)
