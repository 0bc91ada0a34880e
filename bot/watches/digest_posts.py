"""Step 4 of a firing (firings.py): its digest goes to the watch's thread once, then the
digest's table (the CSV of changes and current values) is attached once. Each is claimed in
the database like the other steps. A digest that may have gone out before a crash is looked
for before posting again; a table not attached (its upload failed, the process stopped after
the digest) is attached by a later pass, of this process or another, without the digest
again. A table still not attached ATTACH_GIVE_UP_SECONDS after its digest is given up.

digested → (the digest posted) attaching → (the table attached) done; a digest with nothing
to attach (a quiet one after the first) goes straight to done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from bot.watches.digest import Digest
from bot.watches.store import Firing, Watch, WatchStore

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0  # a process gone mid-step: another takes the step over after it
RETRY_SECONDS = 10.0  # a step that failed in a process still running: tried again after it
ATTACH_GIVE_UP_SECONDS = 3600.0


class DigestNotifier(Protocol):
    def open_thread(self, watch: Watch) -> tuple[str, str]: ...

    def digest_posted(self, watch: Watch, firing: Firing) -> bool: ...

    def post_digest(self, watch: Watch, firing: Firing, digest: Digest) -> None: ...

    def attach_table(self, watch: Watch, firing: Firing, table: str) -> None: ...


def has_table(digest: Digest) -> bool:
    """A quiet digest after the first is one short line, with nothing to attach."""
    return digest.first or not digest.quiet


class DigestPosts:
    def __init__(
        self, store: WatchStore, notifier: DigestNotifier, *, me: str,
        clock: Callable[[], float],
    ) -> None:  # fmt: skip
        self.store = store
        self.notifier = notifier
        self.me = me
        self.clock = clock

    def post_claimed(self) -> None:
        for firing in self._claim("digested"):
            try:
                self.post(firing)
            except Exception as exc:  # noqa: BLE001 - Slack trouble: tried again shortly
                log.warning("digest of firing %s not posted: %s", firing.id, exc)
                self.store.set_firing(firing.id, lease_until=self.clock() + RETRY_SECONDS)

    def attach_claimed(self) -> None:
        for firing in self._claim("attaching"):
            try:
                self.attach(firing)
            except Exception as exc:  # noqa: BLE001 - Slack trouble: tried again shortly
                log.warning("table of firing %s not attached: %s", firing.id, exc)
                self.store.set_firing(firing.id, lease_until=self.clock() + RETRY_SECONDS)

    def _claim(self, state: str) -> list[Firing]:
        return self.store.claim(state, me=self.me, now=self.clock(), lease=LEASE_SECONDS)

    def post(self, firing: Firing) -> None:
        watch = self.store.get(firing.watch_id)
        now = self.clock()
        assert firing.digest is not None
        digest = Digest.from_json(firing.digest)
        if watch is None or watch.state == "deleted" or (watch.only_changes and digest.quiet):
            self.store.set_firing(firing.id, state="done", lease_until=None)
            return
        if not watch.thread_ts:
            channel, ts = self.notifier.open_thread(watch)
            watch = self.store.move(watch.id, (watch.state,), thread_channel=channel,
                                    thread_ts=ts) or watch
        posted = firing.post_attempted_at and self.notifier.digest_posted(watch, firing)
        if not posted:
            self.store.set_firing(firing.id, post_attempted_at=now)
            self.notifier.post_digest(watch, firing, digest)
        if not has_table(digest):
            self.store.set_firing(firing.id, state="done", posted_at=self.clock(),
                                  lease_until=None)
            return
        self.store.set_firing(firing.id, state="attaching", posted_at=self.clock())
        self._attach(watch, firing)  # still under this pass's claim

    def attach(self, firing: Firing) -> None:
        watch = self.store.get(firing.watch_id)
        if watch is None or watch.state == "deleted" or not watch.thread_ts:
            self.store.set_firing(firing.id, state="done", lease_until=None)
            return
        if self.clock() - (firing.posted_at or 0.0) > ATTACH_GIVE_UP_SECONDS:
            log.warning("the table of firing %s was given up: not attached within %.0f s of "
                        "its digest", firing.id, ATTACH_GIVE_UP_SECONDS)
            self.store.set_firing(firing.id, state="done", lease_until=None)
            return
        self._attach(watch, firing)

    def _attach(self, watch: Watch, firing: Firing) -> None:
        self.notifier.attach_table(watch, firing, firing.csv or "")
        self.store.set_firing(firing.id, state="done", lease_until=None)
