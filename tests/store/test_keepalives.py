"""PostgreSQL connections ask for TCP keepalives, so a server that vanishes without a word
is noticed within about a minute, not after the system's two hours."""

from __future__ import annotations

from bot.store.database import Store


def parameters(store: Store) -> dict[str, str]:
    with store.sql.engine.pool_of_connections.connection() as conn:
        return conn.info.get_parameters()


def test_connections_probe_an_idle_server_after_30_s(postgres_url):
    store = Store(postgres_url, pool_size=1)
    try:
        got = parameters(store)
    finally:
        store.close()
    assert got["keepalives"] == "1"
    assert (got["keepalives_idle"], got["keepalives_interval"], got["keepalives_count"]) == (
        "30", "10", "3",
    )  # fmt: skip


def test_a_urls_own_keepalive_setting_wins(postgres_url):
    store = Store(f"{postgres_url}&keepalives_idle=5", pool_size=1)
    try:
        assert parameters(store)["keepalives_idle"] == "5"
    finally:
        store.close()
