"""The credit history: every GET /workspace kept, once per change, for 13 months."""

from __future__ import annotations

import respx

from bot.insight.history import CreditHistory
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.models import Workspace
from bot.providers.limiter import RateLimiter
from bot.store.database import Store
from bot.store.retention import DAY, Retention

BASE = "https://api.test/api/v1"
NOW = 1_800_000_000.0


def ws(remaining: int, total: int = 5000, renews: str = "2027-01-01T00:00:00Z") -> dict:
    return {
        "plan": {"name": "Pro", "next_billing_date": renews},
        "credits": {"total": total, "used": total - remaining, "remaining": remaining},
    }


def test_an_unchanged_reading_moves_the_last_one_on_instead_of_adding_a_row(tmp_path):
    now = [NOW]
    history = CreditHistory(Store(tmp_path / "db"), clock=lambda: now[0])
    history.record(Workspace.model_validate(ws(900)))
    now[0] += 600
    history.record(Workspace.model_validate(ws(900)))
    now[0] += 600
    history.record(Workspace.model_validate(ws(850)))
    readings = history.readings()
    assert [(r.read_at, r.last_seen, r.remaining) for r in readings] == [
        (NOW, NOW + 600, 900),
        (NOW + 1200, NOW + 1200, 850),
    ]
    assert readings[0].renews_at == "2027-01-01T00:00:00Z" and readings[0].plan == "Pro"
    assert history.spent(NOW, NOW + 1200) == 50
    # Half of the time between the two readings is inside: half the spend is counted.
    assert history.spent(NOW, NOW + 900) == 25


@respx.mock
def test_every_workspace_answer_is_recorded_whoever_asked(tmp_path):
    history = CreditHistory(Store(tmp_path / "db"), clock=lambda: NOW)
    client = BitScaleClient("k", BASE, limiter=RateLimiter(rate=1000))
    client.observe_workspace(history.observe)
    respx.get(f"{BASE}/workspace").respond(200, json=ws(700))
    assert client.workspace().credits.remaining == 700
    assert [r.remaining for r in history.readings()] == [700]


@respx.mock
def test_a_broken_history_never_fails_the_read(tmp_path):
    store = Store(tmp_path / "db")
    history = CreditHistory(store, clock=lambda: NOW)
    client = BitScaleClient("k", BASE, limiter=RateLimiter(rate=1000))
    client.observe_workspace(history.observe)
    store.sql.run("DROP TABLE credit_readings")
    respx.get(f"{BASE}/workspace").respond(200, json=ws(700))
    assert client.workspace().credits.remaining == 700


def test_retention_keeps_thirteen_months_of_readings(tmp_path):
    store = Store(tmp_path / "db")
    now = [NOW - 401 * DAY]
    history = CreditHistory(store, clock=lambda: now[0])
    for age, remaining in ((401, 900), (396, 800), (1, 700)):  # 396 days: 13 months
        now[0] = NOW - age * DAY
        history.record(Workspace.model_validate(ws(remaining)))
    pruned = Retention(store, days=90, clock=lambda: NOW).prune()
    assert pruned.readings == 1
    assert [r.remaining for r in history.readings()] == [800, 700]
