"""Credit monitor: one alert per threshold crossing, re-armed when credits recover."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.models import Workspace
from bot.providers.bitscale.transport import Priority
from bot.store.database import Store

log = logging.getLogger(__name__)

ARMED, ALERTED = "armed", "alerted"
SEARCH_ALERT_FRACTION = 0.1  # searches "running out": under a tenth of the monthly limit


@dataclass
class CreditAlert:
    kind: str  # "credits" | "searches"
    workspace: Workspace
    threshold: int


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

    @property
    def enabled(self) -> bool:
        return bool(self.channel)

    def check(self) -> list[CreditAlert]:
        """Read the workspace and send whatever alerts a crossing calls for."""
        if not self.enabled:
            return []
        workspace = self.client.workspace(priority=Priority.BACKGROUND)
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
                alert = CreditAlert(kind, workspace, threshold)
                try:
                    self.sink.credit_alert(alert)
                except Exception as exc:  # noqa: BLE001 - state unchanged: next check retries
                    log.error(
                        "credit alert not posted in %s (%s); is the bot invited to that channel?",
                        self.channel,
                        exc,
                    )
                    continue
                sent.append(alert)
            if state != previous:
                self.store.set_alert_state(kind, state)
        return sent

    def request_check_soon(self, *_: object) -> None:
        """Ask for a check shortly (after runs finish); many asks make one check."""
        if not self.enabled:
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
