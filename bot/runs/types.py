"""The words the run core and its callers share: what a run request holds, what a
notifier and a gate must offer, the errors that cross between them, and the states and
messages of the run lifecycle (service.py)."""

from __future__ import annotations

from concurrent.futures import Executor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from bot.store.run_record import LEGACY_PROVIDER, Run

INTERRUPTED_MESSAGE = (
    "The bot lost track of this run while starting it, so it cannot tell whether it "
    "started. It was not re-sent automatically. Press Run again if it did not."
)
EXPIRED_MESSAGE = "The run did not finish within {minutes} minutes, so the bot stopped waiting."
STALE_SUBMIT_MESSAGE = (
    " It was stuck while being sent, so the bot cannot tell whether it started; it was "
    "not re-sent. Check whether it ran before you run it again."
)
UNEXPECTED_MESSAGE = "Something unexpected went wrong in the bot while it sent this run."
# A run still "submitting" after this long is stuck, whatever the expiry setting: the
# longest request a provider holds open (a 120 s sync window plus margins) is long over.
STALE_SUBMIT_FLOOR = 300.0
UNKNOWN_PROVIDER_MESSAGE = (
    "This run was sent to {name}, which this bot is no longer set up to use, so it cannot "
    "follow the run. Ask whoever runs the bot to set {name} up again."
)
RESUBMITTED_TOO_OFTEN = " It was already sent again once, so the bot stopped. Try again later."
# A result Slack will not take yet is retried, the wait doubling up to RETRY_CAP, for at
# least DELIVERY_WINDOW after it was due (a Slack outage of hours loses nothing); while
# results wait, one of them is tried every DELIVERY_PROBE seconds, and once Slack takes
# it the others go at once.
DELIVERY_WINDOW = 24 * 3600.0
DELIVERY_RETRY_CAP = 300.0
DELIVERY_PROBE = 15.0
LONG_WAIT = 30.0  # a requeued run waiting at least this long is shown as waiting
ACTIVE_STATES = ("queued", "submitting", "running")
# Given up on by the bot, not by the provider: a real answer that arrives later still counts.
GIVEN_UP_STATES = ("interrupted", "expired")
# What a late real answer resets, so its result is posted even after the notice went out.
LATE_RESET = (
    "late_after = CASE WHEN state IN {given_up} THEN state ELSE late_after END, "
    "notified_at = CASE WHEN state IN {given_up} THEN NULL ELSE notified_at END, "
    "notify_attempted_at = CASE WHEN state IN {given_up} THEN NULL ELSE notify_attempted_at END, "
    "notify_next_at = CASE WHEN state IN {given_up} THEN NULL ELSE notify_next_at END, "
    "notify_attempts = CASE WHEN state IN {given_up} THEN 0 ELSE notify_attempts END, "
    "notify_error = CASE WHEN state IN {given_up} THEN NULL ELSE notify_error END"
).format(given_up=GIVEN_UP_STATES)


@dataclass(kw_only=True)
class RunRequest:
    inputs: dict[str, Any]
    user_id: str
    channel_id: str | None
    provider: str = LEGACY_PROVIDER
    target: str = ""  # what the provider runs (a grid id, a page URL); defaults to grid_id
    grid_id: str = ""  # the older name of a grid run's target, kept for its callers
    grid_name: str = ""  # the title people see
    output_columns: list[str] | None = None
    team_id: str | None = None
    dedupe_key: str | None = None
    thread_ts: str | None = None  # answer in this thread of channel_id
    source: str = "form"  # the entry point, for the record and for result reuse
    # Answer from a stored result when one matches (reuse.py); False for "Run fresh".
    reuse: bool = False
    step_execution_id: str | None = None  # a workflow step waits for this run's end
    quiet: bool = False  # post nothing: the waiting step takes the result

    def __post_init__(self) -> None:
        if not self.target:
            self.target = self.grid_id


@dataclass
class Announcement:
    channel: str
    ts: str
    permalink: str | None = None
    fallback_reason: str | None = None
    thread_ts: str | None = None  # set when the announcement is a reply in that thread


class DeliveryError(Exception):
    """The notifier could not deliver; `retryable` says whether trying later may help."""

    def __init__(
        self, message: str, *, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class RunRefused(Exception):
    """The gate (policy.py) refused the run: nothing was recorded or sent. The message is
    the sentence for the requester."""


class Gate(Protocol):
    """Asked right before a run is recorded; see bot/governance/policy.py."""

    admission_lock: AbstractContextManager

    def admit(self, request: RunRequest, *, spend: bool) -> str | None: ...

    def started(self, run: Run) -> None: ...


class Notifier(Protocol):
    def announce(self, run: Run) -> Announcement: ...

    def deliver(self, run: Run) -> None: ...

    def already_delivered(self, run: Run) -> bool: ...

    # Optional: `waiting(run)` updates the announcement of a run held back for a while.

    def complete_step(self, run: Run) -> None: ...  # see steps.StepNotifier


class NotOurs(Exception):
    """Raised from a provider's `before_send`: the run must not be sent after all (taken
    by someone else while it waited for a slot, or its sender is stopping)."""


class _Inline(Executor):
    """Runs work in the caller's thread: deterministic tests and the simplest deployments."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        fn(*args, **kwargs)


def sql_list(states: tuple[str, ...]) -> str:
    return ", ".join(f"'{s}'" for s in states)
