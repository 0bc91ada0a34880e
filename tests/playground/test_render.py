from __future__ import annotations

import time

from bot.playground.shell.render import mrkdwn


def test_dates_show_in_the_readers_time_zone(monkeypatch):
    token = "Started <!date^1764000000^{date_short_pretty} {time}|2025-11-24 16:00 UTC>"
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        assert mrkdwn(token, {}) == "Started Nov 24 at 17:00 CET"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
