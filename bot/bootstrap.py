"""Wire the parts together: one place that the server, the shell and the tests share.

The parts built on their own (the policy, Bittlebits, the watches, the periodic jobs of the
features beyond the core's) are in bootstrap_parts.py; here is the order they are put
together in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import App
from slack_sdk import WebClient

from bot.batches.legacy import import_batch_files, legacy_folder
from bot.batches.service import BatchService
from bot.batches.store import BatchStore
from bot.bootstrap_parts import (
    bittlebits,
    cluster_jobs,
    feature_jobs,
    follow_alert_settings,
    make_policy,
    watch_service,
)
from bot.config import Settings
from bot.governance.keys import KeyStore, RedactSecrets, choose_key
from bot.governance.policy import Policy
from bot.grids.catalog import GridCatalog
from bot.insight.credits import CreditMonitor
from bot.insight.service import Insight
from bot.logs import SECRETS
from bot.providers.base import Providers
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.key_check import STORED_KEY
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.shared_rates import share_budgets
from bot.readiness import Readiness, owed_check, provider_key_checks
from bot.runs.progress import ProgressReporter
from bot.runs.recovery import INSTANCE_LEASE
from bot.runs.reuse import ResultIndex
from bot.runs.service import RunService
from bot.scheduler import Job
from bot.slack.app import build_app
from bot.slack.batch_notifier import SlackBatchNotifier
from bot.slack.digest_sender import weekly_digest
from bot.slack.directory import SlackDirectory
from bot.slack.insight_notifier import InsightNotifier
from bot.slack.notifier import SlackNotifier
from bot.slack.owner_dms import OwnerDMs
from bot.slack.services import Services
from bot.slack.unfurl_clicks import run_delivered
from bot.slack.web_client import make_web_client
from bot.store.database import Store
from bot.store.instance_lock import InstanceLock
from bot.store.leases import LeaderLease
from bot.store.retention import Retention
from bot.store.run_record import Run
from bot.watches.batch_posts import QuietForFirings
from bot.watches.service import WatchService

log = logging.getLogger(__name__)


@dataclass
class Bot:
    settings: Settings
    store: Store
    bitscale: BitScaleClient
    providers: Providers
    web: WebClient
    notifier: SlackNotifier
    runs: RunService
    credits: CreditMonitor
    catalog: GridCatalog
    app: App
    lock: InstanceLock
    batches: BatchService
    progress: ProgressReporter
    policy: Policy | None = None
    services: Services | None = None
    retention: Retention | None = None  # pruned by the scheduler
    leader: LeaderLease | None = None  # who runs the once-per-period jobs
    heartbeat: LeaderLease | None = None  # this process's own lease: alive (PostgreSQL)
    # Periodic work of the features beyond the core's own (scheduler.core_jobs): each
    # feature adds its Job here, and the scheduler runs it (singletons on the leader only).
    jobs: list[Job] = field(default_factory=list)
    # GET /readyz's checks; server.py adds the database, the scheduler and Socket Mode.
    readiness: Readiness = field(default_factory=Readiness)
    insight: Insight | None = None  # credit history, forecast, digests
    watches: WatchService | None = None

    def close(self) -> None:
        self.batches.stop()  # its loop's last pass ends before what it uses is closed
        if self.services is not None:
            if self.services.home is not None:
                self.services.home.stop()
            self.services.background.shutdown(wait=False, cancel_futures=True)
        self.catalog.close()
        self.progress.shutdown()
        self.runs.shutdown(wait=False)
        self.runs.drain(5.0)  # answers on their way are saved before the pool closes
        self.providers.close()
        if self.leader is not None:
            self.leader.release()
        if self.heartbeat is not None:
            self.heartbeat.release()  # what is still sending is cut off: others say so
        self.lock.release()
        self.store.close()


def build_bot(
    settings: Settings,
    *,
    credit_debounce: float = 30.0,
    insight_clock: Callable[[], float] = time.time,
) -> Bot:
    """Everything but the scheduler and the web server. Raises InstanceLockError when
    another bot uses the database, StoreError on a bad database. `insight_clock` dates
    credit readings and digests (tests live a month in seconds with it)."""
    # PostgreSQL is shared by any number of processes; a SQLite file has exactly one.
    lock = InstanceLock(None if settings.database_url else settings.database_path).acquire()
    try:
        return _build(settings, lock, credit_debounce, insight_clock)
    except BaseException:
        lock.release()
        raise


def _build(
    settings: Settings,
    lock: InstanceLock,
    credit_debounce: float,
    insight_clock: Callable[[], float],
) -> Bot:
    store = Store(settings.database_target, pool_size=settings.database_pool_size)
    assert settings.bitscale_api_key is not None and settings.slack_bot_token is not None
    keys = KeyStore(store)
    SECRETS.follow(RedactSecrets.secrets)  # a key stored by a rotation, in every log line
    if keys.get():
        log.info("using the BitScale API key stored by the last rotation (not BITSCALE_API_KEY)")
    bitscale = BitScaleClient(
        choose_key(keys, settings.bitscale_api_key.get_secret_value()) or "",
        settings.bitscale_api_url,
        rate_limit=settings.bitscale_rate_limit,
        max_connections=settings.submit_concurrency + 32,
    )
    share_budgets(store, bitscale.limiter)  # PostgreSQL: one budget for every process
    # The registry of run providers: a new provider is one more line here.
    bitscale_provider = BitScaleProvider(
        bitscale, mode=settings.run_mode, poll_interval=settings.poll_seconds
    )
    if keys.get():
        bitscale_provider.key_source = STORED_KEY  # named in the start-up check's log line
    providers = Providers(bitscale_provider)
    if settings.bittlebits_api_key is not None:
        providers.add(bittlebits(settings, store))
    web = make_web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    notifier = SlackNotifier(web, settings.credit_alert_channel, providers)
    directory = SlackDirectory(web)
    policy = make_policy(settings, store, directory)
    insight = Insight.over(store, policy.usage, insight_clock)
    bitscale.observe_workspace(insight.history.observe)  # every answer is a reading
    credits = CreditMonitor(
        store,
        bitscale,
        InsightNotifier(
            web, alert_channel=policy.alert_channel, admins=policy.admins, person=directory.person
        ),
        channel=settings.credit_alert_channel,
        threshold=settings.credit_alert_threshold,
        debounce_seconds=credit_debounce,
        history=insight.history,
        usage=policy.usage,
        forecast_alerts=policy.forecast_alerts,
    )
    follow_alert_settings(policy, credits, notifier)
    results = ResultIndex(
        store,
        default_days=settings.result_reuse_days,
        grid_days=settings.result_reuse_grid_days,
        window_for=policy.reuse_days,  # set per grid in the admin form
        may_run=policy.can_run_grid,  # no reused answers from a grid one may not run
    )
    runs = RunService(
        store,
        providers,
        notifier,
        expiry_seconds=settings.run_expiry_minutes * 60,
        submit_concurrency=settings.submit_concurrency,
        on_finished=credits.request_check_soon,
        instance_id=lock.id,
        results=results,
        gate=policy,
        drain_seconds=settings.shutdown_drain_seconds,
    )
    # Taken before anything is sent, so the other processes know this one is alive.
    heartbeat = LeaderLease(store, lock.id, name=INSTANCE_LEASE + lock.id, says=None)
    if store.postgres:
        heartbeat.renew()
    runs.recover(shared=store.postgres)
    batches = BatchService(
        BatchStore(store),
        runs,
        bitscale_provider,  # batches run grids
        QuietForFirings(
            OwnerDMs(SlackBatchNotifier(web), web, insight)
        ),  # firings post digests only
        mode=settings.batch_run_mode,
        max_rows=settings.batch_max_rows,
        progress_seconds=settings.batch_progress_seconds,
        expiry_seconds=settings.run_expiry_minutes * 60,
    )
    # A deployment from before files lived in the database: move them in, drop the folder.
    if store.path is not None:
        import_batch_files(batches.store, legacy_folder(store.path))
    runs.first_poll = batches.first_poll

    def finished(run: Run) -> None:
        credits.request_check_soon(run)
        batches.on_run_finished(run)
        if services.home is not None:  # their Home tab shows the run's new state
            services.home.changed(run.user_id)

    runs.on_finished = finished
    policy.usage.cost_per_row = batches.cost_per_run  # measured per grid; an estimate
    catalog = GridCatalog(bitscale, store)
    signing = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    services = Services(
        store,
        bitscale,
        catalog,
        runs,
        batches=batches,
        batch_max_bytes=int(settings.batch_max_file_mb * 1_000_000),
        policy=policy,
        keys=keys,
        insight=insight,
        reaction_emoji=settings.reaction_emoji.strip().strip(":") or "mag",
    )
    # A LinkedIn card whose run was delivered is redrawn in place (✅ or ❌).
    notifier.after_delivery.append(lambda run: run_delivered(web, services, run))
    watches = watch_service(store, batches, web, policy, bitscale_provider, lock.id)
    services.watches = watches
    assert services.approvals is not None
    services.approvals.handle(
        "watch",
        approved=lambda a: watches.approve(a.ref, a.decided_by or ""),
        denied=lambda a: watches.deny(a.ref, a.decided_by or ""),
    )
    app = build_app(web, services, signing_secret=signing, socket_mode=settings.socket_mode)
    digest = weekly_digest(
        web,
        insight,
        admins=policy.admins,
        channel=policy.alert_channel,
        person=directory.person,
        approvals=services.approvals,
    )
    progress = ProgressReporter(store, notifier)
    leader = LeaderLease(store, lock.id)
    if not store.postgres:
        leader.seize()  # the instance lock says no other process runs on this database
    jobs = cluster_jobs(runs, heartbeat) if store.postgres else []
    readiness = Readiness()
    provider_key_checks(readiness, providers)
    readiness.add("owed-to-slack", owed_check(store), needs="database")
    return Bot(
        settings,
        store,
        bitscale,
        providers,
        web,
        notifier,
        runs,
        credits,
        catalog,
        app,
        lock,
        batches,
        progress,
        policy,
        services=services,
        retention=Retention(
            store, days=settings.run_retention_days, window_days=results.window_days
        ),
        leader=leader,
        readiness=readiness,
        insight=insight,
        heartbeat=heartbeat if store.postgres else None,
        jobs=[*jobs, *feature_jobs(settings, services, watches, digest)],
        watches=watches,
    )
