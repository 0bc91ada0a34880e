"""APScheduler ticks that drive the core. One scheduler per process, used only as a ticker.

Ticks are short: they claim what is due in the database and hand it to worker pools, so
the database, not the scheduler, holds what is due. Every periodic piece of work is a
`Job`. Most run on every process and claim their rows; a `singleton` job (credit checks,
retention, progress edits) does something once per period for the whole deployment, so
it runs only on the process holding the leader lease (store/leases.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler

from bot.batches.service import BatchService
from bot.insight.credits import CreditMonitor
from bot.providers.base import Provider, ProviderError
from bot.providers.bitscale.errors import BitScaleError
from bot.runs.progress import ProgressReporter
from bot.runs.service import RunService
from bot.store.leases import LeaderLease
from bot.store.retention import Retention

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic piece of work. `first_after`: seconds from start to its first run (None:
    one interval). `singleton`: once per period across all processes (the leader's)."""

    name: str
    run: Callable[[], None]
    every_seconds: float
    first_after: float | None = 0.0
    singleton: bool = False


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


def on_leader_only(run: Callable[[], None], leader: LeaderLease | None) -> Callable[[], None]:
    """`run`, skipped while another process holds the leader lease."""
    if leader is None:
        return run

    def only_if_leader() -> None:
        if leader.held():
            run()

    return only_if_leader


def core_jobs(
    runs: RunService,
    credits: CreditMonitor,
    *,
    tick_seconds: float = 1.0,
    credit_minutes: float = 10.0,
    soon_check_seconds: float = 5.0,
    progress: ProgressReporter | None = None,
    progress_seconds: float = 5.0,
    retention: Retention | None = None,
    retention_hours: float = 6.0,
) -> list[Job]:
    """The jobs every bot runs: run ticks, slow-run progress, credit checks, retention."""
    jobs = [Job("runs", runs.tick, tick_seconds)]
    if progress is not None:  # "still running · 1 min 20 s" on slow runs' announcements
        jobs.append(Job("progress", progress.tick, progress_seconds, None, singleton=True))
    if credits.reads:  # alerts to send, or the credit history to keep
        jobs.append(Job("credits", credits.check, credit_minutes * 60, 5.0, singleton=True))
        jobs.append(
            Job(
                "credits-soon",
                credits.check_if_requested,
                soon_check_seconds,
                None,
                singleton=True,
            )
        )
    if retention is not None:  # old runs and caches: the first pass a minute after start
        jobs.append(Job("retention", retention.prune, retention_hours * 3600, 60.0, True))
    return jobs


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
    jobs: Sequence[Job] = (),
    leader: LeaderLease | None = None,
) -> BackgroundScheduler:
    """Start the ticks. Without a `leader`, singleton jobs run here (one process)."""
    scheduler = BackgroundScheduler(
        timezone=timezone.utc,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    now = datetime.now(timezone.utc)
    every = core_jobs(
        runs,
        credits,
        tick_seconds=tick_seconds,
        credit_minutes=credit_minutes,
        soon_check_seconds=soon_check_seconds,
        progress=progress,
        progress_seconds=progress_seconds,
        retention=retention,
        retention_hours=retention_hours,
    )
    every.extend(jobs)
    if leader is not None:
        leader.renew()  # at once, so a lone process runs its first singleton jobs on time
        every.insert(0, Job("leader", leader.renew, leader.ttl / 3, None))
    for job in every:
        run = on_leader_only(job.run, leader) if job.singleton else job.run
        first = None if job.first_after is None else now + timedelta(seconds=job.first_after)
        scheduler.add_job(
            _guarded(job.name, run),
            "interval",
            seconds=job.every_seconds,
            id=job.name,
            **({"next_run_time": first} if first is not None else {}),
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
