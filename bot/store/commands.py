"""`bitscale-bot migrate`: bring a database's schema to the code's newest revision, and say
in one line what changed. Heroku's release phase (and any host's pre-deploy step) runs it
before the new processes start, so they open a database that is already at their revision.

Every failure is a StoreError of one line that names the database without its password.
"""

from __future__ import annotations

from bot.store.engines import is_postgres_url, without_password
from bot.store.opening import open_postgres, open_sqlite


def shown(target: str) -> str:
    """The database as an operator may see it: the file, or the URL without its password."""
    return without_password(target) if is_postgres_url(target) else target


def migrate_command(target: str) -> str:
    """Migrate `target` (a SQLite path or a PostgreSQL URL); the line to print."""
    opener = open_postgres if is_postgres_url(target) else open_sqlite
    database = opener(target, pool_size=1)
    try:
        before, head = database.revisions or (None, "")
    finally:
        database.close()
    if before == head:
        return f"{shown(target)}: already at schema revision {head}; nothing to do"
    start = f"revision {before}" if before else "an empty database"
    return f"{shown(target)}: schema brought from {start} to revision {head}"
