"""PostgreSQL for tests: a real server, one fresh schema per test.

The server is `TEST_DATABASE_URL`, or the development and CI machines' PostgreSQL on
127.0.0.1:5432. Without one the tests that need it skip with one line saying how to run
them; under `CI=true` that skip is a failure, so CI cannot pass without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

SERVER = os.environ.get("TEST_DATABASE_URL") or "postgresql://root@127.0.0.1:5432/test"
HOW = (
    "PostgreSQL is not answering at {server} ({error}); start it (pg_ctlcluster "
    "--skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_DATABASE_URL"
)


def server_or_skip() -> None:
    import psycopg

    try:
        psycopg.connect(SERVER, connect_timeout=3).close()
    except psycopg.Error as exc:
        message = HOW.format(server=SERVER, error=str(exc).strip().splitlines()[0])
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def schema_url(schema: str) -> str:
    """The server's URL with `schema` as the only schema its connections see."""
    joiner = "&" if "?" in SERVER else "?"
    return f"{SERVER}{joiner}options={quote(f'-csearch_path={schema}')}"


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as connection:
        connection.execute(statement)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to an empty schema of its own on the test server, dropped afterwards."""
    server_or_skip()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(schema)
    finally:
        _admin(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_target(request, tmp_path) -> str:
    """Each backend in turn: a SQLite file, then a PostgreSQL schema of the test's own."""
    if request.param == "sqlite":
        return str(tmp_path / "bot.db")
    return request.getfixturevalue("postgres_url")
