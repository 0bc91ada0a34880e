"""The admission lock holds across processes on PostgreSQL: a budget check and its insert
in one process never interleave with another's."""

from __future__ import annotations

import threading
import time

from bot.store.cluster_lock import ClusterLock
from bot.store.database import Store


def test_two_processes_never_hold_it_at_once(postgres_url):
    stores = [Store(postgres_url), Store(postgres_url)]  # two processes' stores
    locks = [ClusterLock(store, "admission") for store in stores]
    inside: list[int] = []
    overlaps: list[int] = []
    start = threading.Barrier(4)

    def work(lock: ClusterLock) -> None:
        start.wait()
        for _ in range(5):
            with lock:
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(len(inside))
                time.sleep(0.01)  # the check and the insert take a moment
                inside.pop()

    workers = [threading.Thread(target=work, args=(lock,)) for lock in locks * 2]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert overlaps == []
    for store in stores:
        store.close()


def test_a_lock_given_back_leaves_no_connection_behind(postgres_url):
    store = Store(postgres_url, pool_size=1)
    lock = ClusterLock(store, "admission")
    for _ in range(3):
        with lock:
            pass
    assert store.sql.scalar("SELECT 1") == 1  # the one pooled connection is free again
    store.close()


def test_on_sqlite_it_is_the_process_lock(tmp_path):
    lock = ClusterLock(Store(tmp_path / "bot.db"), "admission")
    with lock:
        assert not lock._threads.acquire(blocking=False)
    assert lock._threads.acquire(blocking=False)
