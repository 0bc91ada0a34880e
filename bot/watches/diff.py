"""Old → new, compared on meaning. Pure.

A value is first brought to its canonical form, and two values differ exactly when their
canonical forms do:
- numbers are numbers: 1200, 1200.0, "1,200" and " 1200 " are one value (exact decimals,
  so 0.1 + 0.2 is not 0.3 by accident of floats);
- text ignores case and runs of whitespace ("Acme  Inc" = "acme inc");
- lists are sets of canonical items (order and repeats are not changes);
- objects are compared key by key, each key by these same rules;
- empty ("", None, [], {}) is one value: no value.
What a person reads (the old and new values in a digest line) keeps the original text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# "1,200", "-3.5", "1 200"? no: a space is not a thousands separator we can trust.
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?$")
_SPACES = re.compile(r"\s+")
_NUMBER_STARTS = frozenset("+-0123456789")


def canonical(value: Any) -> Any:
    """The form two values are compared in: hashable, order-free where order is noise.
    Numbers are ints or Decimals: equal numbers compare and hash equal across the two."""
    kind = type(value)
    if value is None:
        return None
    if kind is str:
        text = _SPACES.sub(" ", value).strip()
        if not text:
            return None
        if text[0] in _NUMBER_STARTS and _NUMBER.match(text):
            return ("number", Decimal(text.replace(",", "")))
        return ("text", text.casefold())
    if kind is bool:
        return ("bool", value)
    if kind is int:
        return ("number", value)
    if kind is float:
        number = Decimal(str(value))
        return ("number", number) if number.is_finite() else ("text", str(value))
    if isinstance(value, list | tuple | set | frozenset):
        items = frozenset(canonical(v) for v in value) - {None}
        return ("set", items) if items else None
    if isinstance(value, dict):
        pairs = frozenset(
            (str(k), c) for k, v in value.items() if (c := canonical(v)) is not None
        )
        return ("object", pairs) if pairs else None
    if isinstance(value, int | float):  # subclasses
        return canonical(float(value) if isinstance(value, float) else int(value))
    return ("text", str(value).casefold())


def same(old: Any, new: Any) -> bool:
    return canonical(old) == canonical(new)


@dataclass
class Change:
    """One output of one row that changed; `path` names a key inside an object."""

    output: str  # the output's id
    name: str  # what a person calls it ("Employee count")
    old: Any
    new: Any
    added: list[Any] = field(default_factory=list)  # for lists: items now there
    removed: list[Any] = field(default_factory=list)  # … and items gone
    path: tuple[str, ...] = ()

    @property
    def is_set(self) -> bool:
        return bool(self.added or self.removed)

    def label(self) -> str:
        return " › ".join((self.name, *self.path))


def changes(output: str, name: str, old: Any, new: Any) -> list[Change]:
    """What changed between `old` and `new` of one output (empty when nothing did)."""
    return _changes(output, name, old, new, ())


def _changes(output: str, name: str, old: Any, new: Any, path: tuple[str, ...]) -> list[Change]:
    if same(old, new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[Change] = []
        for key in _keys(old, new):
            found += _changes(output, name, old.get(key), new.get(key), (*path, str(key)))
        return found
    if _listish(old) and _listish(new):
        before = {canonical(v): v for v in _as_list(old)}
        after = {canonical(v): v for v in _as_list(new)}
        before.pop(None, None)
        after.pop(None, None)
        added = [after[k] for k in after if k not in before]
        removed = [before[k] for k in before if k not in after]
        return [Change(output, name, old, new, added, removed, path)]
    return [Change(output, name, old, new, path=path)]


def _keys(old: dict, new: dict) -> list[Any]:
    return list(dict.fromkeys([*old, *new]))


def _listish(value: Any) -> bool:
    """A list, or nothing at all (an empty old value and a new list is a set change)."""
    return isinstance(value, list | tuple) or canonical(value) is None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def shown(value: Any, limit: int = 80) -> str:
    """A value as a digest line shows it: short, one line, "—" for no value."""
    if canonical(value) is None:
        return "—"
    if isinstance(value, str):
        text = _SPACES.sub(" ", value).strip()
    elif isinstance(value, bool | int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"
