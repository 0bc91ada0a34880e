"""The BitScale API key the bot uses, and rotating it without a restart.

A key rotated from Slack is stored in the database and takes precedence over BITSCALE_API_KEY
(which is then dead anyway: rotation invalidates the old key). It is written durably
(on SQLite committed with synchronous=FULL, so the WAL is synced) before the client switches to it,
so a crash right after a rotation still starts with the working key.

The key is a secret: it is never logged, never put in the audit log, and never in an
error text. `rotate()` hands it back once, for the admin's eyes only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.governance.audit import AuditLog
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.errors import BitScaleError, NotSent, explain
from bot.providers.bitscale.key_check import KEYS_PAGE
from bot.providers.bitscale.transport import Priority
from bot.providers.errors import BAD_RESPONSE
from bot.store.database import Store
from bot.store.sql import Transaction

log = logging.getLogger(__name__)

_NAME = "bitscale_api_key"


class RedactSecrets(logging.Filter):
    """Blanks known keys in log records of libraries that log request bodies at DEBUG
    (slack_sdk logs the body of views.update, which once carries the new key)."""

    secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s and s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, ()
        return True


for _name in ("slack_sdk.web.base_client", "slack_bolt", "httpx", "httpcore"):
    logging.getLogger(_name).addFilter(RedactSecrets())


class KeyStore:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def claim_confirmation(self, view_id: str) -> bool:
        """True once per rotation confirmation (a modal's view id): a double-clicked
        confirmation must not rotate twice, leaving the first new key shown already dead."""
        if not view_id:
            return False
        return self.store.sql.insert(
            "rotation_confirmations",
            {"view_id": view_id, "claimed_at": self.clock()},
            ignore_conflict=True,
        )

    def _row(self) -> dict | None:
        return self.store.sql.one(
            "SELECT value, changed_at, changed_by FROM secrets WHERE name = :name", {"name": _NAME}
        )

    def get(self) -> str | None:
        row = self._row()
        if row:
            RedactSecrets.secrets.add(row["value"])
        return row["value"] if row else None

    def changed(self) -> tuple[float, str] | None:
        row = self._row()
        return (row["changed_at"], row["changed_by"]) if row else None

    def put(self, key: str, actor: str) -> None:
        """Store durably, so it survives a power cut: on SQLite with FULL sync for this
        commit; a PostgreSQL commit is flushed to its log before it returns."""
        RedactSecrets.secrets.add(key)
        row = {"name": _NAME, "value": key, "changed_at": self.clock(), "changed_by": actor}
        if self.store.sql.postgres:
            self.store.sql.upsert("secrets", row, key="name")
            return
        with self.store.sql.engine.connect() as connection:
            # Outside a transaction: SQLite refuses to change the safety level inside one.
            connection.connection.driver_connection.execute("PRAGMA synchronous = FULL")
            with connection.begin():
                Transaction(connection, "sqlite").upsert("secrets", row, key="name")
        self.store.restrict_file_modes()


@dataclass(frozen=True)
class Rotation:
    ok: bool
    new_key: str | None = None  # only when ok; show it once, to the admin who asked
    sentence: str = ""  # what happened, for the admin


def choose_key(keys: KeyStore, configured: str | None) -> str | None:
    """A key stored by a rotation wins over BITSCALE_API_KEY."""
    return keys.get() or configured


def rotate(client: BitScaleClient, keys: KeyStore, audit: AuditLog, actor: str) -> Rotation:
    """Rotate the workspace key; on any failure the old key stays in use."""
    issued: list[str] = []

    def persist(key: str) -> None:
        issued.append(key)
        keys.put(key, actor)

    try:
        client.rotate_key(persist=persist)
    except BitScaleError as error:
        if _answer_lost(error):
            return _after_lost_answer(client, audit, actor, error)
        log.warning("key rotation failed: %s", error.code)
        audit.record(actor, "key_rotation_failed", outcome=error.code)
        return Rotation(
            False,
            sentence=(
                f"The key was not rotated: {explain(error)} The old key is still the one "
                "in use, and every integration keeps working."
            ),
        )
    except Exception as exc:  # noqa: BLE001 - the admin must still learn the new key
        log.error("key rotation: storing the new key failed (%s)", type(exc).__name__)
        audit.record(actor, "key_rotation_failed", outcome=type(exc).__name__)
        if not issued:
            return Rotation(False, sentence="The key was not rotated; the old key is in use.")
        return Rotation(
            False,
            new_key=issued[0],
            sentence=(
                "BitScale issued a new key and the bot uses it now, but it could not store "
                "it in its database, so a restart would fall back to the old, dead key. Set "
                "BITSCALE_API_KEY to the key below before the next restart."
            ),
        )
    log.info("BitScale API key rotated by %s; the bot uses the new key", actor)
    audit.record(actor, "key_rotated", outcome="ok")
    return Rotation(True, keys.get(), "The key was rotated. The bot uses the new key already.")


# How to get going again when the bot's key is dead and no new one reached it.
RECOVER = (
    f"To recover: create a new key in {KEYS_PAGE}, then give it to the bot with "
    "*Set API key* in `/bitscale admin` (no restart needed), and to the other integrations."
)


def _answer_lost(error: BitScaleError) -> bool:
    """Did the rotation maybe happen without its answer reaching us? Not when nothing was
    sent, nor when BitScale itself said why it refused (its own error code); yes for no
    answer at all (a timeout, a dropped connection), a gateway's 502/503/504, a 5xx without
    an explanation and an answer that could not be read."""
    if isinstance(error, NotSent):
        return False
    if error.status is None or error.code == BAD_RESPONSE or error.status in (502, 503, 504):
        return True
    return error.status >= 500 and error.code == "INTERNAL_ERROR"


def _after_lost_answer(
    client: BitScaleClient, audit: AuditLog, actor: str, error: BitScaleError
) -> Rotation:
    """The outcome is unknown: one cheap request with the old key tells which it was."""
    what = f"{error.code}, HTTP {error.status}" if error.status else error.code
    try:
        client.workspace(priority=Priority.INTERACTIVE)
    except BitScaleError as check:
        if check.code != "INVALID_API_KEY":
            log.error("key rotation: answer lost (%s), old key not checked (%s)", what, check.code)
            audit.record(actor, "key_rotation_failed", outcome="outcome_unknown")
            return Rotation(
                False,
                sentence=(
                    f"BitScale's answer to the rotation never came back ({what}), and I could "
                    f"not check the old key either ({check.code}): whether the key was rotated "
                    "is unknown. If runs start failing with a refused key, it was. " + RECOVER
                ),
            )
        log.error("key rotation: answer lost (%s) and the old key is dead", what)
        audit.record(actor, "key_rotation_failed", outcome="outcome_unknown_old_key_dead")
        return Rotation(
            False,
            sentence=(
                f"BitScale's answer to the rotation never came back ({what}), so the outcome "
                "was unknown; I checked the old key at once and it no longer works. BitScale "
                "most likely rotated it, and the new key was lost on the way: until the bot "
                "has a working key, every run fails. " + RECOVER
            ),
        )
    log.warning("key rotation: answer lost (%s); the old key still works", what)
    audit.record(actor, "key_rotation_failed", outcome=error.code)
    return Rotation(
        False,
        sentence=(
            f"BitScale's answer to the rotation did not come back ({what}), so I checked the "
            "old key at once: it still works, so the key was not rotated. The old key is still "
            "the one in use, and every integration keeps working."
        ),
    )


def set_key(client: BitScaleClient, keys: KeyStore, audit: AuditLog, actor: str, key: str) -> str:
    """An admin gives the bot a key (from BitScale's settings, after a lost rotation):
    checked with BitScale first, then stored as a rotated key is and used at once. Returns
    the sentence for the admin; the key is never in it, nor in the log or the audit."""
    key = key.strip()
    if not key:
        return "No key was given; nothing changed."
    RedactSecrets.secrets.add(key)
    try:
        client.use_checked_key(key, persist=lambda k: keys.put(k, actor))
    except BitScaleError as error:
        audit.record(actor, "key_set_failed", outcome=error.code)
        if error.code in ("INVALID_API_KEY", "KEY_MALFORMED"):
            return (
                f"BitScale refused that key ({error.code}), so nothing changed. Copy the key "
                f"again from {KEYS_PAGE}."
            )
        return f"The key could not be checked, so nothing changed: {explain(error)}"
    except Exception as exc:  # noqa: BLE001 - the admin must hear about it
        log.error("setting the API key: storing it failed (%s)", type(exc).__name__)
        audit.record(actor, "key_set_failed", outcome=type(exc).__name__)
        return "BitScale accepts the key, but the bot could not store it; nothing changed."
    log.info("BitScale API key set by %s; the bot uses it now", actor)
    audit.record(actor, "key_set", outcome="ok")
    return (
        "✅ The bot uses the key you set, from now on and after a restart (stored like a "
        "rotated key, taking precedence over BITSCALE_API_KEY). It is not shown anywhere."
    )
