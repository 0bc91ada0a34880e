"""The noise rules and channel levels, on an injected clock."""

from __future__ import annotations

import pytest

from bot.previews.offers import DetectOffers
from bot.previews.reactions import next_reaction_key
from bot.previews.rules import (
    RECENT_SECONDS,
    Level,
    effective_level,
    parse_level,
    plan_links,
)
from bot.previews.settings import PreviewSettings
from bot.previews.unfurls import GROUP, ONE, STUCK_SECONDS, UnfurlRecords
from bot.store.database import Store
from tests.factories import make_run

ADA = "https://www.linkedin.com/in/ada"
BOB = "https://www.linkedin.com/in/bob"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "bot.db")


def test_levels_by_name_and_the_slack_connect_cap():
    assert parse_level("OFF") is Level.OFF and parse_level("names") is Level.NAME
    assert parse_level("loud") is None
    assert effective_level(None, shared_externally=False) is Level.BUTTON  # the default
    assert effective_level(Level.FULL, shared_externally=False) is Level.FULL
    for chosen in (Level.FULL, Level.NAME, Level.BUTTON, None):
        assert effective_level(chosen, shared_externally=True) is Level.BUTTON
    assert effective_level(Level.OFF, shared_externally=True) is Level.OFF


def test_one_card_per_profile_and_one_line_for_many():
    same = ["https://de.linkedin.com/in/Ada/", ADA + "?trk=x"]
    plan = plan_links(same, level=Level.BUTTON, muted=False, source="conversations_history")
    assert plan.cards == [("https://de.linkedin.com/in/Ada/", ADA)] and not plan.group
    many = [ADA, BOB, "https://www.linkedin.com/company/acme"]
    plan = plan_links(many, level=Level.FULL, muted=False, source="conversations_history")
    assert not plan.cards and [c for _, c in plan.group] == many
    two = plan_links([ADA, BOB, ADA + "/"], level=Level.FULL, muted=False, source=None)
    assert len(two.cards) == 2 and not two.group  # three links, two profiles


def test_nothing_for_the_composer_an_off_channel_a_muted_poster_or_no_profile():
    kw = {"level": Level.BUTTON, "muted": False, "source": "conversations_history"}
    assert plan_links([ADA], **{**kw, "source": "composer"}).why_nothing == "composer"
    assert plan_links([ADA], **{**kw, "level": Level.OFF}).why_nothing == "off"
    assert plan_links([ADA], **{**kw, "muted": True}).why_nothing == "muted"
    feed = "https://www.linkedin.com/feed/update/1"
    assert plan_links([feed], **kw).why_nothing == "no_profiles"


def claim(records, ts, url=ADA, channel="C1", kind=ONE):
    return records.claim(
        channel_id=channel,
        message_ts=ts,
        links=[(url + "/", url)],
        kind=kind,
        level="button",
        user_id="U1",
        unfurl_id=None,
        source="conversations_history",
        grid_id=None,
    )


def test_one_card_per_link_per_message_and_the_30_minute_rule(store):
    clock = Clock()
    records = UnfurlRecords(store, clock)
    first = claim(records, "1.1")
    assert first is not None and first.link == ADA + "/"
    assert claim(records, "1.1") is None  # the same event again, or its retry
    clock.now += 60
    assert claim(records, "1.2") is None  # another message, same link, same channel
    assert claim(records, "1.2", channel="C2") is not None  # another channel
    assert claim(records, "1.2", url=BOB) is not None  # another link
    clock.now = first.created_at + RECENT_SECONDS - 1
    assert claim(records, "1.3") is None
    clock.now = first.created_at + RECENT_SECONDS + 1
    assert claim(records, "1.3") is not None  # half an hour later: a new card
    assert records.count("C1") == 3


def test_a_group_line_holds_back_no_card(store):
    records = UnfurlRecords(store, Clock())
    assert claim(records, "2.1", kind=GROUP) is not None
    assert claim(records, "2.2") is not None


def test_one_click_starts_the_run(store):
    records = UnfurlRecords(store, Clock())
    card = claim(records, "3.1")
    assert records.start(card.id, "U1", "g1") is not None
    assert records.start(card.id, "U2", "g1") is None  # a double click, another person
    assert records.pick_grid(card.id, "g2") is None  # no grid change once it runs
    records.attach_run(card.id, "r1")
    records.attach_run(card.id, "r1")
    assert records.for_run("r1").run_ids == ["r1"]
    records.reopen(card.id)
    assert records.get(card.id).state == "offered"


def test_a_press_cut_off_before_its_run_was_recorded_can_be_pressed_again(store):
    clock = Clock()
    records = UnfurlRecords(store, clock)
    card = claim(records, "3.2")
    assert records.start(card.id, "U1", "g1") is not None  # …and the process died
    clock.now += STUCK_SECONDS - 1
    assert records.start(card.id, "U2", "g1") is None  # maybe still recording
    clock.now += 2
    assert records.start(card.id, "U2", "g1").clicked_by == "U2"
    records.attach_run(card.id, "r9")
    clock.now += STUCK_SECONDS * 2
    assert records.start(card.id, "U3", "g1") is None  # it has its run


def test_settings_per_channel_and_per_person(store):
    settings = PreviewSettings(store, Clock())
    assert settings.channel("C1").level is None and not settings.channel("C1").detect
    settings.set_level("C1", Level.FULL, "UADMIN")
    assert settings.set_detect("C1", True, "UADMIN") is False
    choice = settings.channel("C1")
    assert choice.level is Level.FULL and choice.detect and choice.set_by == "UADMIN"
    settings.set_level("C1", Level.OFF, "UADMIN")
    assert settings.channel("C1").detect  # the level leaves detection alone
    assert settings.detecting() == ["C1"]
    assert settings.mute("U1", True) is False and settings.muted("U1")
    assert settings.mute("U1", True) is True
    settings.mute("U1", False)
    assert not settings.muted("U1")
    settings.decline("U1", "C1")
    settings.decline("U1", "C1")
    assert settings.declined("U1", "C1") and not settings.declined("U1", "C2")


def test_one_offer_per_message_and_one_answer_per_offer(store):
    offers = DetectOffers(store, Clock())
    kw = dict(channel_id="C1", message_ts="4.1", user_id="U1", grid_id="g", value="acme.com")
    offer = offers.record(**kw, found={"domains": ["acme.com"]})
    assert offer.found == {"domains": ["acme.com"]}
    assert offers.record(**kw, found={}) is None
    assert offers.take(offer.id, "taken") is not None
    assert offers.take(offer.id, "declined") is None
    assert offers.count("C1") == 1


def test_a_reaction_waits_for_the_pending_or_reusable_run(store):
    start = 1_000_000.0
    assert next_reaction_key(store, "C1", "5.1", "g", answered_since=start) == (
        "reaction:C1:5.1:g:0"
    )
    store.insert_run(make_run(dedupe_key="reaction:C1:5.1:g:0", state="running"))
    assert next_reaction_key(store, "C1", "5.1", "g", answered_since=start) is None
    store.update_run(
        store.run_by_dedupe_key("reaction:C1:5.1:g:0").id,
        state="completed",
        finished_at=start + 10,
    )
    assert next_reaction_key(store, "C1", "5.1", "g", answered_since=start) is None
    # Past the reuse window (or with reuse off), a new reaction runs again.
    assert next_reaction_key(store, "C1", "5.1", "g", answered_since=start + 20) == (
        "reaction:C1:5.1:g:1"
    )
    assert next_reaction_key(store, "C1", "5.1", "g", answered_since=None).endswith(":1")
    store.insert_run(make_run(id="r2", dedupe_key="reaction:C1:5.1:g:1", state="failed"))
    assert next_reaction_key(store, "C1", "5.1", "g", answered_since=start).endswith(":2")


def test_old_cards_and_offers_are_pruned(store):
    clock = Clock()
    records, offers = UnfurlRecords(store, clock), DetectOffers(store, clock)
    old = claim(records, "6.1")
    records.attach_run(old.id, "r-old")
    offer = offers.record(
        channel_id="C1", message_ts="6.1", user_id="U1", grid_id="g", value="a.io", found={}
    )
    clock.now += 100
    new = claim(records, "6.2", url=BOB)
    assert records.prune(clock.now - 50) == 1 and offers.prune(clock.now - 50) == 1
    assert records.get(old.id) is None and records.for_run("r-old") is None
    assert records.get(new.id) is not None and offers.get(offer.id) is None
