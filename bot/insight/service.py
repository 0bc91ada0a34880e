"""What the Slack face asks of insight: the history, the forecast, what drives the spend,
each person's choices. One object, made in bootstrap.py and handed to the listeners."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.governance.usage import Usage
from bot.insight.chart_data import daily_by_grid, remaining_series
from bot.insight.charts import Chart, both, remaining_chart
from bot.insight.digest import WEEK, DigestFacts, WaitingBatch, failures_by_reason
from bot.insight.drivers import Drivers, top_drivers
from bot.insight.forecast import Forecast
from bot.insight.history import CreditHistory
from bot.insight.preferences import Preferences
from bot.store.database import Store


@dataclass
class Insight:
    store: Store
    history: CreditHistory
    usage: Usage
    prefs: Preferences
    clock: Callable[[], float] = field(default=time.time)

    @classmethod
    def over(cls, store: Store, usage: Usage, clock: Callable[[], float] = time.time) -> Insight:
        return cls(store, CreditHistory(store, clock), usage, Preferences(store, clock), clock)

    def forecast(self) -> Forecast:
        return self.history.forecast()

    def drivers(self, days: float = 7, top: int = 3) -> Drivers:
        return top_drivers(self.usage, self.clock(), days=days, top=top)

    def charts(self, locale: str | None = None) -> list[Chart]:
        """Credits left over 90 days with the forecast, and credits a day by grid over 30
        (drawn in a child process: the bot never loads the plotting library)."""
        now = self.clock()
        return both(
            remaining_series(self.history, now),
            daily_by_grid(self.store, now, self.usage.cost_per_row),
            locale,
        )

    def remaining_chart(self, locale: str | None = None) -> Chart:
        """The digest's one picture: credits left over 90 days with the forecast."""
        return remaining_chart(remaining_series(self.history, self.clock()), locale)

    def digest_facts(self, waiting: list[WaitingBatch] | None = None) -> DigestFacts:
        """The week up to now, and the week before it, for the weekly digest."""
        now = self.clock()
        week = self.usage.since(now - WEEK)
        return DigestFacts(
            since=now - WEEK,
            until=now,
            spent_this_week=self.history.spent(now - WEEK, now),
            spent_last_week=self.history.spent(now - 2 * WEEK, now - WEEK),
            forecast=self.forecast(),
            drivers=self.drivers(days=7, top=3),
            failures=failures_by_reason(self.store, now - WEEK, now),
            reused_rows=week.total.reused,
            saved_credits=week.total.saved,
            waiting=list(waiting or []),
        )
