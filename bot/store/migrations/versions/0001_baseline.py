"""The schema as it stood before versioned migrations: create what is missing, keep the rest.

A database the bot made before versions began already has most of it; this revision adds
only the tables, columns and indexes it lacks, so it is safe on an empty database and on
an old one alike. It also makes the audit log append-only on both backends.
"""

import sqlalchemy as sa
from alembic import op

from bot.store.migrations.baseline import TABLES

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# 53 bits of mantissa: PostgreSQL's double precision, what SQLite's REAL always is.
KINDS = {
    "TEXT": sa.Text,
    "FLOAT": lambda: sa.Float(53),
    "INTEGER": lambda: sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
    "BLOB": sa.LargeBinary,
}


def _column(spec: str, primary_key: list[str], autoincrement: bool) -> sa.Column:
    name, kind, *rest = spec.split()
    words = " ".join(rest)
    default = words.split("DEFAULT ", 1)[1] if "DEFAULT " in words else None
    in_key = name in primary_key
    return sa.Column(
        name,
        KINDS[kind](),
        primary_key=in_key,
        autoincrement=autoincrement if in_key else False,
        nullable=not (in_key or "NOT NULL" in words),
        server_default=sa.text(default) if default is not None else None,
    )


def _index(spec: str) -> tuple[str, list[str], bool]:
    unique = spec.startswith("UNIQUE ")
    name, columns = spec.removeprefix("UNIQUE ").split(" ", 1)
    return name, [c.strip() for c in columns.strip("()").split(",")], unique


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    for name, columns, primary_key, autoincrement, indexes in TABLES:
        specs = columns.split(", ")
        if name not in existing:
            op.create_table(
                name,
                *(_column(spec, primary_key, autoincrement) for spec in specs),
                sqlite_autoincrement=autoincrement,
            )
            present_indexes: set[str] = set()
        else:
            present = {c["name"] for c in inspector.get_columns(name)}
            for spec in specs:
                column = _column(spec, primary_key, autoincrement)
                if column.name not in present:
                    # An added column may be NOT NULL only with a default for old rows.
                    column.nullable = column.server_default is None or column.nullable
                    op.add_column(name, column)
            present_indexes = {i["name"] for i in inspector.get_indexes(name)}
        for index_name, index_columns, unique in map(_index, indexes):
            if index_name not in present_indexes:
                op.create_index(index_name, name, index_columns, unique=unique)
    # A grid run's target is its grid (rows from before there were several providers).
    op.execute("UPDATE runs SET target = grid_id WHERE target IS NULL")
    _audit_is_append_only(bind.dialect.name)


def _audit_is_append_only(dialect: str) -> None:
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS audit_no_{verb.lower()} BEFORE {verb} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
    )
    op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit")
    op.execute(
        "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )
