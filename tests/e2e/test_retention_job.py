"""The running bot prunes old runs on its scheduler, with RUN_RETENTION_DAYS."""

from __future__ import annotations

from bot.store.retention import DAY
from tests.factories import make_run


def test_the_bot_prunes_on_its_scheduler(stack):
    job = stack.scheduler.get_job("retention")
    assert job is not None and job.trigger.interval.total_seconds() == 6 * 3600
    retention = stack.bot.retention
    assert retention.days == 90  # RUN_RETENTION_DAYS's default
    old = retention.clock() - 400 * DAY
    stack.bot.store.insert_run(make_run(id="ancient", created_at=old, finished_at=old))
    stack.bot.store.insert_run(make_run(id="stuck", state="running", created_at=old))
    assert retention.prune().runs == 1
    assert {r.id for r in stack.bot.store.all_runs()} >= {"stuck"}
    assert stack.bot.store.get_run("ancient") is None
