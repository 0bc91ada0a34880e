from __future__ import annotations

import respx

from bot.insight.credits import ALERTED, ARMED, CreditMonitor, next_state
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.limiter import RateLimiter
from bot.store.database import Store

BASE = "https://api.test/api/v1"


def test_state_machine_alerts_once_per_crossing():
    assert next_state(None, below=False) == (ARMED, False)
    assert next_state(None, below=True) == (ALERTED, True)
    assert next_state(ALERTED, below=True) == (ALERTED, False)
    assert next_state(ALERTED, below=False) == (ARMED, False)
    assert next_state(ARMED, below=True) == (ALERTED, True)


class Sink:
    def __init__(self):
        self.alerts, self.fail = [], False

    def credit_alert(self, alert):
        if self.fail:
            raise RuntimeError("slack down")
        self.alerts.append(alert)


def ws(remaining, searches=100):
    return {
        "plan": {"name": "Pro"},
        "credits": {"total": 5000, "used": 5000 - remaining, "remaining": remaining},
        "people_company_searches": {"limit": 100, "used": 100 - searches, "remaining": searches},
    }


@respx.mock
def test_monitor_survives_a_failed_alert_and_still_alerts_once(tmp_path):
    client = BitScaleClient("k", BASE, limiter=RateLimiter(rate=1000))
    sink = Sink()
    monitor = CreditMonitor(Store(tmp_path / "db"), client, sink, channel="C1", threshold=1000)
    route = respx.get(f"{BASE}/workspace")
    route.respond(200, json=ws(500))
    sink.fail = True
    assert monitor.check() == []  # logged, not raised; the next check tries again
    sink.fail = False
    assert [a.kind for a in monitor.check()] == ["credits"]
    assert monitor.check() == []
    route.respond(200, json=ws(500, searches=5))
    assert [a.kind for a in monitor.check()] == ["searches"]


def test_disabled_monitor_spends_no_requests(tmp_path):
    client = BitScaleClient("k", BASE, limiter=RateLimiter(rate=1000))
    monitor = CreditMonitor(Store(tmp_path / "db"), client, Sink(), channel=None, threshold=10)
    assert monitor.check() == [] and client.requests_sent == 0


def test_soon_checks_are_debounced(tmp_path):
    now = [0.0]
    client = BitScaleClient("k", BASE, limiter=RateLimiter(rate=1000))
    monitor = CreditMonitor(
        Store(tmp_path / "db"),
        client,
        Sink(),
        channel="C1",
        threshold=10,
        debounce_seconds=30,
        clock=lambda: now[0],
    )
    calls = []
    monitor.check = lambda: calls.append(1) or []
    for _ in range(5):
        monitor.request_check_soon()
    assert monitor.check_if_requested() == [] and calls == []
    now[0] = 31
    monitor.check_if_requested()
    monitor.check_if_requested()
    assert calls == [1]
