"""Bringing a database's schema to the code's revision (Alembic), on either backend.

Run at every start and by `bitscale-bot migrate` (Heroku's release phase). The whole
upgrade is one transaction; on PostgreSQL an advisory lock makes processes that start
together take turns, so each revision is applied once. A database stamped with a revision
this code does not know was made by a newer version: it is refused, never changed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa

# Alembic logs each step at INFO; start-up says one line of its own instead.
logging.getLogger("alembic").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402  (after the logger is quietened)
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: the key of the advisory lock every starting process takes in turn.
MIGRATION_LOCK = 7424110421


class SchemaTooNew(Exception):
    """The database was migrated by a newer version of the bot."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: sa.Engine) -> tuple[str | None, str]:
    """Upgrade to the newest revision; returns (revision before, revision now)."""
    config = _config()
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head() or ""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        before = current_revision(connection)
        if before is not None and before not in {s.revision for s in scripts.walk_revisions()}:
            raise SchemaTooNew(
                f"The database is at schema revision {before}, newer than this version of "
                f"the bot knows (its newest is {head}); run the newer version, or restore "
                "a backup taken before the upgrade."
            )
        if before != head:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            log.info("database schema brought from %s to revision %s", before or "empty", head)
    return before, head
