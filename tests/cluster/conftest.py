from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from bot.playground.rigs.cluster_rig import ClusterRig
from bot.playground.rigs.tcp_proxy import TcpProxy


@pytest.fixture
def cluster(tmp_path, postgres_url):
    """Three real bot processes on one PostgreSQL schema, with one BitScale simulator (20x
    real time: a 20 s grid takes 1 s) and one Slack stand-in; closed after the test."""
    rigs: list[ClusterRig] = []

    def start(processes: int = 3, *, through: TcpProxy | None = None, **kwargs) -> ClusterRig:
        """`through`: the processes reach PostgreSQL through this proxy (the rig's own
        reads go straight to the server)."""
        kwargs.setdefault("time_scale", 20)
        # Its own application name: the tests may drop these connections and no others.
        url = f"{postgres_url}&application_name={tmp_path.name[:40]}"
        if through is not None:
            host = f"{through.target[0]}:{through.target[1]}"
            kwargs["reader_url"] = url
            url = url.replace(host, f"127.0.0.1:{through.port}", 1)
        rig = ClusterRig(tmp_path, url, processes=processes, **kwargs)
        rig.application_name = tmp_path.name[:40]
        rigs.append(rig)
        rig.sim.add_timed_grid("Cluster Grid", 20)
        return rig.start_cluster()

    yield start
    for rig in rigs:
        rig.close()


@pytest.fixture
def database_proxy():
    """A switchable forwarder to the test server: stop() is a server going down."""
    from tests.pg import SERVER

    parts = urlsplit(SERVER)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    yield proxy
    proxy.stop()
