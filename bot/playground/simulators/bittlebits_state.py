"""The Bittlebits simulator's state: URLs, tasks and their fates, the requests it saw, and
its per-client rate windows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot.playground.simulators.rate_window import SlidingWindow


@dataclass
class Task:
    task_id: str
    url_id: int
    kind: str
    started: float  # on the simulator's task clock
    seconds: float
    fate: str = "ready"  # ready | revoked | timed_out


@dataclass
class Record:
    method: str
    kind: str
    params: dict[str, str]
    status: int
    ip: str
    at: float


@dataclass
class BittlebitsState:
    api_key: str
    post_limit: int = 100
    post_window: float = 3600.0
    get_limit: int = 5
    get_window: float = 1.0
    task_seconds: float = 6.0
    urls: dict[int, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    tasks: dict[tuple[int, str], Task] = field(default_factory=dict)
    fates: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    posts: dict[str, SlidingWindow] = field(default_factory=dict)  # per client IP
    gets: dict[str, SlidingWindow] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    reposts_while_pending: int = 0  # POSTs the reference forbids: a task was pending
    fail_next: list[int] = field(default_factory=list)  # statuses to answer next, once each
