"""Type-ahead never calls BitScale on the asking thread; the catalog's memory is bounded."""

from __future__ import annotations

import threading

import pytest

from bot.grids.catalog import GridCatalog
from bot.grids.lru import KeyLocks, LruDict
from bot.providers.bitscale.models import GridPage, GridSummary
from bot.store.database import Store


class FakeClient:
    """list_grids over `count` grids, recording who asked; `gate` holds answers back."""

    def __init__(self, count: int = 250) -> None:
        self.grids = [
            GridSummary(id=f"g{i}", name=f"Grid {i:04d}", description=f"about topic{i % 7}")
            for i in range(count)
        ]
        self.calls: list[tuple[str | None, int, str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.walks = threading.Event()  # cleared: the whole-list walk waits (search None)
        self.walks.set()

    def list_grids(self, search=None, page=1, limit=20, *, priority=None) -> GridPage:
        self.calls.append((search, page, threading.current_thread().name))
        assert self.gate.wait(10)
        if search is None:
            assert self.walks.wait(10)
        found = [g for g in self.grids if (search or "").lower() in g.name.lower()]
        pages = -(-len(found) // limit)
        chunk = found[(page - 1) * limit : page * limit]
        return GridPage(grids=chunk, total=len(found), page=page, limit=limit, total_pages=pages)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(tmp_path):
    client, clock = FakeClient(), Clock()
    catalog = GridCatalog(client, Store(tmp_path / "bot.db"), clock=clock, suggest_wait=5)
    yield catalog, client, clock
    catalog.close()


def wait_until(predicate, timeout: float = 10.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        done.wait(0.01)
    raise AssertionError("condition not met in time")


def test_a_cold_cache_asks_bitscales_name_search_off_the_asking_thread(setup):
    catalog, client, _ = setup
    client.walks.clear()  # the whole list is slow to come, as it is for a big workspace
    found = catalog.suggest("grid 012")
    client.walks.set()
    assert not found.loading
    assert [g.name for g in found.grids] == [f"Grid 012{i}" for i in range(10)]
    me = threading.current_thread().name
    assert client.calls and all(name != me for _, _, name in client.calls)
    assert ("grid 012", 1) in [call[:2] for call in client.calls]  # BitScale's `search`
    # The whole list is fetched in the background meanwhile; then it answers from it.
    wait_until(lambda: catalog.all_grids(cached_only=True) is not None)
    assert len(catalog.all_grids(cached_only=True)) == 250
    calls = len(client.calls)
    assert [g.id for g in catalog.suggest("topic3").grids][:2] == ["g3", "g10"]  # descriptions
    assert len(client.calls) == calls


def test_a_slow_answer_says_loading_at_once_and_the_next_keystroke_has_it(setup):
    catalog, client, _ = setup
    catalog.typeahead.wait = 0.05
    client.gate.clear()
    found = catalog.suggest("grid 00")
    assert found.loading and found.grids == []
    client.gate.set()
    wait_until(lambda: not catalog.suggest("grid 00").loading)
    assert len(catalog.suggest("grid 00").grids) == 100


def test_a_stale_list_answers_at_once_and_is_refreshed_in_the_background(setup):
    catalog, client, clock = setup
    catalog.all_grids()  # cached now
    client.grids.append(GridSummary(id="new", name="Brand New Grid"))
    clock.now += catalog.list_ttl + 1  # stale
    client.gate.clear()
    calls = len(client.calls)
    found = catalog.suggest("brand new")
    assert found.grids == [] and not found.loading  # the stale list, without waiting
    assert catalog.suggest("Grid 0001").grids[0].id == "g1"
    client.gate.set()
    wait_until(lambda: catalog.all_grids(cached_only=True) is not None)
    assert [g.id for g in catalog.suggest("brand new").grids] == ["new"]
    assert len(client.calls) - calls == 3  # one walk of three pages, however many keystrokes


def test_many_distinct_searches_keep_bounded_memory_and_locks(setup):
    catalog, client, _ = setup
    for i in range(2_000):
        catalog.page(None, i + 1)  # each page is remembered a while
        catalog.typeahead._searches.put(f"search {i}", (0.0, []))
    assert len(catalog._memory) <= 256
    assert len(catalog.lock_for) <= 256
    assert len(catalog.typeahead._searches) <= 256


def test_lru_forgets_the_least_recently_used():
    lru: LruDict[str, int] = LruDict(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # a is now the most recent
    lru.put("c", 3)
    assert "b" not in lru and lru.get("a") == 1 and lru.get("c") == 3


def test_a_held_lock_is_never_forgotten():
    locks = KeyLocks(2)
    held = locks("held")
    held.acquire()
    for i in range(10):
        locks(f"k{i}")
    assert len(locks) <= 3
    assert locks("held") is held
    held.release()


def test_a_complete_shorter_search_answers_a_longer_one_without_asking(setup):
    catalog, client, _ = setup

    def searches() -> list[str]:
        return [search for search, _, _ in client.calls if search]

    client.gate.clear()
    catalog.typeahead.wait = 0.01
    assert catalog.suggest("grid 012").loading
    client.gate.set()
    wait_until(lambda: "grid 012" in catalog.typeahead._searches)
    assert [g.name for g in catalog.typeahead._name_search("grid 0123", 100).grids] == [
        "Grid 0123"
    ]
    assert searches() == ["grid 012"]  # it had all 10 (fewer than a page): not asked again
    catalog.typeahead._name_search("grid 01", 100)  # a wider search: asked
    wait_until(lambda: searches() == ["grid 012", "grid 01"])
