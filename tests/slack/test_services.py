from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bot.slack.services import Services


def test_refusable_work_is_refused_when_the_queue_is_full_and_runs_never_are():
    gate = threading.Event()
    services = Services(
        store=None,
        bitscale=None,
        catalog=None,
        runs=None,
        background=ThreadPoolExecutor(1),
        max_waiting=2,
    )
    done, refused = [], []
    services.later(gate.wait)  # occupies the only worker
    services.later(lambda: done.append("queued"), busy=lambda: refused.append(1))
    services.later(lambda: done.append("too many"), busy=lambda: refused.append(2))
    services.later(lambda: done.append("a run"))  # no busy: always kept
    gate.set()
    services.background.shutdown(wait=True)
    assert refused == [2] and done == ["queued", "a run"]
