"""Batches get `prepare_lease`: the process preparing a batch (announcing it, turning its
file into rows) holds it until then, so of processes starting together, or one starting
while another prepares, only one announces and prepares each batch."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "prepare_lease" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("batches")}:
        return
    op.add_column("batches", sa.Column("prepare_lease", sa.Float(53), nullable=True))
