"""Submissions whose answers come later (part of RunService): which runs may be held open
until their work is done, and taking their answers when they come.

Why hold in a flood: an async run costs a status poll or more, and in a flood those polls
queue behind the flood's own submissions, so a finished run waited up to a minute to be
seen. A run sent sync is answered the moment it is done, for one request. So beyond what
the grid's timings allow (`RunTimings.may_block`: a deploy's drain can wait for it), a run
is sent sync while `FLOOD_BACKLOG` or more submissions of its provider are due. The cost
is at a deploy mid-flood: the drain waits for held runs, and one still held when it ends
is reported cut off (never re-sent). BITSCALE_RUN_MODE=async trades that speed for a
deploy that cuts nothing off.

A held answer (a Future from the provider) is taken in the `answers` pool, not on the
thread that completes it, and written with until_saved like any answer: the request has
left, so the answer must reach the database.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future

from bot.providers.base import Outcome, Provider
from bot.runs.parts import ServiceParts
from bot.runs.saving import until_saved
from bot.runs.types import UNEXPECTED_MESSAGE
from bot.store.run_record import Run

log = logging.getLogger(__name__)

# Submissions the scheduler sends (a batch's rows are fed by bot/batches/, fairly, behind
# people, and reported by it as one file).
DUE_SUBMISSIONS = (
    "state = 'queued' AND submit_after <= :now AND joined_to IS NULL AND batch_id IS NULL"
)
FLOOD_BACKLOG = 10  # due submissions of one provider that make a flood (two seconds' worth)
FLOOD_SEEN_FOR = 0.5  # seconds one count of the backlog is trusted (one query, not one a run)


class RunHolding(ServiceParts):
    def may_block(self, run: Run) -> bool:
        """May this run's request be held open until its work is done?"""
        return self.timings.may_block(run) or self.flooded(run.provider)

    def flooded(self, provider: str) -> bool:
        """Are FLOOD_BACKLOG or more of the provider's submissions due now?"""
        now = self.clock()
        seen = self._flood_seen.get(provider)
        if seen is not None and now - seen[0] < FLOOD_SEEN_FOR:
            return seen[1]
        due = self.store.count_runs(
            f"{DUE_SUBMISSIONS} AND provider = :provider", {"now": now, "provider": provider}
        )
        flooded = due >= FLOOD_BACKLOG
        self._flood_seen[provider] = (now, flooded)
        return flooded

    def _hold(self, run: Run, provider: Provider, answer: Future[Outcome]) -> None:
        """Take `answer` when it comes; until then it counts as work in progress (a
        shutdown's drain waits for it)."""
        with self._busy_lock:
            self._working += 1

        def answered(done: Future[Outcome]) -> None:
            try:
                self._answers.submit(self._take_answer, run, provider, done)
            except RuntimeError:  # the pool is shut (stopping): never drop an answer
                self._take_answer(run, provider, done)

        answer.add_done_callback(answered)

    def _take_answer(self, run: Run, provider: Provider, done: Future[Outcome]) -> None:
        try:
            try:
                outcome = done.result()
            except BaseException:  # noqa: BLE001 - whatever it was, the rep hears of it
                log.exception("the answer to run %s could not be read", run.id)
                message = f"{UNEXPECTED_MESSAGE} {provider.interrupted_note}"
                outcome = Outcome.unknown("BOT_ERROR", message)
            until_saved(
                lambda: self._apply(self.store.get_run(run.id) or run, provider, outcome),
                what=f"run {run.id}'s answer from {provider.label}",
                patience=self.expiry_seconds,
            )
        except Exception:  # noqa: BLE001 - logged; recovery finds the run submitting
            log.exception("the answer to run %s was not saved", run.id)
        finally:
            with self._busy_lock:
                self._working -= 1
