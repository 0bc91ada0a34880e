"""Previews on both backends: channel levels and mutes, cards recorded and found again,
and a card claimed once when two processes (two Stores) take the same link at once."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.previews.offers import DetectOffers
from bot.previews.rules import Level
from bot.previews.settings import PreviewSettings
from bot.previews.unfurls import ONE, UnfurlRecords
from bot.store.database import Store

ADA = "https://www.linkedin.com/in/ada"


def claim(records: UnfurlRecords, ts: str, url: str = ADA, channel: str = "C1"):
    return records.claim(
        channel_id=channel,
        message_ts=ts,
        links=[(url + "/", url)],
        kind=ONE,
        level="button",
        user_id="U1",
        unfurl_id=None,
        source="conversations_history",
        grid_id=None,
    )


def test_channel_levels_detection_and_mutes(database_target):
    store = Store(database_target)
    settings = PreviewSettings(store, lambda: 1000.0)
    assert settings.channel("C1").level is None and not settings.muted("U1")
    settings.set_level("C1", Level.NAME, "UADMIN")
    assert settings.set_detect("C1", True, "UADMIN") is False
    settings.set_level("C1", Level.OFF, "UADMIN")
    choice = settings.channel("C1")
    assert (choice.level, choice.detect, choice.set_by) == (Level.OFF, True, "UADMIN")
    assert settings.detecting() == ["C1"]
    assert settings.mute("U1", True) is False and settings.mute("U1", True) is True
    assert settings.muted("U1") and not settings.muted("U2")
    assert settings.mute("U1", False) is True and not settings.muted("U1")
    settings.decline("U1", "C1")
    settings.decline("U1", "C1")
    assert settings.declined("U1", "C1") and not settings.declined("U1", "C2")
    store.close()


def test_a_card_is_recorded_found_again_run_and_pruned(database_target):
    store = Store(database_target)
    now = [1000.0]
    records = UnfurlRecords(store, lambda: now[0])
    card = claim(records, "1.1")
    assert card is not None and claim(records, "1.1") is None
    assert claim(records, "1.2") is None  # the same link again within half an hour
    found = records.get(card.id)
    assert (found.url, found.link, found.state) == (ADA, ADA + "/", "offered")
    assert records.pick_grid(card.id, "g1").grid_id == "g1"
    assert records.start(card.id, "U2", "g1").clicked_by == "U2"
    assert records.start(card.id, "U3", "g1") is None
    records.attach_run(card.id, "r1")
    records.attach_run(card.id, "r1")
    assert records.for_run("r1").run_ids == ["r1"] and records.for_run("r2") is None
    records.finish(card.id)
    assert records.get(card.id).state == "done"
    assert records.count("C1") == 1 and records.count() == 1
    now[0] += 100
    assert records.prune(now[0] - 50) == 1 and records.get(card.id) is None
    assert records.for_run("r1") is None
    offers = DetectOffers(store, lambda: now[0])
    kw = dict(channel_id="C1", message_ts="2.1", user_id="U1", grid_id="g", value="acme.com")
    offer = offers.record(**kw, found={"domains": ["acme.com"]})
    assert offers.record(**kw, found={}) is None
    assert offers.get(offer.id).found == {"domains": ["acme.com"]}
    assert offers.take(offer.id, "taken").state == "taken"
    assert offers.take(offer.id, "declined") is None
    assert offers.count("C1") == 1 and offers.count("C2") == 0
    assert offers.prune(now[0] + 1) == 1 and offers.count() == 0
    store.close()


def _race(database_target: str, claim_one: Callable[[UnfurlRecords, int, int], object]):
    """Two Stores on one database, one thread each, claiming at once, round after round;
    how many claims won in each round."""
    stores = [Store(database_target), Store(database_target)]
    records = [UnfurlRecords(s, lambda: 1000.0) for s in stores]
    rounds = 25
    start = threading.Barrier(2)
    won = [[0, 0] for _ in range(rounds)]

    def work(n: int) -> None:
        for r in range(rounds):
            start.wait()
            won[r][n] = 1 if claim_one(records[n], n, r) is not None else 0

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert records[0].count("C1") == rounds
    for store in stores:
        store.close()
    return [sum(w) for w in won]


def test_two_processes_claiming_the_same_card_at_once_make_one(database_target):
    # Slack delivering one link_shared event to two processes: the same message and link.
    wins = _race(database_target, lambda rec, n, r: claim(rec, f"1.{r}", url=f"{ADA}{r}"))
    assert wins == [1] * len(wins)


def test_two_messages_with_the_same_link_at_once_make_one_card(database_target):
    # Two people posting the link at the same moment: the half-hour rule still holds.
    wins = _race(database_target, lambda rec, n, r: claim(rec, f"{n}.{r}", url=f"{ADA}{r}"))
    assert wins == [1] * len(wins)
