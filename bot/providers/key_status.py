"""What a provider last said about the key the bot sends: every answer is a vote, so a key
revoked while the bot runs shows up at the next request (the credit monitor reads BitScale
every few minutes even when nobody runs anything), and a key that works again clears it.
The readiness check reads it; nothing is sent just to find out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

REFUSED = 401  # both providers answer a wrong or revoked key with 401


class KeyStatus:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._refused_since: float | None = None
        self._code: str | None = None

    def saw(self, status: int, code: str | None = None) -> None:
        """One answer of the provider: 401 refuses the key, any success accepts it (other
        errors say nothing about the key)."""
        with self._lock:
            if status == REFUSED:
                if self._refused_since is None:
                    self._refused_since = self.clock()
                self._code = code
            elif status < 400:
                self._refused_since, self._code = None, None

    @property
    def refused(self) -> bool:
        return self._refused_since is not None

    def problem(self, label: str, variable: str, fix: str) -> str | None:
        """One line for the readiness check while the key is refused, else None."""
        with self._lock:
            since, code = self._refused_since, self._code
        if since is None:
            return None
        ago = max(0, int(self.clock() - since))
        said = f"{code}, HTTP {REFUSED}" if code else f"HTTP {REFUSED}"
        return f"{label} refuses {variable} ({said}, for {ago}s): {fix}"
