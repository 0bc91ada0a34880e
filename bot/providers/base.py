"""What the run core needs from a provider, and what a provider answers.

The core (bot/runs/) stores, schedules, recovers and notifies; it never knows which service
runs the work. A provider turns one stored run into requests to its service and answers
with an `Outcome`; it paces its own requests (its own rate budgets), explains its own
errors in plain sentences, and renders a finished run into a `ResultView`, a neutral
structure that the Slack layer (or the shell) turns into messages.

Adding a provider: write a class with the `Provider` methods, and add an instance to the
`Providers` registry in bootstrap. No file of the core changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot.providers.output_cap import cap_outputs
from bot.store.run_record import Run

OutcomeState = Literal[
    "completed",  # done; `outputs` hold the result
    "failed",  # finished without a result; `message` says why and what to do next
    "running",  # accepted; poll again with `handle`
    "queued",  # nothing was sent (a budget is spent, or the service refused at the door):
    # submit again after `wait` seconds
    "retry",  # a poll failed for a reason that may pass; poll again later
    "resubmit",  # the service dropped the task and says to submit it again
    "interrupted",  # the request may or may not have started the work: never re-sent
]


@dataclass(frozen=True)
class Outcome:
    state: OutcomeState
    outputs: dict[str, Any] | None = None  # JSON-able, in the provider's own shape
    handle: str | None = None  # the provider's id to poll with (stored as request_id)
    code: str | None = None
    message: str | None = None  # a plain sentence with a next step
    wait: float | None = None  # queued / retry: seconds before trying again
    mode: str | None = None  # how the provider ran it (BitScale: sync or async), for the record

    def __post_init__(self) -> None:
        if self.outputs is not None:  # stored, posted and attached: kept to a size
            object.__setattr__(self, "outputs", cap_outputs(self.outputs))  # frozen

    @classmethod
    def done(cls, outputs: dict[str, Any]) -> Outcome:
        return cls("completed", outputs=outputs)

    @classmethod
    def failed(cls, code: str, message: str) -> Outcome:
        return cls("failed", code=code, message=message)

    @classmethod
    def running(cls, handle: str) -> Outcome:
        return cls("running", handle=handle)

    @classmethod
    def later(cls, wait: float, code: str, message: str) -> Outcome:
        return cls("queued", wait=wait, code=code, message=message)

    @classmethod
    def retry(cls, code: str, message: str, wait: float | None = None) -> Outcome:
        return cls("retry", code=code, message=message, wait=wait)

    @classmethod
    def resubmit(cls, code: str, message: str) -> Outcome:
        return cls("resubmit", code=code, message=message)

    @classmethod
    def unknown(cls, code: str, message: str) -> Outcome:
        return cls("interrupted", code=code, message=message)


@dataclass
class ResultItem:
    """One labelled piece of a result. Both parts are plain text or JSON values from the
    provider, written by strangers: the renderer makes them readable and escapes them."""

    label: str | None
    value: Any
    key: str | None = None  # the machine name; shown made readable when there is no label


@dataclass
class ResultView:
    """A finished run's result, independent of Slack."""

    items: list[ResultItem] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # the overall picture, shown first
    notes: list[str] = field(default_factory=list)  # small print under the items
    # The full result as a file. When None, the renderer attaches one only if it had to
    # cut values, built from the items.
    attachment: str | None = None
    attachment_title: str = "full result"
    empty: str = "The run finished but returned no outputs."


class Provider(Protocol):
    """One service that runs work for people. Instances are shared by every thread."""

    name: str  # stored in runs.provider; never changes once runs exist
    label: str  # the service's name as people see it
    poll_interval: float  # the shortest gap between two polls of one run (2.5x the longest)
    poll_rate: float  # polls a second this provider's budget allows, all runs together
    max_resubmits: int  # how often a task the service dropped is submitted again
    interrupted_note: str  # why a run cut off mid-submission is not re-sent, and what to do

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
        """Send the run. Never retry blindly inside: say "queued" only when nothing can
        have happened, "interrupted" when the work may have started. `priority` is the
        provider's own urgency for its rate budget (None: an ordinary submission).
        `before_send()` is called once the budget lets the request go, right before it
        leaves; an exception from it cancels the send and propagates.
        `may_block`: the target's recent runs all finished well inside the shutdown
        drain, so a request held open until the work is done (a sync mode) cannot be cut
        off by a deploy; False when unknown or when a run could take longer.
        `stop`: set when the process is stopping: stop waiting for a budget, send
        nothing, answer "queued".
        `hold`: the caller can take the answer later. A provider able to may then return,
        once the request has left, a Future of the Outcome instead of waiting for it (a
        request held open until the work is done then costs no thread); one that cannot
        ignores it."""
        ...

    def poll(self, run: Run, *, likely_done: bool = False) -> Outcome:
        """Ask about a run whose `request_id` holds the handle `submit` returned.
        `likely_done`: the run is at least as old as its target's runs usually take, so
        the answer is probably its result and someone is waiting for it: the poll may go
        ahead of new submissions in the provider's budget."""
        ...

    def submit_delay(self) -> float:
        """Seconds until a submission fits the budget (0 when it may go now), so the
        requester can be told at once when a queued run will go in."""
        ...

    def join_key(self, run: Run) -> str | None:
        """Runs with the same key share one task while it is pending (None: never)."""
        ...

    def render(self, run: Run) -> ResultView:
        """The result of a completed run, in the neutral shape."""
        ...

    def check(self) -> str:
        """A one-line health report for the log at start-up; raises ProviderError."""
        ...

    def key_problem(self) -> str | None:
        """While the service refuses the key (its last answer said so): one line for the
        readiness check saying which variable and what to do; None otherwise."""
        ...

    def close(self) -> None: ...


class BatchProvider(Provider, Protocol):
    """A provider that can also run batches (many rows of one target). What the batch core
    needs beyond a run: how to pace rows, when a failure stops every row, credits left."""

    batch_priority: int  # the urgency batch rows submit at: after everything else
    batch_stop_codes: frozenset[str]  # error codes that would fail every row the same way
    credits_exhausted_code: str  # the stop code for "out of credits"

    @property
    def request_rate(self) -> float:
        """Requests a second the provider's budget allows (sizes the rows kept in hand)."""
        ...

    def credits_left(self, *, urgent: bool = False) -> int | None:
        """Credits the workspace has left; None when they cannot be read now. `urgent`: a
        person is waiting, so the read goes ahead of other requests."""
        ...


class ProviderError(Exception):
    """A provider could not do something; the message is a plain sentence for people."""


class UnknownProvider(KeyError):
    pass


class Providers:
    """The registry bootstrap fills: provider name → provider."""

    def __init__(self, *providers: Provider) -> None:
        self._by_name: dict[str, Provider] = {}
        for provider in providers:
            self.add(provider)

    def add(self, provider: Provider) -> None:
        self._by_name[provider.name] = provider

    def get(self, name: str | None) -> Provider:
        try:
            return self._by_name[name or ""]
        except KeyError:
            raise UnknownProvider(name) from None

    def find(self, name: str | None) -> Provider | None:
        return self._by_name.get(name or "")

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Provider]:
        return iter(list(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)

    def view(self, run: Run) -> ResultView:
        """The neutral view of a run's result (empty when it has none, or its provider is
        no longer set up)."""
        provider = self.find(run.provider)
        if provider is None or run.state not in ("completed", "reused"):
            return ResultView()
        return provider.render(run)

    def label(self, name: str | None) -> str:
        provider = self.find(name)
        return provider.label if provider else (name or "the provider")

    def close(self) -> None:
        for provider in self:
            provider.close()
