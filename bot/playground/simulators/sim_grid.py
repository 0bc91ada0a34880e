"""What a simulated grid is: its columns, its inputs and outputs, how long a run takes and
what it answers (with the world's changes a test applied). The demo workspace's grids are
in demo_grids.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_NS = uuid.UUID("6f1c1f8e-0b5c-4c1e-9a53-6d2f1f0b7a10")


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "/".join(parts)))


@dataclass
class SimColumn:
    key: str
    name: str
    type: str  # text | enrichment | formula | merge
    dependencies: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.key


@dataclass
class SimGrid:
    name: str
    description: str
    inputs: list[str]
    outputs: list[SimColumn]
    compute: Callable[[dict[str, Any]], dict[str, Any]]
    duration: float = 2.0  # seconds a run takes
    fails_with: str | None = None  # a run fails with this message (may use {input})
    has_source: bool = True
    row_count: int = 0
    credit_cost: int = 5
    duration_input: str | None = None  # an input that sets the run's duration, in seconds
    id: str = ""
    source_id: str = ""
    # A test knob: the world changed. (inputs to match, outputs that now answer) pairs,
    # applied over `compute` in order (Simulator.change_outputs).
    changed: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.id = self.id or stable_id("grid", self.name)
        self.source_id = stable_id("source", self.name)

    def answer(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """What a run on `inputs` gives today: the grid's rule, then the world's changes."""
        values = self.compute(inputs)
        for where, now in self.changed:
            if all(str(inputs.get(k)) == str(v) for k, v in where.items()):
                values = {**values, **now}
        return values

    @property
    def columns(self) -> list[SimColumn]:
        text = [SimColumn(k, k.replace("_", " ").title(), "text") for k in self.inputs]
        return text + self.outputs
