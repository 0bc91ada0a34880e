"""The database's versioned migrations (Alembic), one schema for SQLite and PostgreSQL.

`versions/` holds one revision per change, applied in order by `bot.store.migrate`, at
start-up or by `bitscale-bot migrate`. A change to a table is a new revision, never an edit
to an old one. May import sqlalchemy and alembic only.
"""
