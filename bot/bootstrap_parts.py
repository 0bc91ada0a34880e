"""The parts bootstrap.py builds on their own: the policy, Bittlebits with its hourly budget,
the watches, the alert settings admins may change, and the periodic jobs of the features
beyond the core's (scheduler.core_jobs).
"""

from __future__ import annotations

import time

from slack_sdk import WebClient

from bot.batches.service import BatchService
from bot.config import Settings
from bot.governance.audit import AuditLog
from bot.governance.policy import Policy
from bot.governance.stored_settings import StoredSettings
from bot.governance.usage import Usage
from bot.insight.credits import CreditMonitor
from bot.insight.weekly import WeeklyDigest
from bot.previews.rules import KEEP_DAYS
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.bittlebits.client import BittlebitsClient
from bot.providers.bittlebits.provider import BittlebitsProvider
from bot.providers.shared_rates import share_budgets
from bot.runs.service import RunService
from bot.scheduler import Job
from bot.slack.directory import SlackDirectory
from bot.slack.notifier import SlackNotifier
from bot.slack.services import Services
from bot.slack.text import escape, mention
from bot.slack.watch_posts import SlackWatchNotifier
from bot.store.cluster_lock import ClusterLock
from bot.store.database import Store
from bot.store.leases import LeaderLease
from bot.watches.service import WatchService
from bot.watches.store import WatchStore


def make_policy(settings: Settings, store: Store, directory: SlackDirectory) -> Policy:
    """Who may spend credits, with the settings and the audit log in the database."""
    audit = AuditLog(store)
    return Policy(
        StoredSettings(store, audit),
        audit,
        Usage(store),
        named_admins=settings.admin_ids,
        directory=directory,
        quote=escape,
        mention=mention,
        default_alert_channel=settings.credit_alert_channel,
        default_alert_threshold=settings.credit_alert_threshold,
        # Across every process on PostgreSQL: two runs at once, anywhere, cannot both take
        # the last row of a budget.
        admission_lock=ClusterLock(store, "admission"),
    )


def feature_jobs(
    settings: Settings, services: Services, watches: WatchService, digest: WeeklyDigest
) -> list[Job]:
    """The periodic work of watches, link previews and the weekly digest."""
    return [
        # Due watches get their firing rows on the leader; every process starts,
        # follows and posts the firings it claims.
        Job("watch-schedule", watches.schedule_due, settings.watch_tick_seconds, 0.0, True),
        Job("watch-firings", watches.tick, min(1.0, settings.watch_tick_seconds), None),
        # Old LinkedIn cards and detection offers are forgotten (runs keep their own).
        Job("preview-records", lambda: _prune_previews(services), 6 * 3600, 300.0, True),
        # Monday 09:00 in each admin's time zone; claimed per (reader, week) in the table.
        Job("weekly-digest", digest.tick, 60.0, 30.0, True),
    ]


def watch_service(
    store: Store,
    batches: BatchService,
    web: WebClient,
    policy: Policy,
    provider: BitScaleProvider,
    instance: str,
) -> WatchService:
    """Scheduled re-runs through the batch machinery, digests through Slack."""
    return WatchService(
        WatchStore(store),
        batches,
        SlackWatchNotifier(web),
        policy=policy,
        credits_left=provider.credits_left,
        me=instance,
    )


def cluster_jobs(runs: RunService, heartbeat: LeaderLease) -> list[Job]:
    """With processes sharing PostgreSQL: this one says it is alive every few seconds, and
    the leader reports the runs a dead one was sending, within 30 s of its death."""
    return [
        Job("instance-heartbeat", heartbeat.renew, heartbeat.ttl / 3, None),
        Job("orphaned-runs", lambda: runs.interrupt_orphans(time.time()), 5.0, 5.0, True),
    ]


def _prune_previews(services: Services) -> None:
    older_than = time.time() - KEEP_DAYS * 86400
    assert services.unfurls is not None and services.offers is not None
    services.unfurls.prune(older_than)
    services.offers.prune(older_than)


def follow_alert_settings(policy: Policy, credits: CreditMonitor, notifier: SlackNotifier) -> None:
    """The alerts channel and threshold set from the admin form override the environment,
    at start and the moment an admin changes them."""

    def apply(key: str = "alerts.", old: object = None, new: object = None) -> None:
        if key.startswith("alerts."):
            credits.channel = notifier.alert_channel = policy.alert_channel()
            credits.threshold = policy.alert_threshold()

    apply()
    policy.settings.on_change(apply)


def bittlebits(settings: Settings, store: Store) -> BittlebitsProvider:
    """Bittlebits, with the POSTs of the last hour counted against its hourly budget."""
    assert settings.bittlebits_api_key is not None
    client = BittlebitsClient(
        settings.bittlebits_api_key.get_secret_value(), settings.bittlebits_api_url
    )
    share_budgets(store, client.post_limiter, client.get_limiter)
    provider = BittlebitsProvider(client)
    rows = store.sql.query(
        "SELECT submitted_at FROM runs WHERE provider = :provider AND submitted_at > :since",
        {"provider": provider.name, "since": time.time() - 3600},
    )
    provider.remember_submissions([row["submitted_at"] for row in rows])
    return provider
