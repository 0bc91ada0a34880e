"""Rate budgets shared by every process on one database (rate_budgets.py): `rate_slots`
holds one row per request a provider account may start in its window, stamped with the
start's time on the database server's clock; `rate_budgets` holds each account's pause
after a 429 and the moment until which interactive requests somewhere go first.

On PostgreSQL both are UNLOGGED: a slot is taken between a request being allowed and being
sent, so its commit must not wait for the disk (a logged commit here took up to 30 ms on a
busy machine, an unlogged one 3 ms), and the rows are only the last few seconds' starts.
After a server crash they start empty, which the budget rebuilds; by then the window they
counted has long passed."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    prefixes = ["UNLOGGED"] if bind.dialect.name == "postgresql" else []
    slot = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    if "rate_slots" not in existing:
        op.create_table(
            "rate_slots",
            sa.Column("budget", sa.Text, primary_key=True),
            sa.Column("slot", slot, primary_key=True, autoincrement=False),
            sa.Column("started_at", sa.Float(53), nullable=False, server_default="0"),
            prefixes=prefixes,
        )
    if "rate_budgets" not in existing:
        op.create_table(
            "rate_budgets",
            sa.Column("budget", sa.Text, primary_key=True),
            sa.Column("paused_until", sa.Float(53), nullable=False, server_default="0"),
            sa.Column("urgent_until", sa.Float(53), nullable=False, server_default="0"),
            prefixes=prefixes,
        )
