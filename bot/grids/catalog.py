"""Read-only BitScale look-ups for the Slack face, cached in SQLite.

Forms open inside Slack's 3 seconds, and a burst of identical questions (twenty people
typing `/bitscale credits`) costs one request: each key is fetched by one caller at a time
while the others wait for its answer. Type-ahead never waits on the network (typeahead.py).
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.grids.background import Background
from bot.grids.lru import KeyLocks, LruDict
from bot.grids.typeahead import Suggestions, TypeAhead
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.errors import BitScaleError
from bot.providers.bitscale.models import Column, GridPage, GridSummary, Workspace
from bot.providers.bitscale.transport import Priority
from bot.store.database import Store

GRIDS_KEY = "grids:all"
MEMORY_ENTRIES = 256  # answers and locks kept in memory, per key: least recent go first

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass
class RunForm:
    """What the run modal needs: the contract's inputs and the grid's runnable columns."""

    grid_id: str
    grid_name: str
    input_keys: list[str]
    outputs: list[Column] = field(default_factory=list)
    description: str = ""


@dataclass
class Resolution:
    """The answer to "which grid did they mean?": one grid, a few choices, or none."""

    grid_id: str | None = None
    choices: list[GridSummary] = field(default_factory=list)
    closest: list[str] = field(default_factory=list)


class GridCatalog:
    GRIDS_KEY = GRIDS_KEY  # the whole grid list, in the store's cache table

    def __init__(
        self,
        client: BitScaleClient,
        store: Store,
        *,
        form_ttl: float = 600,
        list_ttl: float = 120,
        page_ttl: float = 15,
        workspace_ttl: float = 10,
        source_ttl: float = 6 * 3600,
        clock: Callable[[], float] = time.time,
        suggest_wait: float = 1.0,
        background: Background | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.form_ttl = form_ttl
        self.list_ttl = list_ttl
        self.page_ttl = page_ttl
        self.workspace_ttl = workspace_ttl
        self.source_ttl = source_ttl  # whether a grid has an API source changes rarely
        self.clock = clock
        self.background = background or Background(name="grid-lookup")
        self.typeahead = TypeAhead(self, wait=suggest_wait)
        self.lock_for = KeyLocks(MEMORY_ENTRIES)
        self._memory: LruDict[str, tuple[float, Any]] = LruDict(MEMORY_ENTRIES)

    def close(self) -> None:
        self.background.shutdown()

    def _remembered(self, key: str, ttl: float, fetch: Callable[[], Any]) -> Any:
        """Like `_cached`, in memory only: for short-lived answers that need no restart."""
        hit = self._memory.get(key)
        if hit is not None and hit[0] > self.clock():
            return hit[1]
        with self.lock_for(key):
            hit = self._memory.get(key)
            if hit is None or hit[0] <= self.clock():
                hit = (self.clock() + ttl, fetch())
                self._memory.put(key, hit)
        return hit[1]

    def _cached(
        self, key: str, ttl: float, fetch: Callable[[], Any], *, cached_only: bool = False
    ) -> Any:
        """The JSON stored under `key` if fresh; else `fetch()` it, one caller at a time."""
        data = self.store.cache_get(key, ttl, self.clock())
        if data is not None or cached_only:
            return data
        with self.lock_for(key):
            data = self.store.cache_get(key, ttl, self.clock())  # fetched while we waited?
            if data is None:
                data = fetch()
                self.store.cache_put(key, data, self.clock())
        return data

    def workspace(self) -> Workspace:
        return self._remembered(
            "workspace",
            self.workspace_ttl,
            lambda: self.client.workspace(priority=Priority.INTERACTIVE),
        )

    def page(self, search: str | None, page: int, per_page: int = 10) -> GridPage:
        """One page of grids. A search matches names and descriptions (names first), from
        the cached grid list: BitScale's own search looks at names only."""
        if search and search.strip():
            found = self.search(search, limit=10_000)
            pages = max(1, -(-len(found) // per_page))
            page = min(max(1, page), pages)
            return GridPage(
                grids=found[(page - 1) * per_page : page * per_page],
                total=len(found),
                page=page,
                limit=per_page,
                total_pages=pages if found else 0,
            )
        return self._remembered(
            f"page:{per_page}:{page}:{search or ''}",
            self.page_ttl,
            lambda: self.client.list_grids(
                search or None, page=page, limit=per_page, priority=Priority.INTERACTIVE
            ),
        )

    def all_grids(self, *, cached_only: bool = False) -> list[GridSummary] | None:
        data = self._cached(
            GRIDS_KEY,
            self.list_ttl,
            lambda: self.walk_grids(Priority.INTERACTIVE),
            cached_only=cached_only,
        )
        return None if data is None else [GridSummary.model_validate(g) for g in data]

    def walk_grids(self, priority: Priority) -> list[dict[str, Any]]:
        """Every page of grids; stops early (raising) when the bot is stopping."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            if self.background.stopping.is_set():
                raise BitScaleError(None, "CONNECTION_ERROR", "The bot is stopping.")
            result = self.client.list_grids(None, page=page, limit=100, priority=priority)
            found.extend(g.model_dump() for g in result.grids)
            if page >= result.total_pages or not result.grids:
                return found
            page += 1

    def suggest(self, text: str, limit: int = 100) -> Suggestions:
        """Grids for a type-ahead box, never calling BitScale on this thread (typeahead.py)."""
        return self.typeahead.suggest(text, limit)

    def search(self, text: str, limit: int = 100) -> list[GridSummary]:
        """Grids whose name, else whose description, contains `text` (names first)."""
        return self.matching(self.all_grids() or [], text, limit)

    @staticmethod
    def matching(grids: list[GridSummary], text: str, limit: int) -> list[GridSummary]:
        needle = text.strip().lower()
        named = [g for g in grids if needle in g.name.lower()]
        ids = {g.id for g in named}
        described = [
            g for g in grids if g.id not in ids and needle in (g.description or "").lower()
        ]
        return (named + described)[:limit]

    def resolve(self, query: str, *, cached_only: bool = False) -> Resolution | None:
        """Match a grid id or name. None when `cached_only` and the cache is cold."""
        query = query.strip()
        grids = self.all_grids(cached_only=cached_only)
        if grids is None:
            return None
        if any(g.id == query for g in grids) or _UUID.match(query):
            return Resolution(grid_id=query)
        lowered = query.lower()
        exact = [g for g in grids if g.name.lower() == lowered]
        if len(exact) == 1:
            return Resolution(grid_id=exact[0].id)
        partial = exact or [g for g in grids if lowered in g.name.lower()]
        if len(partial) == 1:
            return Resolution(grid_id=partial[0].id)
        if partial:
            return Resolution(choices=partial)
        names = {g.name.lower(): g.name for g in grids}
        close = difflib.get_close_matches(lowered, list(names), n=3, cutoff=0.3)
        return Resolution(closest=[names[c] for c in close])

    def form(
        self, grid_id: str, *, cached_only: bool = False, outputs: list[str] | None = None
    ) -> RunForm | None:
        """The form for a grid; with `outputs`, only the inputs those outputs need (the
        contract's own rule), still offering every output as a choice."""
        key = f"form:{grid_id}" + (f":{','.join(sorted(outputs))}" if outputs else "")
        data = self._cached(
            key, self.form_ttl, lambda: self._fetch_form(grid_id, outputs), cached_only=cached_only
        )
        if data is None:
            return None
        return RunForm(**{**data, "outputs": [Column.model_validate(c) for c in data["outputs"]]})

    def sourceless(self, grid_ids: list[str]) -> set[str]:
        """The grids known (from the cache) to have no BitScale API source: they cannot run."""
        found = set()
        for grid_id in grid_ids:
            if self.store.cache_get(f"source:{grid_id}", self.source_ttl, self.clock()) is False:
                found.add(grid_id)
        return found

    def check_sources(self, grid_ids: list[str]) -> set[str]:
        """Ask BitScale about the grids whose API source is not known yet (in the
        background: the list is shown first); the ones found to have none."""
        found = set()
        for grid_id in grid_ids:
            key = f"source:{grid_id}"
            if self.store.cache_get(key, self.source_ttl, self.clock()) is not None:
                continue
            try:
                details = self.client.grid(grid_id, priority=Priority.BACKGROUND)
            except BitScaleError:
                continue  # unknown stays unknown: the Run button stays
            has_api = any((s.type or "api") == "api" for s in details.sources)
            self.store.cache_put(key, has_api, self.clock())
            if not has_api:
                found.add(grid_id)
        return found

    def _fetch_form(self, grid_id: str, outputs: list[str] | None) -> dict[str, Any]:
        try:
            contract = self.client.run_contract(grid_id, outputs, priority=Priority.INTERACTIVE)
        except BitScaleError as error:
            if error.code == "MISSING_SOURCE":  # the grid list then shows no Run button
                self.store.cache_put(f"source:{grid_id}", False, self.clock())
            raise
        self.store.cache_put(f"source:{grid_id}", True, self.clock())  # it has one now
        # The grid list (usually cached) already carries the runnable columns: one
        # request less while someone waits for the modal.
        listed = next((g for g in self.all_grids(cached_only=True) or [] if g.id == grid_id), None)
        grid = listed or self.client.grid(grid_id, priority=Priority.INTERACTIVE)
        columns = [c for c in grid.columns if c.runnable] or [
            Column(id=c.id, name=c.name, type=c.type) for c in contract.output_columns or []
        ]
        return {
            "grid_id": grid_id,
            "grid_name": grid.name or contract.grid_name,
            "input_keys": contract.input_keys,
            "outputs": [c.model_dump() for c in columns],
            "description": grid.description or "",
        }
