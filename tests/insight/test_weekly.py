"""Issue 26: the weekly digest is sent once per week per reader even when several bot
processes check at the same moment (SQLite and PostgreSQL: each process has its own
Store), and a failed send is given back and sent at the next check."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from bot.insight.digest_sends import DigestSends
from bot.insight.preferences import Preferences
from bot.insight.weekly import WeeklyDigest
from bot.store.database import Store

MONDAY_NINE = datetime(2026, 11, 30, 9, 0, 30, tzinfo=timezone.utc).timestamp()


def digest(store: Store, sent: list, channel: str | None = None, fail: list | None = None):
    def send(reader: str, admin: str, facts: object) -> None:
        if fail:
            fail.pop()
            raise RuntimeError("Slack said no")
        sent.append((reader, admin))

    clock = lambda: MONDAY_NINE  # noqa: E731
    return WeeklyDigest(
        DigestSends(store, clock),
        Preferences(store, clock),
        facts=lambda: object(),
        send=send,
        admins=lambda: ["U0ANNE", "U0BOB"],
        channel=lambda: channel,
        tz_of=lambda user_id: "UTC",
        clock=clock,
    )


def test_three_processes_checking_at_once_send_each_digest_once(database_target):
    sent: list = []
    processes = [digest(Store(database_target), sent) for _ in range(3)]
    start = threading.Barrier(len(processes))

    def check(process: WeeklyDigest) -> None:
        start.wait()
        process.tick()

    threads = [threading.Thread(target=check, args=(p,)) for p in processes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == [("U0ANNE", "U0ANNE"), ("U0BOB", "U0BOB")]
    assert all(p.tick() == 0 for p in processes)  # and never again that week


def test_a_failed_send_is_given_back_and_sent_at_the_next_check(database_target):
    sent: list = []
    process = digest(Store(database_target), sent, channel="C0ALERTS", fail=[True])
    assert process.tick() == 0 and sent == []
    assert process.tick() == 1 and sent == [("C0ALERTS", "U0ANNE")]
    assert process.tick() == 0
