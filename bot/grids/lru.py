"""Bounded, thread-safe memory for caches keyed by what people type.

Every distinct search would otherwise keep its answer and its lock for the life of the
process (20,000 searches held 37.6 MB): both maps forget the least recently used keys.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruDict(Generic[K, V]):
    """A dict that keeps at most `maxsize` keys, dropping the least recently used."""

    def __init__(self, maxsize: int = 256) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._guard:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: K, value: V) -> None:
        with self._guard:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def pop(self, key: K) -> V | None:
        with self._guard:
            return self._data.pop(key, None)

    def __len__(self) -> int:
        with self._guard:
            return len(self._data)

    def __contains__(self, key: object) -> bool:
        with self._guard:
            return key in self._data


class KeyLocks:
    """One lock per key, for at most about `maxsize` keys. A lock someone holds is never
    forgotten (its waiters must meet the same lock); idle ones go least recently used
    first. A forgotten key simply gets a new lock next time."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._locks: OrderedDict[str, threading.Lock] = OrderedDict()
        self._guard = threading.Lock()

    def __call__(self, key: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
                self._trim()
            self._locks.move_to_end(key)
            return lock

    def _trim(self) -> None:
        if len(self._locks) <= self.maxsize:
            return
        for key in list(self._locks):
            if len(self._locks) <= self.maxsize:
                return
            if not self._locks[key].locked():
                del self._locks[key]

    def __len__(self) -> int:
        with self._guard:
            return len(self._locks)
