from __future__ import annotations

import pytest

from bot.playground.rigs.cluster_rig import ClusterRig


@pytest.fixture
def cluster(tmp_path, postgres_url):
    """Three real bot processes on one PostgreSQL schema, with one BitScale simulator (20x
    real time: a 20 s grid takes 1 s) and one Slack stand-in; closed after the test."""
    rigs: list[ClusterRig] = []

    def start(processes: int = 3, **kwargs) -> ClusterRig:
        kwargs.setdefault("time_scale", 20)
        # Its own application name: the tests may drop these connections and no others.
        url = f"{postgres_url}&application_name={tmp_path.name[:40]}"
        rig = ClusterRig(tmp_path, url, processes=processes, **kwargs)
        rig.application_name = tmp_path.name[:40]
        rigs.append(rig)
        rig.sim.add_timed_grid("Cluster Grid", 20)
        return rig.start_cluster()

    yield start
    for rig in rigs:
        rig.close()
