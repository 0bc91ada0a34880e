"""Type-ahead grid suggestions that never call BitScale on the request thread.

With a cold cache, walking every page of a large workspace (10,000 grids: 100 pages at
5 requests a second) on the thread answering Slack held every server thread for 22 s.
Here a suggestion comes from the cached grid list, even a stale one, while a fresh one is
fetched in the background; with no list at all, BitScale's own name search (`search`, one
page) is asked in the background, awaited briefly, and otherwise answered with "loading".
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.grids.background import Background
from bot.grids.lru import LruDict
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.models import GridSummary
from bot.providers.bitscale.transport import Priority
from bot.store.database import Store

SEARCHES_KEPT = 256  # distinct name searches remembered (least recently used go first)
PAGE = 100  # grids one name search asks for (BitScale's largest page)
MAX_NEEDLE = 100  # characters of a search sent; nobody types a longer grid name
MAX_PREFIXES = 40  # shorter searches looked at for one that already holds the answer


class GridSource(Protocol):
    """What the type-ahead reads of the grid catalog (catalog.py), which builds it with
    itself: the cached list, its lock, the background pool and BitScale's name search."""

    GRIDS_KEY: str
    list_ttl: float
    store: Store
    client: BitScaleClient
    background: Background
    clock: Callable[[], float]
    lock_for: Callable[[str], threading.Lock]

    def all_grids(self, *, cached_only: bool = False) -> list[GridSummary] | None: ...

    def walk_grids(self, priority: Priority) -> list[dict[str, Any]]: ...

    def matching(self, grids: list[GridSummary], text: str, limit: int) -> list[GridSummary]: ...


@dataclass
class Suggestions:
    """Type-ahead's answer: the grids found so far, and whether the list is still loading."""

    grids: list[GridSummary]
    loading: bool = False


class TypeAhead:
    def __init__(self, catalog: GridSource, *, wait: float = 1.0) -> None:
        self.catalog = catalog
        # How long a keystroke waits for its name search, already asked in the
        # background (usually well under this), before it answers "loading".
        self.wait = wait
        self._searches: LruDict[str, tuple[float, list[GridSummary]]] = LruDict(SEARCHES_KEPT)

    def suggest(self, text: str, limit: int = 100) -> Suggestions:
        catalog = self.catalog
        fresh = catalog.all_grids(cached_only=True)
        if fresh is not None:
            return Suggestions(catalog.matching(fresh, text, limit))
        self.refresh_grids()
        stale = catalog.store.cache_get(catalog.GRIDS_KEY, math.inf, catalog.clock())
        if stale is not None:
            grids = [GridSummary.model_validate(g) for g in stale]
            return Suggestions(catalog.matching(grids, text, limit))
        return self._name_search(text.strip(), limit)

    def refresh_grids(self) -> None:
        """Fetch the whole grid list in the background, unless that is under way."""
        catalog = self.catalog

        def walk() -> None:
            lock = catalog.lock_for(catalog.GRIDS_KEY)
            if not lock.acquire(blocking=False):
                return  # someone is fetching it right now
            try:
                key, ttl = catalog.GRIDS_KEY, catalog.list_ttl
                if catalog.store.cache_get(key, ttl, catalog.clock()) is None:
                    data = catalog.walk_grids(Priority.BACKGROUND)
                    catalog.store.cache_put(catalog.GRIDS_KEY, data, catalog.clock())
            finally:
                lock.release()

        catalog.background.submit(catalog.GRIDS_KEY, walk)

    def _known(self, key: str) -> list[GridSummary] | None:
        """The answer for `key`, or for a shorter search it narrows down when that one
        was complete (fewer grids than a page): "acm" then "acme" asks once."""
        now = self.catalog.clock()
        for end in range(len(key), max(-1, len(key) - MAX_PREFIXES), -1):
            hit = self._searches.get(key[:end])
            if hit is not None and hit[0] > now and (end == len(key) or len(hit[1]) < PAGE):
                return hit[1]
        return None

    def _name_search(self, needle: str, limit: int) -> Suggestions:
        catalog = self.catalog
        needle = needle[:MAX_NEEDLE]
        key = needle.lower()
        known = self._known(key)
        if known is not None:
            return Suggestions(catalog.matching(known, needle, limit))

        def ask() -> list[GridSummary]:
            grids = catalog.client.list_grids(
                needle or None, page=1, limit=PAGE, priority=Priority.INTERACTIVE
            ).grids
            self._searches.put(key, (catalog.clock() + catalog.list_ttl, grids))
            return grids

        future = catalog.background.submit(f"search:{key}", ask)
        if future is not None:
            try:
                grids = future.result(timeout=self.wait)
            except Exception:  # noqa: BLE001 - not back yet, or cancelled: say loading
                grids = None
            if grids is not None:
                return Suggestions(catalog.matching(grids, needle, limit))
        return Suggestions([], loading=True)
