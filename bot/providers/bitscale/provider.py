"""BitScale as a run provider: a run is a grid run; the target is the grid id.

Submission mode (BITSCALE_RUN_MODE): a sync run costs one request and is delivered the
moment BitScale answers, but BitScale gives no request id until it ends (up to 120 s), so a
process stopped meanwhile cannot find the result again. An async run gives the id at once,
for one status poll or more. `auto` (the default) sends sync only when the core says the
grid's recent runs all finished well inside the shutdown drain (`may_block`), so a deploy
can wait for it, or when the core says a flood would hold polls back behind submissions
(bot/runs/held.py); async otherwise. A run stored with a mode (a batch row) keeps it. A
sync run that outlasts the window comes back as a request id and is polled like an async
one.

With `hold`, the submitting thread waits only for the rate budget and the answer comes in
a future (bot/providers/held_requests.py): a flood of sync runs holds no thread apiece.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

from bot.providers.base import Outcome, ProviderError, ResultItem, ResultView
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.errors import BitScaleError, NotSent, explain
from bot.providers.bitscale.key_check import KEYS_PAGE, operator_line
from bot.providers.bitscale.models import RunResult
from bot.providers.bitscale.transport import Priority
from bot.providers.held_requests import then
from bot.providers.http_limits import RESPONSE_TOO_LARGE
from bot.store.run_record import Run

log = logging.getLogger(__name__)

INTERRUPTED_NOTE = (
    "The bot lost track of this run while starting it, so it cannot tell whether BitScale "
    "started it. It was not re-sent automatically, because a second run would add another "
    "row and spend credits again. Check the grid in BitScale, or press Run again."
)


class BitScaleProvider:
    name = "bitscale"
    label = "BitScale"
    max_resubmits = 0
    interrupted_note = INTERRUPTED_NOTE
    # Batches: rows take whatever budget people and the rest leave.
    batch_priority = int(Priority.BATCH)
    credits_exhausted_code = "CREDITS_EXHAUSTED"
    # Codes that would fail every row the same way: a batch pauses instead.
    batch_stop_codes = frozenset(
        {
            "INVALID_API_KEY",
            "FEATURE_DISABLED",
            "CREDITS_EXHAUSTED",
            "MISSING_SOURCE",
            "GRID_NOT_FOUND",
        }
    )

    def __init__(
        self,
        client: BitScaleClient,
        *,
        mode: str = "auto",
        poll_interval: float = 2.0,
        poll_share: float = 0.6,
    ) -> None:
        self.client = client
        self.key_source = "BITSCALE_API_KEY"  # or the key a rotation stored (bootstrap)
        self.mode = mode  # auto | sync | async
        self.poll_interval = poll_interval
        # Polls may use this share of the workspace's rate budget; the rest stays free
        # for new runs and for people opening modals.
        self.poll_rate = max(0.5, client.limiter.rate * poll_share)

    # --- the run lifecycle ----------------------------------------------------------------

    def submit(
        self,
        run: Run,
        priority: int | None = None,
        *,
        before_send: Callable[[], None] | None = None,
        may_block: bool = False,
        stop: threading.Event | None = None,
        hold: bool = False,
    ) -> Outcome | Future[Outcome]:
        mode = self.mode_for(run, may_block)
        target = run.target or run.grid_id
        how = dict(
            mode=mode,
            output_columns=run.output_columns,
            priority=Priority.SUBMIT if priority is None else Priority(priority),
            before_send=before_send,
            abort=stop,
        )
        try:
            if hold and self.client.can_hold:  # this thread waits only for the budget
                answer = self.client.hold_run(target, run.inputs, **how)
                return then(answer, lambda result: self._outcome(result, mode), self._held_failed)
            # A rejected request (429, no connection) comes straight back here and the run
            # returns to the queue; one held back (stopping) was never sent at all.
            result = self.client.run_grid(target, run.inputs, retry_rejected=False, **how)
        except BitScaleError as error:
            return self._submit_failed(error)
        return self._outcome(result, mode)

    def _held_failed(self, error: BaseException) -> Outcome:
        if isinstance(error, BitScaleError):
            return self._submit_failed(error)
        raise error  # not BitScale's answer: the core reports it as the bot's own error

    def mode_for(self, run: Run, may_block: bool) -> str:
        """sync or async: a stored mode (a batch row's), the configured one, or for auto
        sync only when a deploy could wait for the run."""
        if run.mode in ("sync", "async"):
            return run.mode
        if self.mode != "auto":
            return self.mode
        return "sync" if may_block else "async"

    def poll(self, run: Run, *, likely_done: bool = False) -> Outcome:
        # A poll that probably finds the result goes before the flood's submissions; one
        # that probably finds it still running waits behind them.
        priority = Priority.DUE_POLL if likely_done else Priority.POLL
        try:
            result = self.client.run_status(run.request_id or "", priority=priority)
        except BitScaleError as error:
            if error.code == "RUN_FAILED":
                return Outcome.failed(error.code, error.message)
            if error.code == "REQUEST_NOT_FOUND":
                return Outcome.failed(error.code, "BitScale no longer knows this run's request id.")
            if error.code == RESPONSE_TOO_LARGE:  # asking again brings the same answer
                return Outcome.failed(error.code, explain(error))
            return Outcome.retry(error.code, explain(error))
        if result.finished:
            return self._outcome(result)
        return Outcome.running(run.request_id or "")

    def submit_delay(self) -> float:
        return 0.0  # 5 requests a second: the client's limiter paces, nothing waits long

    def join_key(self, run: Run) -> str | None:
        return None  # BitScale allows a repeat: the core's same-question rule decides

    def render(self, run: Run) -> ResultView:
        return render_outputs(run.outputs)

    def check(self) -> str:
        try:
            ws = self.client.workspace(priority=Priority.BACKGROUND)
        except BitScaleError as error:
            # For the operator's log, not for a rep: which variable, where to get a key.
            raise ProviderError(
                operator_line(
                    error,
                    api_url=self.client.base_url,
                    key_source=self.key_source,
                    secret=self.client._api_key,  # blanked should BitScale echo it
                )
            ) from None
        return (
            f"connected to BitScale workspace {ws.name!r} ({ws.plan.name} plan, "
            f"{ws.credits.remaining} credits left)"
        )

    def key_problem(self) -> str | None:
        if self.key_source == "BITSCALE_API_KEY":
            fix = f"copy a current key from {KEYS_PAGE} into BITSCALE_API_KEY and restart"
        else:
            fix = (
                f"set BITSCALE_API_KEY to a current key from {KEYS_PAGE}, delete the stored "
                "one (README: Rotating the BitScale API key) and restart"
            )
        return self.client.key_status.problem(self.label, self.key_source, fix)

    def close(self) -> None:
        self.client.close()

    # --- batches --------------------------------------------------------------------------

    @property
    def request_rate(self) -> float:
        return self.client.limiter.rate

    def credits_left(self, *, urgent: bool = False) -> int | None:
        priority = Priority.INTERACTIVE if urgent else Priority.BACKGROUND
        try:
            return self.client.workspace(priority=priority).credits.remaining
        except BitScaleError as error:
            log.info("credits not read: %s", error.code)
            return None

    # --- helpers --------------------------------------------------------------------------

    def _submit_failed(self, error: BitScaleError) -> Outcome:
        if error.code == "RATE_LIMIT_EXCEEDED" or isinstance(error, NotSent):
            # Rejected before anything happened: safe to send again later.
            wait = error.retry_after if error.retry_after is not None else 2.0
            return Outcome.later(wait, error.code, explain(error))
        if error.code == "RUN_FAILED":
            return Outcome.failed(error.code, error.message)
        if error.code == RESPONSE_TOO_LARGE:  # it ran; its answer cannot be read
            return Outcome.failed(error.code, explain(error))
        if error.status is not None and 400 <= error.status < 500:
            return Outcome.failed(error.code, explain(error))
        # Timeout, reset or 5xx after the request left: BitScale may have started it.
        return Outcome.unknown(error.code, f"{explain(error)} {INTERRUPTED_NOTE}")

    def _outcome(self, result: RunResult, mode: str | None = None) -> Outcome:
        if result.status == "completed":
            outputs = {k: v.model_dump() for k, v in (result.outputs or {}).items()}
            return Outcome("completed", outputs=outputs, mode=mode)
        if result.status == "failed":
            return Outcome("failed", code="RUN_FAILED", message=result.failure_message)
        if result.request_id:
            return Outcome("running", handle=result.request_id, mode=mode)
        return Outcome.unknown(
            "BAD_RESPONSE",
            "BitScale said the run is running but gave no request id. " + INTERRUPTED_NOTE,
        )


def render_outputs(outputs: dict | None) -> ResultView:
    """A grid run's outputs, one item per output column, in the grid's order."""
    items = [
        ResultItem(label=out.get("name"), key=key, value=out.get("value"))
        for key, out in (outputs or {}).items()
    ]
    return ResultView(items=items)
