"""Credit monitor: one alert per crossing, re-armed when credits recover.

Two kinds of crossing: the threshold (credits under CREDIT_ALERT_THRESHOLD, as always),
and, when an admin turned it on, the forecast (credits run out before the plan renews).
Every alert carries the forecast; the forecast alert also says what drives the spend (the
top grids and people of the last 7 days). Each check's reading goes into the credit
history (through the client's observer), so checks run even with no alert channel set.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.governance.usage import Usage
from bot.insight.drivers import Drivers, top_drivers
from bot.insight.forecast import Forecast
from bot.insight.history import CreditHistory
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.models import Workspace
from bot.providers.bitscale.transport import Priority
from bot.store.database import Store

log = logging.getLogger(__name__)

ARMED, ALERTED = "armed", "alerted"
SEARCH_ALERT_FRACTION = 0.1  # searches "running out": under a tenth of the monthly limit


@dataclass
class CreditAlert:
    kind: str  # "credits" | "searches" | "forecast"
    workspace: Workspace
    threshold: int
    forecast: Forecast | None = None
    drivers: Drivers | None = None  # the forecast alert's top grids and people


class AlertSink(Protocol):
    def credit_alert(self, alert: CreditAlert) -> None: ...


def next_state(previous: str | None, below: bool) -> tuple[str, bool]:
    """(new state, whether to alert now). Alert on the way down only; re-arm on the way up."""
    if below:
        return ALERTED, previous != ALERTED
    return ARMED, False


def search_threshold(limit: int) -> int:
    return max(1, math.ceil(limit * SEARCH_ALERT_FRACTION))


class CreditMonitor:
    def __init__(
        self,
        store: Store,
        client: BitScaleClient,
        sink: AlertSink,
        *,
        channel: str | None,
        threshold: int,
        debounce_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        history: CreditHistory | None = None,
        usage: Usage | None = None,
        forecast_alerts: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store
        self.client = client
        self.sink = sink
        self.channel = channel
        self.threshold = threshold
        self.debounce_seconds = debounce_seconds
        self.clock = clock
        self._soon_at: float | None = None
        self._lock = threading.Lock()
        self.history = history  # fed by the client's observer; read for the forecast
        self.usage = usage  # for the forecast alert's top grids and people
        self.forecast_alerts = forecast_alerts  # the admins' switch (admin form)

    @property
    def enabled(self) -> bool:
        """Threshold alerts have somewhere to go."""
        return bool(self.channel)

    @property
    def reads(self) -> bool:
        """Checks are worth their request: alerts to send, or a history to keep."""
        return self.enabled or self.history is not None

    def check(self) -> list[CreditAlert]:
        """Read the workspace and send whatever alerts a crossing calls for."""
        if not self.reads:
            return []
        workspace = self.client.workspace(priority=Priority.BACKGROUND)
        forecast = self.history.forecast() if self.history is not None else None
        sent = self._threshold_alerts(workspace, forecast) if self.enabled else []
        if self.forecast_alerts() and forecast is not None:
            sent += self._forecast_alert(workspace, forecast)
        return sent

    def _threshold_alerts(
        self, workspace: Workspace, forecast: Forecast | None
    ) -> list[CreditAlert]:
        searches = workspace.people_company_searches
        checks = [
            ("credits", workspace.credits.remaining < self.threshold, self.threshold),
            (
                "searches",
                searches.limit > 0 and searches.remaining < search_threshold(searches.limit),
                search_threshold(searches.limit),
            ),
        ]
        sent = []
        for kind, below, threshold in checks:
            previous = self.store.alert_state(kind)
            state, fire = next_state(previous, below)
            if fire:
                alert = CreditAlert(kind, workspace, threshold, forecast)
                if self._claim_and_send(alert, previous, state):
                    sent.append(alert)
            elif state != previous:
                self.store.set_alert_state(kind, state)
        return sent

    def _claim_and_send(self, alert: CreditAlert, previous: str | None, state: str) -> bool:
        """Once per crossing across every process: the one that moves the state sends;
        a send that fails moves it back, so the next check tries again."""
        if not self.store.move_alert_state(alert.kind, previous, state):
            return False  # another process saw the same crossing first and sends it
        if self._send(alert):
            return True
        self.store.move_alert_state(alert.kind, state, previous or ARMED)  # armed again
        return False

    def _forecast_alert(self, workspace: Workspace, forecast: Forecast) -> list[CreditAlert]:
        """Once when the forecast starts running out before renewal; re-armed when it no
        longer does. Without a date (not enough history) nothing changes either way."""
        if not forecast.has_date:
            return []
        previous = self.store.alert_state("forecast")
        state, fire = next_state(previous, forecast.runs_out_before_renewal)
        if fire:
            drivers = (
                top_drivers(self.usage, self.usage.clock()) if self.usage is not None else None
            )
            alert = CreditAlert("forecast", workspace, self.threshold, forecast, drivers)
            return [alert] if self._claim_and_send(alert, previous, state) else []
        if state != previous:
            self.store.set_alert_state("forecast", state)
        return []

    def _send(self, alert: CreditAlert) -> bool:
        try:
            self.sink.credit_alert(alert)
        except Exception as exc:  # noqa: BLE001 - state unchanged: the next check retries
            log.error(
                "credit alert not posted in %s (%s); is the bot invited to that channel?",
                self.channel or "the admins' DMs",
                exc,
            )
            return False
        return True

    def request_check_soon(self, *_: object) -> None:
        """Ask for a check shortly (after runs finish); many asks make one check."""
        if not self.reads:
            return
        with self._lock:
            if self._soon_at is None:
                self._soon_at = self.clock() + self.debounce_seconds

    def check_if_requested(self) -> list[CreditAlert]:
        with self._lock:
            due = self._soon_at is not None and self.clock() >= self._soon_at
            if due:
                self._soon_at = None
        return self.check() if due else []
