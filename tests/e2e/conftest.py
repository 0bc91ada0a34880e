from __future__ import annotations

import pytest

from bot.playground.rigs.stack import fast_stack, scaled_timing

# The core's end-to-end tests run on both backends; the rest on SQLite, the default.
BOTH_BACKENDS = {
    "test_run_flow",
    "test_run_paths",
    "test_workflow_step",
    "test_submission_safety",
    "test_batches",
    "test_batch_budgets",
    "test_watches",
    "test_owner_dms",
}


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if "backend" in metafunc.fixturenames and module in BOTH_BACKENDS:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def backend_settings(backend, request) -> dict[str, str]:
    """The settings that put the bot on this test's backend: none for SQLite, a
    DATABASE_URL to a fresh schema for PostgreSQL."""
    if backend == "postgresql":
        return {"DATABASE_URL": request.getfixturevalue("postgres_url")}
    return {}


@pytest.fixture
def stack(tmp_path, backend_settings):
    """The real bot over loopback HTTP, with the simulator and the Slack stand-in."""
    # 100x real time for runs and BitScale's 120 s sync window alike (see Simulator).
    settings = {**scaled_timing(100), **backend_settings}
    with fast_stack(
        tmp_path, credit_channel="C0ALERTS", credit_debounce=0.0, settings=settings
    ) as s:
        yield s
