"""A few worker threads for look-ups nobody should wait on (grid lists, name searches).

The same key asked twice while in flight runs once; past `max_pending` new work is
refused rather than queued behind BitScale's 5 requests a second (the caller answers
with what it has). Stopping cancels what has not started and tells long jobs to stop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self, workers: int = 2, max_pending: int = 8, name: str = "lookup") -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=name)
        self._inflight: dict[str, Future] = {}
        self._guard = threading.Lock()
        self.max_pending = max_pending
        self.stopping = threading.Event()

    def submit(self, key: str, fn: Callable[[], Any]) -> Future | None:
        """Run `fn` in the background unless `key` already runs; None when too busy or
        stopping. The future's exceptions are logged, never raised at anyone."""
        with self._guard:
            running = self._inflight.get(key)
            if running is not None:
                return running
            if self.stopping.is_set() or len(self._inflight) >= self.max_pending:
                return None
            try:
                future = self._pool.submit(self._guarded, key, fn)
            except RuntimeError:  # shut down meanwhile
                return None
            self._inflight[key] = future
            return future

    def busy(self, key: str) -> bool:
        with self._guard:
            return key in self._inflight

    def _guarded(self, key: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - a look-up in the background must not die loudly
            log.warning("background look-up %s failed: %s", key.split(":", 1)[0], exc)
            return None
        finally:
            with self._guard:
                self._inflight.pop(key, None)

    def shutdown(self) -> None:
        self.stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
