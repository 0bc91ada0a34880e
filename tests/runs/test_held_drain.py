"""A shutdown while sync runs are held open: the drain waits for them, a run that ends
within it is answered and saved, and one still running when it ends is reported cut off
at the next start, never sent again. The run core with real threads, against the
simulator over loopback HTTP."""

from __future__ import annotations

from bot.playground.simulators.bitscale import Simulator
from bot.playground.slack.records import wait_for
from bot.providers.base import Providers
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.limiter import RateLimiter
from bot.runs.service import RunService
from bot.store.database import Store
from tests.runs.test_runs import RecordingNotifier, request


def service_on(store: Store, sim: Simulator) -> RunService:
    client = BitScaleClient("test-key", sim.url, limiter=RateLimiter(rate=1000))
    providers = Providers(BitScaleProvider(client, mode="sync"))
    return RunService(store, providers, RecordingNotifier(), launch_grace=0.0)


def test_the_drain_waits_for_held_runs_and_what_it_cuts_off_is_told_not_resent(tmp_path):
    sim = Simulator("test-key", time_scale=100, rate_limit=1000).start()
    quick, slow = sim.add_timed_grid("Quick", 20), sim.add_timed_grid("Slow", 110)
    store = Store(tmp_path / "runs.db")
    service = service_on(store, sim)
    try:
        runs = [
            service.start_run(
                request(
                    dedupe_key=f"{grid.name}-{n}",
                    grid_id=grid.id,
                    inputs={"company_name": f"{grid.name} {n}"},  # six questions, not one
                )
            )[0]
            for grid in (quick, slow)
            for n in range(3)
        ]
        wait_for(lambda: sim.run_count == 6)  # all six held open at BitScale
        service.shutdown(wait=False)
        assert not service.drain(0.6)  # 20 s runs end within it (0.2 s); 110 s ones do not
        states = {run.id: store.get_run(run.id).state for run in runs}
        assert [states[r.id] for r in runs[:3]] == ["completed"] * 3
        assert [states[r.id] for r in runs[3:]] == ["submitting"] * 3
        service.providers.get("bitscale").close()  # the process ends
        after = service_on(store, sim)  # the next start
        after.recover()
        cut_off = [store.get_run(r.id) for r in runs[3:]]
        assert {r.state for r in cut_off} == {"interrupted"}
        assert all("not re-sent" in r.error_message for r in cut_off)
        after.shutdown()
    finally:
        store.close()
        sim.stop()
    assert sim.run_count == 6  # nothing sent twice
