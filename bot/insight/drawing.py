"""Charts are drawn in a short-lived child process (`python -m bot.insight.draw`), so the
bot itself never imports matplotlib: the plotting library's 40-50 MB live and die with the
child, and the bot's idle memory stays where it was (bench/charts.py measures both).

The parent sends the charts' data (pickled dataclasses from chart_data.py: our own process
talking to its own child, never anything from outside) on stdin; the child answers with the
PNGs on stdout. A child that fails, hangs or answers nonsense gives no pictures, never an
exception: the charts' sentences stand alone.
"""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
from typing import Any

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60.0
COMMAND = [sys.executable, "-m", "bot.insight.draw"]

# (kind, data, locale): kind is "remaining" or "daily", data its chart_data series.
Request = tuple[str, Any, str | None]


def in_child(requests: list[Request], timeout: float = TIMEOUT_SECONDS) -> list[bytes | None]:
    """One PNG (or None) per request, all drawn by one child process."""
    if not requests:
        return []
    try:
        done = subprocess.run(
            COMMAND,
            input=pickle.dumps(requests),
            capture_output=True,
            timeout=timeout,
            check=True,
        )
        pngs = pickle.loads(done.stdout)
        if not isinstance(pngs, list) or len(pngs) != len(requests):
            raise ValueError("the drawing process answered with the wrong number of charts")
        return [p if isinstance(p, bytes) else None for p in pngs]
    except subprocess.CalledProcessError as exc:
        tail = exc.stderr.decode(errors="replace").strip().splitlines()[-1:] if exc.stderr else []
        log.warning("the charts could not be drawn (exit %s): %s", exc.returncode, tail)
    except Exception as exc:  # noqa: BLE001 - the sentences are shown without their pictures
        log.warning("the charts could not be drawn: %s", exc)
    return [None] * len(requests)
