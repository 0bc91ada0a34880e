"""APScheduler jobs that drive the run core and the credit monitor. One scheduler per process.

Ticks are short: they only claim what is due in SQLite and hand it to worker pools, so
the database, not the scheduler, holds what is due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler

from bot.batches.service import BatchService
from bot.insight.credits import CreditMonitor
from bot.providers.base import Provider, ProviderError
from bot.providers.bitscale.errors import BitScaleError
from bot.runs.progress import ProgressReporter
from bot.runs.service import RunService
from bot.store.retention import Retention

log = logging.getLogger(__name__)


def _guarded(name: str, fn):
    def job() -> None:
        try:
            fn()
        except BitScaleError as error:
            log.warning("%s: BitScale said %s", name, error)
        except Exception:  # noqa: BLE001 - a job must never kill the scheduler
            log.exception("%s failed", name)

    job.__name__ = job.__qualname__ = name
    return job


def start_scheduler(
    runs: RunService,
    credits: CreditMonitor,
    *,
    tick_seconds: float = 1.0,
    credit_minutes: float = 10.0,
    soon_check_seconds: float = 5.0,
    batches: BatchService | None = None,
    progress: ProgressReporter | None = None,
    progress_seconds: float = 5.0,
    retention: Retention | None = None,
    retention_hours: float = 6.0,
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=timezone.utc,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    now = datetime.now(timezone.utc)
    scheduler.add_job(
        _guarded("runs", runs.tick), "interval", seconds=tick_seconds, id="runs", next_run_time=now
    )
    if progress is not None:  # "still running · 1 min 20 s" on slow runs' announcements
        scheduler.add_job(
            _guarded("progress", progress.tick),
            "interval",
            seconds=progress_seconds,
            id="progress",
        )
    if credits.enabled:
        scheduler.add_job(
            _guarded("credits", credits.check),
            "interval",
            minutes=credit_minutes,
            id="credits",
            next_run_time=now + timedelta(seconds=5),
        )
        scheduler.add_job(
            _guarded("credits-soon", credits.check_if_requested),
            "interval",
            seconds=soon_check_seconds,
            id="credits-soon",
        )
    if retention is not None:  # old runs and caches: the first pass a minute after start
        scheduler.add_job(
            _guarded("retention", retention.prune),
            "interval",
            hours=retention_hours,
            id="retention",
            next_run_time=now + timedelta(minutes=1),
        )
    for provider in runs.providers:
        scheduler.add_job(
            _guarded(f"{provider.name}-check", lambda p=provider: _say_hello(p)),
            "date",
            run_date=now,
            id=f"{provider.name}-check",
        )
    scheduler.start()
    if batches is not None:
        batches.start()  # its own loop: rows are fed many times a second
    return scheduler


def _say_hello(provider: Provider) -> None:
    """At start-up, tell the log whether the provider's key works (an admin reads this)."""
    try:
        log.info(provider.check())
    except ProviderError as error:
        log.error("%s check failed: %s", provider.label, error)
