"""What `GET /readyz` answers: can this process do its work right now. `200 ready`, or `503`
with one line per failing check, each saying what is wrong and what to do, so an operator
can alert on it. `/healthz` stays the liveness check (restart me); readiness also fails for
trouble a restart does not cure (a refused key, Slack unreachable).

A check is a callable answering None (fine) or one line. Parts register theirs at start-up
(`Readiness.add`): bootstrap.py the providers' keys and the results owed to Slack, server.py
the database, the scheduler and the Socket Mode connection; another backend adds its own.
A check that raises fails with its name, never a traceback. No answer holds a secret or a
file's path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.logs import SECRETS
from bot.providers.base import Providers
from bot.slack.blocks.results import duration
from bot.store.database import Store
from bot.store.owed import owed_to_slack

log = logging.getLogger(__name__)

Check = Callable[[], "str | None"]

# A result is posted within seconds; owed this long means Slack is not taking posts.
OWED_GRACE_SECONDS = 120.0


class Readiness:
    def __init__(self) -> None:
        self._checks: list[tuple[str, Check, str | None]] = []
        self._lock = threading.Lock()
        self._last: list[str] = []

    def add(self, name: str, check: Check, *, needs: str | None = None) -> None:
        """`needs`: another check this one relies on (the results owed to Slack are read
        from the database): while that one fails, this one is not asked, so an outage
        is one line, said at once, not a probe that waits on it."""
        with self._lock:
            self._checks.append((name, check, needs))

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self._checks]

    def problems(self) -> list[str]:
        with self._lock:
            checks = list(self._checks)
        lines, failed = [], set()
        # Those that rely on another go after all the rest.
        for name, check, needs in sorted(checks, key=lambda c: c[2] is not None):
            if needs in failed:
                continue
            try:
                problem = check()
            except Exception as exc:  # noqa: BLE001 - a failing check is a failed check
                log.exception("readiness check %s failed", name)
                problem = f"{name} check failed ({type(exc).__name__})"
            if problem:
                failed.add(name)
                lines.append(" ".join(SECRETS.redact(problem).split()))
        self._log_changes(lines)
        return lines

    def __call__(self) -> tuple[bool, str]:
        lines = self.problems()
        return not lines, "\n".join(lines) or "ready"

    def _log_changes(self, lines: list[str]) -> None:
        """Each problem once when it starts and once when it ends, not at every probe."""
        with self._lock:
            before, self._last = self._last, lines
        started = [line for line in lines if line not in before]
        if started:
            log.warning("not ready: %s", "; ".join(started))
        elif before and not lines:
            log.info("ready again")


def provider_key_checks(readiness: Readiness, providers: Providers) -> None:
    for provider in providers:
        readiness.add(f"{provider.name}-key", provider.key_problem)


def owed_check(
    store: Store, *, grace: float = OWED_GRACE_SECONDS, clock: Callable[[], float] = time.time
) -> Check:
    """Results (and batch summaries) ready for longer than `grace` that Slack has not
    accepted: how many, and for how long the oldest has waited."""

    def check() -> str | None:
        now = clock()
        owed = owed_to_slack(store, ready_before=now - grace)
        if not owed.count:
            return None
        waited = duration(now - (owed.oldest or now), rough=True)
        what = "result is" if owed.count == 1 else "results are"
        return (
            f"{owed.count} {what} owed to Slack, the oldest for {waited}: Slack is refusing "
            "or not answering posts (the log says why); they are posted when it answers"
        )

    return check

