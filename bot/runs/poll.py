"""Following a sent run: polling its provider and acting on each answer (part of RunService)."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.providers.base import Outcome, Provider
from bot.runs.parts import ServiceParts
from bot.runs.timings import next_poll_after
from bot.runs.types import (
    ACTIVE_STATES,
    GIVEN_UP_STATES,
    LATE_RESET,
    LONG_WAIT,
    RESUBMITTED_TOO_OFTEN,
    sql_list,
)
from bot.store.run_record import Run

log = logging.getLogger(__name__)


class RunPolling(ServiceParts):
    def _poll(self, run_id: str) -> None:
        run = self.store.get_run(run_id)
        if run is None or run.state != "running" or not run.request_id or run.joined_to:
            return
        provider = self.providers.find(run.provider)
        if provider is None:
            self._finish_orphan(run)
            return
        now = self.clock()
        polled = {"polls": run.polls + 1, "first_poll_at": run.first_poll_at or now}
        # How long the target's runs usually take: a batch's own row time first.
        usual = self._first_poll(run) or self.timings.first_poll_after(run)
        likely_done = self.timings.likely_done(run, now, usual)
        with self._busy_lock:
            flooded = bool(self._in_hand)
        if usual is not None and not likely_done and flooded:
            # Submissions wait for the budget, and this poll (early for a timed target)
            # would wait behind them: it waits in the database instead, not in one of the
            # few poller threads that the polls of finished runs need.
            self.store.update_run(
                run.id, next_poll_at=now + self._poll_spacing(provider, run, now), lease_until=None
            )
            return
        try:
            outcome = provider.poll(run, likely_done=likely_done)
        except Exception:  # noqa: BLE001 - a surprise is a failed poll: back off, retry
            log.exception("polling run %s failed unexpectedly", run.id)
            outcome = Outcome.retry("BOT_ERROR", "The bot could not read the run's status.")
        self.store.update_run(
            run.id, **polled, **({"running_seen_at": now} if outcome.state == "running" else {})
        )
        self._apply(replace(run, **polled), provider, outcome)

    def _apply(self, run: Run, provider: Provider, outcome: Outcome) -> None:
        """Act on what the provider said after a submission or a poll."""
        if outcome.mode:
            self.store.update_run(run.id, mode=outcome.mode)
        state = outcome.state
        now = self.clock()
        if state == "completed":
            # polls normally come at most 2.5x the shortest gap apart; far more: starved
            self.timings.learn(run, now, max_gap=provider.poll_interval * 7.5)
        if state in ("completed", "failed", "interrupted"):
            self._finish(
                run.id, state, outputs=outcome.outputs, code=outcome.code, message=outcome.message
            )
        elif state == "running":
            # The provider has it: running, even if the bot had given up on it meanwhile.
            fresh = run.state == "submitting"
            self.store.sql.write(
                "UPDATE runs SET state = 'running', request_id = :handle, next_poll_at = :next, "
                "request_id_at = COALESCE(request_id_at, :now), "
                f"poll_errors = 0, lease_until = NULL, {LATE_RESET} "
                "WHERE id = :id AND state IN "
                f"('submitting', 'running', {sql_list(GIVEN_UP_STATES)})",
                {
                    "handle": outcome.handle or run.request_id,
                    "next": self._first_poll_at(run, provider, now)
                    if fresh
                    else now + self._poll_spacing(provider, run, now),
                    "now": now,
                    "id": run.id,
                },
            )
        elif state == "queued" and run.state in ("submitting", "queued"):
            # Refused before anything happened (or held back unsent): safe to send later.
            # Only this process's own claim goes back: another's is a request on its way.
            wait = max(outcome.wait or 0.0, 1.0)
            back = self.store.sql.write(
                "UPDATE runs SET state = 'queued', submitted_at = NULL, submit_after = :at, "
                "error_message = COALESCE(:message, error_message) WHERE id = :id "
                "AND (state = 'queued' OR (state = 'submitting' AND owner = :me)) RETURNING id",
                {
                    "at": now + wait,
                    "message": outcome.message,
                    "id": run.id,
                    "me": self.instance_id,
                },
            )
            if back and wait >= LONG_WAIT:
                self.store.update_run(run.id, counted_from=self.clock() + wait)
                self._tell_waiting(run.id)
        elif state == "resubmit":
            self._resubmit(run, provider, outcome)
        else:  # a poll that failed for a reason that may pass
            errors = run.poll_errors + 1
            delay = outcome.wait or min(
                60.0, self._poll_spacing(provider, run, now) * 2 ** min(errors - 1, 5)
            )
            log.warning(
                "poll of run %s failed (%s); next try in %.0fs", run.id, outcome.code, delay
            )
            self.store.update_run(
                run.id,
                state="running",
                poll_errors=errors,
                lease_until=None,
                next_poll_at=self.clock() + delay,
                error_code=outcome.code,
                error_message=outcome.message,
            )

    def _tell_waiting(self, run_id: str) -> None:
        """A run held back for a while: the requester sees until when (best effort)."""
        tell = getattr(self.notifier, "waiting", None)
        run = self.store.get_run(run_id)
        if tell is None or run is None or run.quiet:
            return
        try:
            tell(run)
        except Exception:  # noqa: BLE001 - a courtesy update must never stall a run
            log.warning("could not tell run %s's requester it waits", run_id)

    def _resubmit(self, run: Run, provider: Provider, outcome: Outcome) -> None:
        """The service dropped the task and says to send it again: once, then give up."""
        if run.resubmits >= provider.max_resubmits:
            message = (outcome.message or "") + RESUBMITTED_TOO_OFTEN
            self._finish(run.id, "failed", code=outcome.code, message=message.strip())
            return
        log.warning(
            "run %s: %s dropped the task (%s); sending it again",
            run.id,
            provider.label,
            outcome.code,
        )
        self.store.sql.write(
            "UPDATE runs SET state = 'queued', resubmits = :resubmits, submitted_at = NULL, "
            "submit_after = :at, lease_until = NULL, error_code = :code, error_message = :message "
            f"WHERE id = :id AND state IN {ACTIVE_STATES}",
            {
                "resubmits": run.resubmits + 1,
                "at": self.clock(),
                "code": outcome.code,
                "message": outcome.message,
                "id": run.id,
            },
        )  # the next tick sends it: this worker still holds the run

    def _first_poll(self, run: Run) -> float:
        if self.first_poll is None:
            return 0.0
        try:
            return self.first_poll(run)
        except Exception:  # noqa: BLE001 - a hint must never lose a run
            log.exception("first_poll hint failed")
            return 0.0

    def _first_poll_at(self, run: Run, provider: Provider, now: float) -> float:
        """When to poll a run that just came back running: when its target's runs are
        usually done (a batch's own hint first), or after the shortest gap when never
        timed. Not stretched by load: polls are claimed in this order, so a busy budget
        only delays them."""
        hint = self._first_poll(run) or self.timings.first_poll_after(run)
        sent = run.submitted_at or now
        return max(now, sent + (provider.poll_interval if hint is None else hint))

    def _poll_spacing(self, provider: Provider, run: Run, now: float) -> float:
        """Seconds to the next poll of a run still running: by its age, from the provider's
        shortest gap to 2.5 times that, stretched so the polls of every run being polled
        again fit its budget. Runs not polled yet wait for their first poll (timed from
        the learned duration) and take no share."""
        running = self.store.count_runs(
            "state = 'running' AND provider = :provider AND joined_to IS NULL AND polls > 0",
            {"provider": provider.name},
        )
        age = now - (run.submitted_at or run.created_at)
        return max(next_poll_after(age, provider.poll_interval), running / provider.poll_rate)

    def _claim_polls(
        self, provider: Provider, now: float, *, whole_budget: bool = False
    ) -> list[Run]:
        # Claim only what the budget can poll in the next second, so nothing queues
        # behind the limiter for long: the polls' share of it, or all of it when no
        # submission waits (after a flood's last one, say) and the provider says its rate.
        rate = getattr(provider, "request_rate", None) if whole_budget else None
        limit = max(1, int(rate or provider.poll_rate))
        return self.store.claim(
            "state = 'running' AND provider = :provider AND request_id IS NOT NULL "
            "AND joined_to IS NULL AND next_poll_at <= :now",
            {"provider": provider.name, "now": now},
            now=now,
            # Over a status request's 20 s deadline, and short enough that a process
            # that died holding polls leaves them to the others within 30 s.
            lease=25,
            limit=limit,
            order_by="next_poll_at",
        )
