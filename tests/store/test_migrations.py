"""The versioned schema on both backends: built from nothing, refused when too new, and
applied once however many processes start together."""

from __future__ import annotations

import threading
from dataclasses import fields

import pytest
import sqlalchemy as sa

from bot.store.database import Store, StoreError
from bot.store.migrate import head_revision, migrate
from bot.store.migrations.baseline import TABLES
from bot.store.run_record import Run


def _tables(store: Store) -> set[str]:
    return set(sa.inspect(store.sql.engine).get_table_names())


def test_an_empty_database_gets_every_table_at_the_newest_revision(database_target):
    store = Store(database_target)
    assert {name for name, *_ in TABLES} <= _tables(store)
    assert store.sql.scalar("SELECT version_num FROM alembic_version") == head_revision()
    # Every field of a run has its column (a new field needs a new revision).
    columns = {c["name"] for c in sa.inspect(store.sql.engine).get_columns("runs")}
    assert {f.name for f in fields(Run)} <= columns
    store.close()


def test_a_database_newer_than_the_code_is_refused_in_one_line(database_target):
    Store(database_target).close()
    store = Store(database_target)
    store.sql.run("UPDATE alembic_version SET version_num = '9999'")
    store.close()
    with pytest.raises(StoreError) as refused:
        Store(database_target)
    message = str(refused.value)
    assert "9999" in message and "newer" in message and "\n" not in message


def test_the_audit_log_cannot_be_changed_or_deleted(database_target):
    store = Store(database_target)
    store.sql.insert("audit", {"at": 1.0, "actor": "U1", "action": "run"})
    for statement in ("UPDATE audit SET actor = 'U2'", "DELETE FROM audit"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            store.sql.run(statement)
    assert store.sql.scalar("SELECT actor FROM audit") == "U1"
    store.close()


def test_times_keep_their_fractions_and_counts_their_size(database_target):
    store = Store(database_target)
    store.cache_put("k", {"v": 1}, now=1_767_225_600.123456)
    assert store.sql.scalar("SELECT stored_at FROM cache") == 1_767_225_600.123456
    store.sql.insert("grid_costs", {"grid_id": "g", "runs": 2**40})
    assert store.sql.scalar("SELECT runs FROM grid_costs") == 2**40
    store.close()


def test_processes_starting_together_apply_each_revision_once(postgres_url):
    engines = [sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))]
    engines += [sa.create_engine(engines[0].url) for _ in range(2)]
    results, errors = [], []

    def start(engine: sa.Engine) -> None:
        try:
            results.append(migrate(engine))
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    head = head_revision()
    assert sorted(before or "" for before, _ in results) == ["", head, head]
    for engine in engines:
        engine.dispose()
