"""What the listeners need from the core, handed to them at registration."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

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
    # Work that follows an ack runs here, not on Bolt's listener threads: a listener
    # waiting on BitScale must never keep the next request from being acked.
    background: Executor = field(
        default_factory=lambda: ThreadPoolExecutor(24, thread_name_prefix="slack-work")
    )

    def later(self, fn: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                fn()
            except Exception:  # noqa: BLE001 - logged; the user already had an answer
                logging.getLogger(__name__).exception("background work failed")

        self.background.submit(guarded)
