"""Keeping App Home tabs current: gather each person's dashboard and publish it, throttled.

A tab is published when its person opens it, when one of their runs finishes, and every
`refresh` seconds while they have runs or batches in progress. `views.publish` is in
Slack's Tier 4 (100+ calls a minute): each person gets at most one publish every
`min_interval` seconds (later requests fold into one trailing publish) and the whole app
at most `per_minute`. Only people who have opened the tab get publishes.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.models.blocks import Block

from bot.providers.bitscale.errors import BitScaleError, explain
from bot.slack import blocks as kit
from bot.slack.blocks import watches as watch_kit
from bot.slack.blocks.approvals import APPROVE_ACTION, DENY_ACTION
from bot.slack.blocks.forecast import forecast_lines
from bot.slack.charts import chart_blocks, post_with_charts
from bot.slack.services import Services

log = logging.getLogger(__name__)


class Throttle:
    """Who to publish next, and when: pure, with the clock passed in."""

    def __init__(self, min_interval: float, per_minute: int) -> None:
        self.min_interval = min_interval
        self.per_minute = per_minute
        self.last: dict[str, float] = {}
        self.pending: dict[str, float] = {}
        self.sent: deque[float] = deque()

    def request(self, user_id: str, now: float) -> None:
        due = max(now, self.last.get(user_id, -math.inf) + self.min_interval)
        self.pending[user_id] = min(self.pending.get(user_id, math.inf), due)

    def take(self, now: float) -> tuple[str | None, float]:
        """(a person to publish now, 0) or (None, seconds until the next is due)."""
        while self.sent and self.sent[0] <= now - 60:
            self.sent.popleft()
        if not self.pending:
            return None, math.inf
        user_id, due = min(self.pending.items(), key=lambda item: item[1])
        if len(self.sent) >= self.per_minute:
            due = max(due, self.sent[0] + 60)
        if due > now:
            return None, due - now
        del self.pending[user_id]
        self.last[user_id] = now
        self.sent.append(now)
        return user_id, 0.0


def day_start(now: float) -> float:
    day = datetime.fromtimestamp(now, timezone.utc).replace(hour=0, minute=0, second=0)
    return day.replace(microsecond=0).timestamp()


def home_data(services: Services, user_id: str, now: float | None = None) -> kit.HomeData:
    """Everything one person's tab shows, read from the database (and BitScale's cached credits)."""
    data = kit.HomeData(user_id=user_id, runs=services.store.recent_runs(user_id, 10))
    batches = getattr(services, "batches", None)
    if batches is not None:
        # A watch's firings are batches too: the watch stands for them below.
        mine = batches.store.where(
            "user_id = :user_id AND (dedupe_key IS NULL OR dedupe_key NOT LIKE 'watch:%')",
            {"user_id": user_id},
        )[-5:]  # oldest first
        data.batches = [batch_line(batches, b) for b in reversed(mine)]
    watches = getattr(services, "watches", None)
    if watches is not None:
        data.watches = watch_kit.home_lines(watches.store.owned_by(user_id))
    try:
        data.workspace = services.catalog.workspace()
    except BitScaleError as error:
        data.credits_problem = explain(error)
    policy = getattr(services, "policy", None)
    if policy is not None and policy.is_admin(user_id):
        data.admin = admin_home(services, now or time.time(), user_id)
    return data


def batch_line(batches, batch) -> kit.BatchLine:  # noqa: ANN001 - BatchService, Batch
    progress = batches.progress(batch)
    return kit.BatchLine(
        id=batch.id,
        grid_name=batch.grid_name,
        file_name=batch.file_name,
        state=batch.state,
        created_at=batch.created_at,
        finished=progress.finished,
        total=progress.runs_total,
        channel_id=batch.post_channel or batch.channel_id,
        user_id=batch.user_id,
        rows=batch.rows_total,
    )


def admin_home(services: Services, now: float, user_id: str = "") -> kit.AdminHome:
    """Today's usage (UTC day), the batches waiting for an admin, the admin form."""
    since = {"since": day_start(now)}
    store = services.store
    admin = kit.AdminHome(
        runs_today=store.count_runs("created_at >= :since AND batch_id IS NULL", since),
        rows_today=store.count_runs(
            "created_at >= :since AND state NOT IN ('reused', 'cancelled')", since
        ),
        failed_today=store.count_runs(
            "created_at >= :since AND state IN ('failed', 'expired', 'interrupted')", since
        ),
        people_today=int(
            store.sql.scalar(
                "SELECT COUNT(DISTINCT user_id) AS n FROM runs WHERE created_at >= :since", since
            )
        ),
        admin_form=True,
    )
    policy = getattr(services, "policy", None)
    if policy is not None and policy.workspace_budget() is not None:
        admin.budget_rows = policy.workspace_budget()
    insight = getattr(services, "insight", None)
    if insight is not None:
        locale = services.locale_of(user_id)
        admin.forecast = forecast_lines(insight.forecast(), locale)
        admin.charts = home_charts(services, locale)
    approvals = getattr(services, "approvals", None)
    batches = getattr(services, "batches", None)
    if approvals is not None:
        # Approvals own the Approve/Deny buttons and their admin checks (approvals.py).
        admin.approve_action, admin.deny_action = APPROVE_ACTION, DENY_ACTION
        for approval in approvals.pending()[:10]:
            batch = batches.get(approval.ref) if batches is not None else None
            line = (
                batch_line(batches, batch)
                if batch is not None
                else kit.BatchLine(
                    approval.ref,
                    approval.grid_name,
                    "batch",
                    "awaiting_approval",
                    approval.created_at,
                    0,
                    0,
                    approval.channel_id,
                    approval.requester,
                    approval.rows,
                )
            )
            admin.pending.append(line)
            admin.pending_values[line.id] = approval.id
    elif batches is not None:
        admin.pending = [
            batch_line(batches, b) for b in batches.store.where("state = 'awaiting_approval'")
        ]
    return admin


CHARTS_MAX_AGE = 3600.0  # Home tabs are published often; their charts are redrawn hourly


def home_charts(services: Services, locale: str | None) -> list[Block]:
    """The admins' charts, drawn and uploaded at most once an hour per locale (a tab is
    republished at every run's end)."""
    key = f"home-charts:{locale or ''}"
    cached = services.store.cache_get(key, CHARTS_MAX_AGE)
    if cached is None:
        insight = services.insight
        assert insight is not None
        client = getattr(getattr(services, "home", None), "client", None)
        if client is None:
            return []
        cached = [b.to_dict() for c in insight.charts(locale) for b in chart_blocks(client, c)]
        services.store.cache_put(key, cached)
    return [Block.parse(b) for b in cached]


class HomePublisher:
    def __init__(
        self,
        client: WebClient,
        services: Services,
        *,
        min_interval: float = 5.0,
        per_minute: int = 90,
        refresh: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.services = services
        self.refresh = refresh
        self.clock = clock
        self.throttle = Throttle(min_interval, per_minute)
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    # --- requests ---------------------------------------------------------------------

    def opened(self, user_id: str) -> None:
        """The person opened the Home tab: remember them and publish now."""
        self.services.store.sql.upsert(
            "home_viewers", {"user_id": user_id, "opened_at": time.time()}, "user_id"
        )
        self.request(user_id)

    def changed(self, user_id: str | None) -> None:
        """Something of theirs changed (a run finished): publish if they use the tab."""
        if user_id and self._is_viewer(user_id):
            self.request(user_id)

    def request(self, user_id: str) -> None:
        with self._cond:
            self.throttle.request(user_id, self.clock())
            self._cond.notify()

    def _is_viewer(self, user_id: str) -> bool:
        row = self.services.store.sql.one(
            "SELECT 1 AS viewer FROM home_viewers WHERE user_id = :user_id", {"user_id": user_id}
        )
        return row is not None

    def busy_viewers(self) -> list[str]:
        """Viewers with a run or a batch in progress: their tabs are refreshed as it goes."""
        sql = (
            "SELECT user_id FROM home_viewers WHERE user_id IN (SELECT user_id FROM runs "
            "WHERE state IN ('queued', 'submitting', 'running') AND batch_id IS NULL)"
        )
        users = {r["user_id"] for r in self.services.store.sql.query(sql)}
        batches = getattr(self.services, "batches", None)
        if batches is not None:
            users |= {b.user_id for b in batches.active() if self._is_viewer(b.user_id)}
        return sorted(users)

    # --- the loop ---------------------------------------------------------------------

    def start(self) -> HomePublisher:
        self._thread = threading.Thread(target=self._loop, name="home-publisher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()

    def _loop(self) -> None:
        next_refresh = self.clock() + self.refresh
        while True:
            with self._cond:
                if self._stop:
                    return
                user_id, wait = self.throttle.take(self.clock())
                if user_id is None:
                    self._cond.wait(timeout=max(0.01, min(wait, next_refresh - self.clock())))
            if user_id is not None:
                self.publish(user_id)
            if self.clock() >= next_refresh:
                next_refresh = self.clock() + self.refresh
                try:
                    for viewer in self.busy_viewers():
                        self.request(viewer)
                except Exception:  # noqa: BLE001 - the next pass tries again
                    log.exception("could not look for busy Home tabs")

    def publish(self, user_id: str) -> None:
        try:
            data = home_data(self.services, user_id)
            view = kit.home_view(data)
            post_with_charts(
                self.client,
                lambda blocks: self.client.views_publish(
                    user_id=user_id, view={**view, "blocks": blocks}
                ),
                view["blocks"],
                wait=0.5,
            )
        except SlackClientError as exc:
            log.info("Home tab of %s not published: %s", user_id, exc)
        except Exception:  # noqa: BLE001 - a tab is never worth a crash
            log.exception("Home tab of %s not published", user_id)
