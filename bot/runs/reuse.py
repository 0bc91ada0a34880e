"""Reuse recent results: the same question asked twice within the window costs nothing.

Every run row carries an `input_key`: a hash of its provider, its target (the grid) and
its inputs after normalisation (whitespace trimmed; emails, domains and URLs compared
without case, scheme or `www.`). A completed run is the stored result; the index on
(input_key, state, finished_at) makes a match one index probe however long the history is
(see bench/reuse.py). Keeping the index on the runs table
means retention and reuse always agree: a pruned run is simply no longer a result.

What is never reused: failed, expired or interrupted runs (their state is not
`completed`), reused rows themselves (state `reused`), anything older than the window,
grids whose window is 0 ("no stable answer", set per grid by an admin), and grids the
person may not run. AI-style outputs are reused like any other: BitScale's column types do
not say which columns are AI, and an answer that was paid for within the window is what a
second asker would get anyway; a grid whose answers should change on every call gets a
window of 0.

The same rule decides when a question still on its way is shared (`share_key`): a request
identical to a run that is queued or running joins that run instead of asking again, with
the same limits (window, access), the outputs asked for matched exactly, and a run asked in
private shared with nobody but its asker. No Slack in here: the form, batches, quick runs
and the workflow step all ask `find()`, and the run core asks `share_key()`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.database import Store
from bot.store.run_record import Run

DAY = 86400.0
DEFAULT_PROVIDER = "bitscale"
_CANDIDATES = 20  # results kept per key are few; look at the newest ones only
_BATCH_CHUNK = 500  # SQLite's bound-parameter limit is far above this

_EMAIL = re.compile(r"^[^@\s/:]+@[^@\s/]+\.[^@\s/]+$")
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
_PATH_START = re.compile(r"[/?#]")
_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}(?::\d{1,5})?$", re.IGNORECASE
)


def normalise_value(value: Any) -> str:
    """The form of one input value that decides "same question".

    Text is trimmed (case kept: "Acme" and "ACME" may be different companies to a grid).
    An email is lower-cased. A URL or bare domain loses its http/https scheme, a leading
    `www.` and a trailing `/`, and its host is lower-cased; its path keeps its case,
    because paths can be case-sensitive. Non-text values compare as JSON.
    """
    if not isinstance(value, str):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = value.strip()
    if "." not in text:
        return text  # no email, domain or URL without a dot: plain text, fast
    if _EMAIL.match(text):
        return text.lower()
    scheme = _SCHEME.match(text)
    rest = text[scheme.end() :] if scheme else text
    cut = _PATH_START.search(rest)
    host, path = (rest[: cut.start()], rest[cut.start() :]) if cut else (rest, "")
    if not _HOST.match(host):
        return text
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    return host + path.rstrip("/")


def normalise_inputs(inputs: dict[str, Any]) -> dict[str, str]:
    return {str(k).strip(): normalise_value(v) for k, v in inputs.items()}


def input_key(target: str, inputs: dict[str, Any], provider: str = DEFAULT_PROVIDER) -> str:
    """The lookup key of a question: provider, target and normalised inputs."""
    canonical = json.dumps(
        [provider, target, sorted(normalise_inputs(inputs).items())], ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def asked_in_private(channel_id: str | None) -> bool:
    """Only me, a DM, or no channel: nobody else may learn what was asked."""
    channel = channel_id or ""
    return not channel or channel.startswith("D")


def visible_to(row: dict[str, Any], user_id: str | None, channel_id: str | None) -> bool:
    """May the person asking `user_id` from `channel_id` be given this stored run (or
    learn that it exists)? Their own runs, always. Another person's, only when it was
    posted in this very conversation and not in private: a run made in a DM, Only me or
    another channel (perhaps a private one they are not in) stays its requester's."""
    if user_id is not None and row.get("user_id") == user_id:
        return True
    posted_in = row.get("post_channel") or row.get("channel_id")
    if row.get("quiet") or asked_in_private(posted_in):
        return False
    return channel_id is not None and posted_in == channel_id


def covered_outputs(output_columns: Sequence[str] | None, outputs: dict[str, Any] | None) -> set:
    """The outputs a stored result answers: what it asked for plus what came back."""
    return set(output_columns or ()) | set(outputs or {})


def covers(
    output_columns: Sequence[str] | None,
    outputs: dict[str, Any] | None,
    wanted: Sequence[str] | None,
) -> bool:
    """Does a stored result answer a request for `wanted` (None: every output)?

    A result that asked for every output serves any subset that came back with it; a
    request for every output is served only by a result that asked for every output
    (a narrower one cannot know about the columns it did not ask for).
    """
    if wanted is None:
        return output_columns is None
    return set(wanted) <= covered_outputs(output_columns, outputs)


@dataclass
class ReusedResult:
    """A stored result that answers a request: the original run and its outputs, trimmed
    to what was asked for."""

    run: Run
    outputs: dict[str, Any]

    @property
    def run_id(self) -> str:
        return self.run.id

    @property
    def made_at(self) -> float:
        return self.run.finished_at or self.run.created_at

    @property
    def made_by(self) -> str | None:
        """Who asked first; None when they asked in private (Only me, a DM, no channel):
        the answer may be shown in a channel, which must not learn what they looked up."""
        return None if asked_in_private(self.run.channel_id) else self.run.user_id


WindowFor = Callable[[str], float | None]  # grid id → days, or None for the default
MayRun = Callable[[str, str], bool]  # (user id, grid id) → allowed?


class ResultIndex:
    """Finds stored results.

    The window: `default_days` (RESULT_REUSE_DAYS; 0 turns reuse off everywhere), per grid
    from `grid_days` (RESULT_REUSE_GRID_DAYS, by grid id or name), and above both
    `window_for`, the admins' per-grid setting. `may_run` is the access rule."""

    def __init__(
        self,
        store: Store,
        *,
        default_days: float = 30,
        grid_days: dict[str, float] | None = None,
        window_for: WindowFor | None = None,
        may_run: MayRun | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.default_days = default_days
        self.grid_days = {k.strip().lower(): v for k, v in (grid_days or {}).items()}
        self.window_for = window_for
        self.may_run = may_run
        self.clock = clock
        self._backfill()

    def _backfill(self) -> None:
        """Completed runs stored before reuse existed get their key once."""
        rows = self.store.sql.query(
            "SELECT id, provider, COALESCE(NULLIF(target, ''), grid_id) AS target, inputs "
            "FROM runs WHERE input_key IS NULL AND state = 'completed'"
        )
        if not rows:
            return
        with self.store.sql.transaction() as tx:
            for row in rows:
                inputs = json.loads(row["inputs"] or "{}")
                key = input_key(row["target"], inputs, row["provider"] or DEFAULT_PROVIDER)
                tx.run(
                    "UPDATE runs SET input_key = :key WHERE id = :id", {"key": key, "id": row["id"]}
                )

    # --- the window ---------------------------------------------------------------------

    def window_days(self, grid_id: str, grid_name: str | None = None) -> float:
        """Days a result of this grid may be reused; 0 means never."""
        if self.default_days <= 0:
            return 0.0  # RESULT_REUSE_DAYS=0 turns reuse off everywhere
        own = self.window_for(grid_id) if self.window_for else None
        if own is None:
            own = self.grid_days.get(grid_id.lower())
        if own is None and grid_name:
            own = self.grid_days.get(grid_name.strip().lower())
        return self.default_days if own is None else max(0.0, float(own))

    def longest_window_days(self) -> float:
        """The longest window any grid may have today (for retention: a completed run
        younger than this may still be someone's free answer)."""
        if self.default_days <= 0:
            return 0.0
        return max([self.default_days, *self.grid_days.values()])

    def _cutoff(self, grid_id: str, grid_name: str | None) -> float | None:
        days = self.window_days(grid_id, grid_name)
        return None if days <= 0 else self.clock() - days * DAY

    def _allowed(self, user_id: str | None, grid_id: str) -> bool:
        return self.may_run is None or user_id is None or self.may_run(user_id, grid_id)

    # --- look-ups -----------------------------------------------------------------------

    def share_key(self, run: Run) -> str | None:
        """The key under which a run not yet finished answers an identical request (which
        then joins it: one request to the provider, one answer for both), or None when it
        must not be shared: the grid's window is 0 or the person may not run the grid.
        The outputs asked for must match exactly; a run asked in private (Only me, a DM)
        is shared only with the same person's identical private requests."""
        grid = run.target or run.grid_id
        if self._cutoff(grid, run.grid_name) is None or not self._allowed(run.user_id, grid):
            return None
        outputs = None if run.output_columns is None else sorted(run.output_columns)
        # Shared within the conversation it was asked in, as reuse is (visible_to); a
        # private question only with the same person's identical private requests.
        private_to = run.user_id if asked_in_private(run.channel_id) else run.channel_id
        question = run.input_key or input_key(grid, run.inputs, run.provider)
        canonical = json.dumps([question, outputs, private_to], ensure_ascii=False)
        return "same:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]

    def find(
        self,
        grid_id: str,
        inputs: dict[str, Any],
        outputs: Sequence[str] | None = None,
        user_id: str | None = None,
        *,
        channel_id: str | None = None,
        grid_name: str | None = None,
        provider: str = DEFAULT_PROVIDER,
    ) -> ReusedResult | None:
        """The newest stored result answering this question within the window that the
        person asking (`user_id`, from `channel_id`) may see (visible_to), or None.

        `outputs` None asks for every output. The one-call seam for every entry point."""
        cutoff = self._cutoff(grid_id, grid_name)
        if cutoff is None or not self._allowed(user_id, grid_id):
            return None
        key = input_key(grid_id, inputs, provider)
        rows = self.store.sql.query(
            "SELECT * FROM runs WHERE input_key = :key AND state = 'completed' "
            "AND finished_at >= :cutoff ORDER BY finished_at DESC LIMIT :candidates",
            {"key": key, "cutoff": cutoff, "candidates": _CANDIDATES},
        )
        seen = [r for r in rows if visible_to(r, user_id, channel_id)]
        return self._first_covering(seen, outputs)

    def find_many(
        self,
        grid_id: str,
        rows: Iterable[dict[str, Any]],
        outputs: Sequence[str] | None = None,
        user_id: str | None = None,
        *,
        channel_id: str | None = None,
        grid_name: str | None = None,
        provider: str = DEFAULT_PROVIDER,
    ) -> list[ReusedResult | None]:
        """`find` for each of many input rows (a batch preview), in a few queries; the same
        visibility rule, so a batch of names cannot test what others looked up."""
        keys = [input_key(grid_id, r, provider) for r in rows]
        cutoff = self._cutoff(grid_id, grid_name)
        if cutoff is None or not self._allowed(user_id, grid_id):
            return [None] * len(keys)
        by_key: dict[str, list[dict[str, Any]]] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _BATCH_CHUNK):
            chunk = {f"key{n}": key for n, key in enumerate(unique[start : start + _BATCH_CHUNK])}
            found = self.store.sql.query(
                f"SELECT * FROM runs WHERE input_key IN ({', '.join(':' + k for k in chunk)}) "
                "AND state = 'completed' AND finished_at >= :cutoff ORDER BY finished_at DESC",
                {**chunk, "cutoff": cutoff},
            )
            for row in found:
                if visible_to(row, user_id, channel_id):
                    by_key.setdefault(row["input_key"], []).append(row)
        answers = {k: self._first_covering(v, outputs) for k, v in by_key.items()}
        return [answers.get(k) for k in keys]

    @staticmethod
    def _first_covering(
        rows: Iterable[dict[str, Any]], wanted: Sequence[str] | None
    ) -> ReusedResult | None:
        for row in rows:
            run = Run.from_row(row)
            if covers(run.output_columns, run.outputs, wanted):
                stored = run.outputs or {}
                picked = stored if wanted is None else {k: stored[k] for k in wanted if k in stored}
                return ReusedResult(run, picked)
        return None
