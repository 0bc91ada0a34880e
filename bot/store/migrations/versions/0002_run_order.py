"""Runs get `seq`, their order of arrival, on both backends (SQLite's hidden rowid has no
PostgreSQL twin): of two identical requests still queued, the earlier one leads and the
later joins it, even when both were made in the same instant."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "seq" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("runs")}:
        return  # a database adopted by 0001 from a copy that already had it
    kind = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.add_column("runs", sa.Column("seq", kind, nullable=True))
    op.execute(
        "UPDATE runs SET seq = numbered.n FROM (SELECT id, ROW_NUMBER() OVER "
        "(ORDER BY created_at, id) AS n FROM runs) AS numbered WHERE runs.id = numbered.id"
    )
    op.create_index("idx_runs_seq", "runs", ["seq"])
