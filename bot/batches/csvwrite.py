"""Writing enriched CSV files: output values as cell text, every cell kept from running as
a formula, UTF-8 with BOM. Pure: no Slack, no BitScale. Reading people's files is
csvread.py's.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)*|\d*[.]\d+)([eE][+-]?\d+)?$")


def cell_text(value: Any) -> str:
    """An output value as spreadsheet cell text: numbers plain, lists of plain values
    comma-separated, objects (and lists holding them) as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e16 else str(int(value))
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def neutralise(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula: text starting with =, +, -, @,
    tab or carriage return gets a leading apostrophe. Plain numbers (-5, +3.2) stay."""
    if cell.startswith(FORMULA_STARTS) and not _NUMBER.match(cell):
        return "'" + cell
    return cell


@dataclass
class CsvWriter:
    """Writes the enriched file into memory (`data()` once closed): the original columns,
    then `extra` columns, every cell neutralised. UTF-8 with BOM, so Excel opens accents
    correctly."""

    headers: list[str]
    extra: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._buffer = io.BytesIO()
        self._handle = io.TextIOWrapper(self._buffer, encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow([neutralise(h) for h in [*self.headers, *self.extra]])

    def write(self, cells: list[str], extra: list[str]) -> None:
        self._writer.writerow([neutralise(c) for c in [*cells, *extra]])

    def close(self) -> None:
        self._handle.flush()
        self._data = self._buffer.getvalue()
        self._handle.close()

    def data(self) -> bytes:
        return self._data

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_text(data: bytes) -> str:
    """A written file as text (tests and small previews)."""
    return data.decode("utf-8-sig")
