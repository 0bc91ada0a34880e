"""What the listeners need from the core, handed to them at registration."""

from __future__ import annotations

from dataclasses import dataclass

from bot.bitscale import BitScaleClient
from bot.catalog import GridCatalog
from bot.runs import RunService
from bot.store import Store


@dataclass
class Services:
    store: Store
    bitscale: BitScaleClient
    catalog: GridCatalog
    runs: RunService
