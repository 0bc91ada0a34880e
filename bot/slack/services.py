"""What the listeners need from the core, handed to them at registration."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bot.batches.service import BatchService
from bot.governance.approvals import Approvals, wire_batch_approvals
from bot.governance.channel_defaults import ChannelDefaults
from bot.governance.keys import KeyStore
from bot.governance.policy import Policy
from bot.grids.catalog import GridCatalog
from bot.insight.service import Insight
from bot.previews.offers import DetectOffers
from bot.previews.settings import PreviewSettings
from bot.previews.unfurls import UnfurlRecords
from bot.providers.bitscale.client import BitScaleClient
from bot.runs.service import RunService
from bot.store.database import Store
from bot.watches.service import WatchService

log = logging.getLogger(__name__)


@dataclass
class Services:
    store: Store
    bitscale: BitScaleClient
    catalog: GridCatalog
    runs: RunService
    defaults: ChannelDefaults | None = None  # made from the store when not given
    batches: BatchService | None = None
    batch_max_bytes: int = 50_000_000  # BATCH_MAX_FILE_MB
    # Who may run what: every entry point asks it (bot/governance/policy.py). Made from the store
    # when not given: everyone may run everything, nothing is limited.
    policy: Policy | None = None
    approvals: Approvals | None = None  # made from the policy's audit log when not given
    keys: KeyStore | None = None  # the rotated API key (governance/keys.py); made when not given
    home: Any = None  # the HomePublisher (slack/home.py), made with the app
    insight: Insight | None = None  # credit history, forecast, digests (bot/insight/)
    # Leads where they appear (bot/previews/): channel levels and mutes, the cards given,
    # detection offers; made from the store when not given. REACTION_EMOJI names the 🔎.
    previews: PreviewSettings | None = None
    unfurls: UnfurlRecords | None = None
    offers: DetectOffers | None = None
    reaction_emoji: str = "mag"
    watches: WatchService | None = None  # scheduled re-runs (watches/service.py)
    # Work that follows an ack runs here, not on Bolt's listener threads: a listener
    # waiting on BitScale must never keep the next request from being acked.
    background: Executor = field(
        default_factory=lambda: ThreadPoolExecutor(24, thread_name_prefix="slack-work")
    )
    # Past this many waiting jobs, requests that can be refused are ("try again in a
    # minute") rather than queued for many minutes behind BitScale's 5 requests/s.
    max_waiting: int = 500
    _waiting: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.defaults is None and self.store is not None:
            self.defaults = ChannelDefaults(self.store)
        if self.policy is None and self.store is not None:
            self.policy = default_policy(self.store)
        if self.keys is None and self.store is not None:
            self.keys = KeyStore(self.store)
        if self.store is not None:
            self.previews = self.previews or PreviewSettings(self.store)
            self.unfurls = self.unfurls or UnfurlRecords(self.store)
            self.offers = self.offers or DetectOffers(self.store)
        if self.approvals is None and self.policy is not None:
            self.approvals = Approvals(self.store, self.policy.audit)
            if self.batches is not None:
                wire_batch_approvals(self.approvals, self.batches)

    def locale_of(self, user_id: str) -> str | None:
        """The person's Slack locale, for dates in their own format (None: en-US)."""
        person = getattr(getattr(self.policy, "directory", None), "person", None)
        return person(user_id).locale if person is not None and user_id else None

    def later(self, fn: Callable[[], None], busy: Callable[[], None] | None = None) -> None:
        """Run `fn` after the ack. With `busy`, call that instead when overloaded; without
        it (a run someone submitted) the job is always kept."""
        with self._lock:
            refuse = busy is not None and self._waiting >= self.max_waiting
            if not refuse:
                self._waiting += 1
        if refuse:
            busy()
            return

        def guarded() -> None:
            try:
                fn()
            except Exception:  # noqa: BLE001 - logged; the user already had an answer
                log.exception("background work failed")
            finally:
                with self._lock:
                    self._waiting -= 1

        self.background.submit(guarded)


def default_policy(store: Store, **kwargs: object) -> Policy:
    """A policy over `store` with its audit log, settings and usage."""
    from bot.governance.audit import AuditLog
    from bot.governance.stored_settings import StoredSettings
    from bot.governance.usage import Usage
    from bot.slack.text import escape

    audit = AuditLog(store)
    kwargs.setdefault("quote", escape)
    return Policy(StoredSettings(store, audit), audit, Usage(store), **kwargs)  # type: ignore[arg-type]
