"""`bitscale-bot migrate` (the release phase): what an operator sees on either backend, and
one line without the password when the database cannot be used."""

from __future__ import annotations

import pytest
from alembic import command

from bot import cli
from bot.config import Settings, env_name
from bot.store.engines import open_engine
from bot.store.migrate import _config, head_revision
from bot.store.sql import Database

PASSWORD = "hunter2-not-for-logs"


@pytest.fixture
def env(monkeypatch, tmp_path):
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return monkeypatch


def use(env, target: str) -> None:
    name = "DATABASE_URL" if target.startswith("postgres") else "DATABASE_PATH"
    env.setenv(name, target)


def test_migrate_builds_an_empty_database_then_has_nothing_to_do(env, database_target, capsys):
    use(env, database_target)
    head = head_revision()
    assert cli.main(["migrate"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{database_target}: schema brought from an empty database to revision {head}"
    ]
    assert cli.main(["migrate"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{database_target}: already at schema revision {head}; nothing to do"
    ]


def test_migrate_brings_an_older_schema_forward(env, database_target, capsys):
    database = Database(open_engine(database_target))
    config = _config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    database.close()
    use(env, database_target)
    assert cli.main(["migrate"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.endswith(f"schema brought from revision 0001 to revision {head_revision()}")


def test_a_schema_newer_than_the_code_is_one_line(env, database_target, capsys):
    use(env, database_target)
    cli.main(["migrate"])
    database = Database(open_engine(database_target))
    database.run("UPDATE alembic_version SET version_num = '9999'")
    database.close()
    capsys.readouterr()
    assert cli.main(["migrate"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("bitscale-bot: migrate failed: The database is at schema revision 9999")


@pytest.mark.parametrize(
    ("url", "said"),
    [
        # Nothing listens on port 1: an unreachable server.
        (f"postgresql://root:{PASSWORD}@127.0.0.1:1/test", "Connection refused"),
        (f"postgresql://nobody:{PASSWORD}@127.0.0.1:5432/test", 'role "nobody" does not exist'),
        (f"postgres://root:{PASSWORD}@127.0.0.1:5432/no_such_db", '"no_such_db" does not exist'),
    ],
)
def test_a_database_that_cannot_be_used_is_one_line_without_the_password(
    env, capsys, url, said, postgres_url
):
    env.setenv("DATABASE_URL", url)
    assert cli.main(["migrate"]) == 2
    out = capsys.readouterr()
    (line,) = out.err.splitlines()
    assert line.startswith("bitscale-bot: migrate failed: The PostgreSQL database at ")
    assert said in line and ":***@" in line
    assert PASSWORD not in out.err + out.out


def test_a_malformed_url_is_named_not_shown(env, capsys):
    env.setenv("DATABASE_URL", f"mysql://root:{PASSWORD}@db/bot")
    assert cli.main(["migrate"]) == 2
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        "bitscale-bot: DATABASE_URL is malformed: expected postgresql://user:password@host:5432/"
        "database (or postgres://, as host add-ons write it); leave it unset to use SQLite at "
        "DATABASE_PATH."
    ]
    assert PASSWORD not in out.err + out.out
