"""Alembic's entry point: runs the revisions on the connection `bot.store.migrate` hands in
(inside its transaction, so a failed upgrade changes nothing)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    # SQLite cannot alter most columns in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
context.run_migrations()
