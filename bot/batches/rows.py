"""A batch's rows: from the file's cells to run inputs, and from runs back to CSV rows.

Pure functions over a checked file (`csvread.CsvInfo`): the preview, the expansion into runs
and the enriched file all walk the same rows in the same way, so a row's inputs and its
digest (what makes two rows exact duplicates) are computed identically every time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bot.batches.csvread import CsvInfo, iter_rows
from bot.batches.csvwrite import CsvWriter, cell_text

STATUS_COLUMN = "bitscale_status"
ERROR_COLUMN = "bitscale_error"
REUSED_COLUMN = "bitscale_reused_from_date"  # a reused row: when its answer was made

# A run's state as the enriched file says it (`bitscale_status`). New row kinds (for
# example a reused earlier result) add a word here and a branch in `result_cells`.
ROW_STATUS = {
    "completed": "done",
    "reused": "reused",  # an earlier result for the same inputs: no credits spent
    "failed": "failed",
    "expired": "expired",
    "interrupted": "interrupted",
    "cancelled": "cancelled",
    "queued": "not sent",
    "submitting": "not finished",
    "running": "not finished",
}
SKIPPED = "skipped"
MAX_SKIPPED_KEPT = 500  # row numbers kept for the preview; the count is always exact


@dataclass
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: list[str]
    inputs: dict[str, str] | None  # None when a mapped input is empty (skipped)
    empty_input: str | None = None

    @property
    def digest(self) -> str | None:
        return None if self.inputs is None else digest(self.inputs)


def digest(inputs: dict[str, str]) -> str:
    """Rows with the same inputs are exact duplicates: one run serves them all."""
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(text.encode()).hexdigest()[:24]


def rows(info: CsvInfo, mapping: dict[str, str]) -> Iterator[Row]:
    """Each data row with the inputs its mapped columns give (whitespace trimmed)."""
    index = {h: i for i, h in enumerate(info.headers)}
    columns = [(key, index[header]) for key, header in mapping.items() if header in index]
    for number, cells in iter_rows(info):
        if not any(cell.strip() for cell in cells):  # an empty row of the sheet
            yield Row(number, cells, None, None)
            continue
        inputs: dict[str, str] = {}
        empty = None
        for key, i in columns:
            value = cells[i].strip()
            if not value:
                empty = key
                break
            inputs[key] = value
        yield Row(number, cells, None if empty else inputs, empty)


@dataclass
class Plan:
    """What the preview shows before anything is spent."""

    rows_total: int = 0
    runs: int = 0  # distinct rows (each one run, or one reused earlier result)
    reused: int = 0  # of those, rows an earlier result answers (no credits spent)
    duplicates: int = 0  # rows folded into another row's run
    skipped: int = 0
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, empty input)


def plan(info: CsvInfo, mapping: dict[str, str]) -> Plan:
    result = Plan()
    seen: set[str] = set()
    for row in rows(info, mapping):
        result.rows_total += 1
        if row.inputs is None:
            result.skipped += 1
            if len(result.skipped_rows) < MAX_SKIPPED_KEPT:
                result.skipped_rows.append((row.number, row.empty_input or ""))
            continue
        key = row.digest
        assert key is not None
        if key in seen:
            result.duplicates += 1
        else:
            seen.add(key)
            result.runs += 1
    return result


@dataclass
class RowResult:
    """What the enriched file needs of a row's run."""

    state: str
    outputs: dict[str, Any] | None
    error: str | None
    reused_from_at: float | None = None


def result_cells(
    result: RowResult | None, output_ids: list[str], empty_input: str | None
) -> tuple[list[str], str, str, str]:
    """(one cell per output, bitscale_status, bitscale_error, bitscale_reused_from_date)
    for one row (the file puts the date column before the status, so the status and the
    error stay the last two columns)."""
    blanks = [""] * len(output_ids)
    if result is None:
        why = f"{empty_input} is empty in this row" if empty_input else "the row is empty"
        return blanks, SKIPPED, why, ""
    status = ROW_STATUS.get(result.state, result.state)
    if result.state not in ("completed", "reused"):
        return blanks, status, result.error or "", ""
    outputs = result.outputs or {}
    cells = [cell_text((outputs.get(o) or {}).get("value")) for o in output_ids]
    made = result.reused_from_at if result.state == "reused" else None
    day = datetime.fromtimestamp(made, timezone.utc).strftime("%Y-%m-%d") if made else ""
    return cells, status, "", day


def write_result(
    info: CsvInfo,
    mapping: dict[str, str],
    outputs: list[dict[str, str]],
    lookup: Callable[[str], RowResult | None],
) -> bytes:
    """The enriched file: original columns in order, one column per output (its display
    name), then bitscale_reused_from_date, bitscale_status and bitscale_error."""
    ids = [o["id"] for o in outputs]
    names = _unique([o.get("name") or o["id"] for o in outputs], set(info.headers))
    extra = [REUSED_COLUMN, STATUS_COLUMN, ERROR_COLUMN]
    with CsvWriter(info.headers, [*names, *extra]) as writer:
        for row in rows(info, mapping):
            result = lookup(row.digest) if row.digest else None
            cells, status, error, reused_on = result_cells(result, ids, row.empty_input)
            writer.write(row.cells, [*cells, reused_on, status, error])
    return writer.data()


def _unique(names: list[str], taken: set[str]) -> list[str]:
    """Output names that clash with an original column (or each other) get a suffix."""
    result = []
    used = set(taken) | {STATUS_COLUMN, ERROR_COLUMN, REUSED_COLUMN}
    for name in names:
        candidate, n = name, 2
        while candidate in used:
            candidate, n = f"{name} ({n})", n + 1
        used.add(candidate)
        result.append(candidate)
    return result
