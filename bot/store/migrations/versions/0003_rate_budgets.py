"""Rate budgets shared by every process on one database (rate_budgets.py): `rate_slots`
holds one row per request a provider account may start in its window, stamped with the
start's time on the database server's clock; `rate_budgets` holds each account's pause
after a 429 and the moment until which interactive requests somewhere go first."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    slot = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    if "rate_slots" not in existing:
        op.create_table(
            "rate_slots",
            sa.Column("budget", sa.Text, primary_key=True),
            sa.Column("slot", slot, primary_key=True, autoincrement=False),
            sa.Column("started_at", sa.Float(53), nullable=False, server_default="0"),
        )
    if "rate_budgets" not in existing:
        op.create_table(
            "rate_budgets",
            sa.Column("budget", sa.Text, primary_key=True),
            sa.Column("paused_until", sa.Float(53), nullable=False, server_default="0"),
            sa.Column("urgent_until", sa.Float(53), nullable=False, server_default="0"),
        )
