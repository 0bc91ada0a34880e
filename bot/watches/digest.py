"""A firing condensed: which rows changed and how, which rows now fail, and the CSV with the
full diff and the whole current table. Pure: rows and results in, a Digest out.

A row compares its new values with its last known ones. A row with no last known values
(the first firing, or a row added by an edit) sets its baseline and is not a change; a row
that fails keeps its old baseline, so the next good answer is compared with the last good one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.watches.diff import Change, changes, shown
from bot.watches.records import Firing
from bot.watches.schedule import local_text

DONE_STATES = ("completed", "reused")
ACCOUNT_WORDS = ("company", "domain", "website", "account", "organization", "org")


@dataclass
class RowOutcome:
    """One watch row at one firing."""

    key: str
    inputs: dict[str, str]
    known: dict[str, Any] | None  # the last known values, None before the first
    state: str  # the run's state ("completed", "failed", … or "missing")
    values: dict[str, Any] | None  # {output id: value} when it ran
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.state in DONE_STATES

    @property
    def label(self) -> str:
        """What a person calls the row: its first input's value."""
        return next((v for v in self.inputs.values() if v), self.key)


@dataclass
class RowChange:
    label: str
    changes: list[Change]

    def line(self) -> str:
        """"Acme · Employee count 120 → 180 · Tech stack +Snowflake −Heroku"."""
        return " · ".join([self.label, *(describe(c) for c in self.changes)])


@dataclass
class Digest:
    total: int
    noun: str  # "accounts" or "rows"
    changed: list[RowChange] = field(default_factory=list)
    failing: list[tuple[str, str]] = field(default_factory=list)  # (label, why)
    new_rows: int = 0  # rows seen for the first time: their baseline
    late_by: float = 0.0  # seconds past the scheduled time the firing started
    missed: int = 0  # earlier slots this firing caught up for

    @property
    def first(self) -> bool:
        return self.new_rows == self.total and not self.changed

    @property
    def quiet(self) -> bool:
        """Nothing to tell: no change, no failure, no new rows."""
        return not (self.changed or self.failing or self.new_rows)

    def headline(self) -> str:
        if self.first:
            return (
                f"First check of {self.total:,} {self.noun}: their values are recorded, "
                "and the next firings report what changes."
            )
        text = f"{len(self.changed):,} of {self.total:,} {self.noun} changed"
        if self.new_rows:
            text += f" ({self.new_rows:,} new, recorded for next time)"
        return text

    def lines(self) -> list[str]:
        return [c.line() for c in self.changed]

    def failure_lines(self) -> list[str]:
        return [f"{label} · {why}" for label, why in self.failing]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["changed"] = [
            {"label": c.label, "changes": [asdict(x) for x in c.changes]} for c in self.changed
        ]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Digest:
        changed = [
            RowChange(
                c["label"],
                [Change(**{**x, "path": tuple(x.get("path") or ())}) for x in c["changes"]],
            )
            for c in data.get("changed") or []
        ]
        failing = [(label, why) for label, why in data.get("failing") or []]
        rest = {k: v for k, v in data.items() if k not in ("changed", "failing")}
        return cls(**rest, changed=changed, failing=failing)


def describe(change: Change) -> str:
    if change.is_set:
        parts = [f"+{shown(v, 40)}" for v in change.added]
        parts += [f"−{shown(v, 40)}" for v in change.removed]
        return f"{change.label()} {' '.join(parts)}"
    return f"{change.label()} {shown(change.old)} → {shown(change.new)}"


def noun_for(input_keys: Iterable[str]) -> str:
    keys = " ".join(input_keys).lower()
    return "accounts" if any(w in keys for w in ACCOUNT_WORDS) else "rows"


def compare(row: RowOutcome, outputs: list[dict[str, str]]) -> list[Change]:
    """One row's changes against its last known values (none before its first firing,
    and none for an output it has no value of yet: a new output sets its baseline)."""
    if not row.ok or row.known is None:
        return []
    found: list[Change] = []
    new = row.values or {}
    for output in outputs:
        key = output["id"]
        if key in row.known:
            found += changes(key, output.get("name") or key, row.known[key], new.get(key))
    return found


Compared = dict[str, list[Change]]  # row key → its changes, worked out once per firing


def compare_all(outcomes: list[RowOutcome], outputs: list[dict[str, str]]) -> Compared:
    return {row.key: compare(row, outputs) for row in outcomes}


def build(
    outcomes: list[RowOutcome],
    outputs: list[dict[str, str]],
    input_keys: list[str],
    *,
    late_by: float = 0.0,
    missed: int = 0,
    compared: Compared | None = None,
) -> Digest:
    compared = compared if compared is not None else compare_all(outcomes, outputs)
    digest = Digest(len(outcomes), noun_for(input_keys), late_by=late_by, missed=missed)
    for row in outcomes:
        if not row.ok:
            digest.failing.append((row.label, row.error or _state_words(row.state)))
        elif row.known is None:
            digest.new_rows += 1
        elif compared[row.key]:
            digest.changed.append(RowChange(row.label, compared[row.key]))
    return digest


def _state_words(state: str) -> str:
    return {
        "expired": "no answer in time",
        "interrupted": "cut off while being sent",
        "cancelled": "not sent",
        "missing": "not run",
    }.get(state, state)


def values_of(outputs: dict[str, Any] | None, output_ids: list[str]) -> dict[str, Any]:
    """{output id: value} from a run's stored outputs ({id: {"value", "name"}})."""
    outputs = outputs or {}
    return {o: (outputs.get(o) or {}).get("value") for o in output_ids}


def csv_text(
    outcomes: list[RowOutcome],
    outputs: list[dict[str, str]],
    input_keys: list[str],
    compared: Compared | None = None,
) -> str:
    """The whole current table with each row's changes: inputs, current values, status,
    what changed (old → new) and the error of a failing row."""
    compared = compared if compared is not None else compare_all(outcomes, outputs)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = [o.get("name") or o["id"] for o in outputs]
    writer.writerow([*input_keys, *names, "watch_status", "watch_changes", "watch_error"])
    for row in outcomes:
        current = row.values if row.ok else (row.known or {})
        cells = [_cell(current.get(o["id"])) if current else "" for o in outputs]
        found = compared[row.key]
        status = (
            "failing" if not row.ok
            else "new" if row.known is None
            else "changed" if found
            else "unchanged"
        )
        writer.writerow([
            *(_safe(row.inputs.get(k, "")) for k in input_keys),
            *cells,
            status,
            _safe("; ".join(describe(c) for c in found)),
            _safe(row.error or ("" if row.ok else _state_words(row.state))),
        ])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    return _safe("" if value is None else shown(value, 10_000))


def _safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula is quoted, as in the batch files."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def result_line(digest: Digest) -> str:
    """The last result, as the list and the Home tab show it."""
    if digest.first:
        return f"first check: {digest.total:,} {digest.noun} recorded"
    text = f"{len(digest.changed):,} of {digest.total:,} changed"
    if digest.failing:
        text += f", {len(digest.failing):,} failing"
    return text


def late_words(firing: Firing, digest: Digest, tz: str) -> str | None:
    """"Late: due Mon 2 Mar 09:00, …" when the firing started over a minute past its time."""
    if digest.late_by <= 60 and not digest.missed:
        return None
    text = f"Late: due {local_text(firing.scheduled_at, tz)}"
    if firing.started_at:
        text += f", started {local_text(firing.started_at, tz)}"
    if digest.missed:
        slots = "firing" if digest.missed == 1 else "firings"
        text += f"; {digest.missed} earlier {slots} missed while the bot was down, caught up"
        text += " by this one"
    return text + "."
