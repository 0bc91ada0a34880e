"""Bittlebits as a run provider: a page score or rewrite suggestions for one URL.

A run's target is `<kind>:<url>` (kind is `score` or `rewrite`); its handle is the
`url_id` Bittlebits gives back, stored before any poll so a restart resumes polling.
Two requests for the same page and kind while its task is pending share the task (the
reference forbids a second POST meanwhile). A task Bittlebits revoked (410) or that
timed out (504) is submitted again once, by its `url_id`, as the reference says.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

from bot.providers.base import Outcome, ProviderError, ResultView
from bot.providers.bittlebits.client import BittlebitsClient
from bot.providers.bittlebits.errors import BUDGET_SPENT, BittlebitsError, NotSent, explain
from bot.providers.bittlebits.models import KINDS, Kind, Pending, Score
from bot.providers.bittlebits.render import rewrite_view, score_view
from bot.providers.http_limits import RESPONSE_TOO_LARGE
from bot.store.run_record import Run

NAME = "bittlebits"
TITLES = {"score": "Page score", "rewrite": "Rewrite suggestions"}
INTERRUPTED_NOTE = (
    "The bot lost track of this page while sending it to Bittlebits, so it cannot tell "
    "whether Bittlebits took it. It was not sent again by itself, because Bittlebits refuses "
    "a second request while one is pending. Ask again with the same command in a minute."
)
RATE_LIMITED_WAIT = 300.0  # a refused POST without Retry-After: the hour is someone's


def make_target(kind: Kind, url: str) -> str:
    return f"{kind}:{url}"


def split_target(target: str | None) -> tuple[Kind, str]:
    kind, _, url = (target or "").partition(":")
    if kind not in KINDS:
        raise ValueError(f"not a Bittlebits target: {target!r}")
    return kind, url  # type: ignore[return-value]


def title(kind: Kind, url: str) -> str:
    parts = urlsplit(url)
    shown = (parts.netloc + parts.path).rstrip("/") or url
    return f"{TITLES[kind]} · {shown}"


def same_page(url: str) -> str:
    """The form of a URL that decides "the same page": scheme and host lower-cased, no
    trailing slash, no fragment (the path keeps its case)."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


class BittlebitsProvider:
    name = NAME
    label = "Bittlebits"
    poll_interval = 2.0  # the reference's recommended interval
    max_resubmits = 1  # 410 and 504: "resubmit with POST", once
    interrupted_note = INTERRUPTED_NOTE

    def __init__(
        self,
        client: BittlebitsClient,
        *,
        poll_share: float = 0.6,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        # Polls may use this share of the 5 GETs a second; the rest is for look-ups.
        self.poll_rate = max(0.5, client.get_limiter.rate * poll_share)
        self._wall = wall_clock

    def remember_submissions(self, wall_times: list[float]) -> None:
        """POSTs made in the last hour by an earlier process (from the database), so a
        restart does not start a fresh hourly budget."""
        limiter = self.client.post_limiter
        now_wall, now_own = self._wall(), limiter.now()
        limiter.record([now_own - (now_wall - t) for t in wall_times if now_wall - t < 3600])

    # --- the run lifecycle ----------------------------------------------------------------

    def submit(
        self,
        run: Run,
        priority: int | None = None,
        *,
        before_send: Callable[[], None] | None = None,
        may_block: bool = False,  # Bittlebits is always asynchronous: nothing is held open
        stop: threading.Event | None = None,
        hold: bool = False,  # every answer comes at once: nothing to hold
    ) -> Outcome:
        kind, url = split_target(run.target)
        if stop is not None and stop.is_set():
            return Outcome.later(1.0, "STOPPING", "The bot is restarting; the page goes after.")
        try:
            if run.request_id:  # sent again after a 410/504: by the id Bittlebits gave
                submitted = self.client.submit(
                    kind, url_id=int(run.request_id), before_send=before_send
                )
            else:
                submitted = self.client.submit(kind, url=url, before_send=before_send)
        except BittlebitsError as error:
            return self._submit_failed(error)
        return Outcome.running(str(submitted.url_id))

    def poll(self, run: Run, *, likely_done: bool = False) -> Outcome:
        kind, _ = split_target(run.target)
        try:
            answer = self.client.result(kind, url_id=int(run.request_id or 0))
        except BittlebitsError as error:
            if error.resubmit:
                return Outcome.resubmit(error.code, explain(error))
            if error.code in ("UNAUTHORIZED", "BAD_REQUEST", "NOT_FOUND", RESPONSE_TOO_LARGE):
                return Outcome.failed(error.code, explain(error))
            return Outcome.retry(error.code, explain(error), wait=error.retry_after)
        if isinstance(answer, Pending):
            return Outcome.running(run.request_id or "")
        if isinstance(answer, Score):
            return Outcome.done({"kind": "score", "metrics": answer.metrics})
        # The page's own HTML is not kept: it can be large, and the suggestions quote it.
        suggestions = [s.model_dump() for s in answer.suggestions]
        return Outcome.done({"kind": "rewrite", "suggestions": suggestions})

    def submit_delay(self) -> float:
        return self.client.post_limiter.available_in()

    def join_key(self, run: Run) -> str | None:
        kind, url = split_target(run.target)
        return f"{NAME}:{kind}:{same_page(url)}"

    def render(self, run: Run) -> ResultView:
        outputs = run.outputs or {}
        if outputs.get("kind") == "rewrite":
            return rewrite_view(outputs, run.grid_name)
        return score_view(outputs)

    def check(self) -> str:
        try:
            self.client.result("score", url_id=0)
        except BittlebitsError as error:
            # For the operator's log: which variable, and what to do about it.
            if error.code == "UNAUTHORIZED":
                raise ProviderError(
                    f"Bittlebits refused BITTLEBITS_API_KEY ({error.code}). Copy the key "
                    "from Bittlebits → Settings → API Key and restart, or unset "
                    "BITTLEBITS_API_KEY to turn /bitscale score and rewrite off."
                ) from None
            if error.code in ("CONNECTION_ERROR", "TIMEOUT"):
                raise ProviderError(
                    f"could not reach Bittlebits at BITTLEBITS_API_URL={self.client.base_url} "
                    f"({error.code}). Check the network or BITTLEBITS_API_URL."
                ) from None
        return f"Bittlebits answers at {self.client.base_url} and accepts the key"

    def key_problem(self) -> str | None:
        return self.client.key_status.problem(
            self.label,
            "BITTLEBITS_API_KEY",
            "copy the key from Bittlebits → Settings → API Key and restart (or unset it to "
            "turn /bitscale score and rewrite off)",
        )

    def close(self) -> None:
        self.client.close()

    # --- helpers --------------------------------------------------------------------------

    def _submit_failed(self, error: BittlebitsError) -> Outcome:
        if error.code == BUDGET_SPENT:
            wait = error.retry_after or 60.0
            return Outcome.later(wait, error.code, f"{explain(error)} {goes_in(self._wall, wait)}")
        if error.code == "RATE_LIMITED":
            wait = error.retry_after or RATE_LIMITED_WAIT
            return Outcome.later(wait, error.code, f"{explain(error)} {goes_in(self._wall, wait)}")
        if isinstance(error, NotSent):
            return Outcome.later(5.0, error.code, explain(error))
        if error.code in ("TIMEOUT", "CONNECTION_ERROR", "BAD_RESPONSE"):
            # The POST may have landed: a second one while it is pending is not allowed.
            return Outcome.unknown(error.code, f"{explain(error)} {INTERRUPTED_NOTE}")
        return Outcome.failed(error.code, explain(error))


def goes_in(wall: Callable[[], float], wait: float) -> str:
    at = datetime.fromtimestamp(wall() + wait, tz=timezone.utc)
    minutes = max(1, round(wait / 60))
    return f"It goes in at {at:%H:%M} UTC (in about {minutes} min)."
