"""Keep a run's outputs to a size the bot can store, post and attach.

Four 10 MB outputs once held 315 MB of the bot's memory and went into SQLite whole.
Every provider's result passes through `cap_outputs` (providers/base.py, `Outcome`):
the longest text values are shortened, each with a note that says so, until the whole
fits; the shape (columns, names, short values) is kept as it was.
"""

from __future__ import annotations

import json
from typing import Any

MAX_STORED_BYTES = 1024 * 1024  # a run's outputs as stored: 1 MB of JSON


def cut_note(limit: int) -> str:
    return f" … [cut by the bot: a run keeps at most {limit // 1024:,} KB of results]"


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def _strings(value: Any, found: list[int]) -> None:
    """The length of every text value (and key), depth first, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(len(item))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _cut(value: Any, longest: int, note: str, depth: int = 0) -> Any:
    if isinstance(value, str):
        return value if len(value) <= longest else value[:longest] + note
    if depth > 200:  # deeper than anything worth keeping: say so instead
        return note.strip()
    if isinstance(value, dict):
        return {k: _cut(v, longest, note, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut(v, longest, note, depth + 1) for v in value]
    return value


def cap_outputs(outputs: dict[str, Any], limit: int = MAX_STORED_BYTES) -> dict[str, Any]:
    """`outputs` if it fits in `limit` bytes of JSON; else a copy whose longest texts are
    cut (marked with a note) so that it does."""
    try:
        if _size(outputs) <= limit:
            return outputs
    except (RecursionError, ValueError):
        pass
    note = cut_note(limit)
    lengths: list[int] = []
    _strings(outputs, lengths)
    best = None
    low, high = 0, max(lengths, default=0)  # the longest text kept whole: as long as fits
    while low <= high:
        longest = (low + high) // 2
        try:
            cut = _cut(outputs, longest, note)
            fits = _size(cut) <= limit
        except (RecursionError, ValueError):
            fits = False
        if fits:
            best, low = cut, longest + 1
        else:
            high = longest - 1
    if best is not None:
        return best
    # The structure itself is too big (thousands of columns or list items): keep none.
    return {"cut": {"name": "Result", "value": note.strip()}}
