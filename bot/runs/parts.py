"""What every part of RunService shares (submit, poll, finish, recovery): the attributes
RunService.__init__ sets. Apart from types.py, because it names the services those parts
use, and those services use the words of types.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from bot.runs.types import Gate, Notifier
from bot.store.run_record import Run

if TYPE_CHECKING:
    from bot.providers.base import Providers
    from bot.runs.reuse import ResultIndex
    from bot.runs.steps import StepCompleter
    from bot.runs.timings import RunTimings
    from bot.store.database import Store


class ServiceParts:
    """What every part of RunService shares; set up in RunService.__init__. The parts
    (run_submit, run_poll, run_finish, run_recovery) call each other through `self`."""

    store: Store
    providers: Providers
    notifier: Notifier
    clock: Callable[[], float]
    instance_id: str
    launch_grace: float
    expiry_seconds: float
    on_finished: Callable[[Run], None] | None
    results: ResultIndex | None
    first_poll: Callable[[Run], float] | None
    steps: StepCompleter
    gate: Gate | None
    timings: RunTimings
    _working: int
    _stopping: threading.Event
    _busy: set[str]
    _in_hand: set[str]  # submissions handed to a submitter whose request has not left
    _send_soon: Callable[[str], bool]
    _busy_lock: threading.Lock
    _submitters: Executor
    _pollers: Executor
    _deliverers: Executor
    _answers: Executor  # takes the answers of held submissions (held.py)
    _flood_seen: dict[str, tuple[float, bool]]  # provider: when its backlog was counted, flood?
    _inline: bool
    may_block: Callable[[Run], bool]
    _hold: Callable[..., None]
