"""Writing what a provider answered, however long the database takes to come back.

Once a request has left, its answer (a request id, a result) exists only in this process
until it is written: dropping it on a database error would leave the run "submitting" with
no way to find it, and the requester never told. So the write is tried again, a little
less often each time, until the database answers or `patience` runs out (a run's expiry:
by then it is given up anyway, and the requester is told).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.store.sql import DatabaseUnavailable

log = logging.getLogger(__name__)


def until_saved(
    write: Callable[[], None],
    *,
    what: str,
    patience: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Run `write` until it gets through the database; False when patience ran out."""
    deadline = clock() + patience
    pause = 0.2
    warned = False
    while True:
        try:
            write()
        except DatabaseUnavailable:
            if clock() + pause > deadline:
                log.error("the database did not answer for %.0f s; %s is lost", patience, what)
                return False
            if not warned:
                log.warning("the database is not answering; keeping %s until it does", what)
                warned = True
            sleep(pause)
            pause = min(pause * 2, 5.0)
            continue
        if warned:
            log.info("the database answered again; %s is saved", what)
        return True
