"""The LinkedIn cards and the private answers, within Slack's limits and escaped."""

from __future__ import annotations

import json

import pytest

from bot.leads.linkedin import parse
from bot.previews.rules import Level
from bot.providers.base import ResultItem, ResultView
from bot.slack.blocks import unfurls as cards
from tests.factories import make_run

EVIL = "<!channel> <https://evil.example|click> & co" + "x" * 5000
LINK = parse("https://www.linkedin.com/in/ada-lovelace-1a2b3c4")


def every_text(attachment: dict, kinds: tuple[str, ...] = ("mrkdwn", "plain_text")) -> list[str]:
    """The texts of a card's blocks (plain text is never read as markup by Slack)."""
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str) and node.get("type") in kinds:
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(attachment["blocks"])
    return found


def within_limits(attachment: dict) -> None:
    blocks = attachment["blocks"]
    assert 1 <= len(blocks) <= cards.MAX_CARD_BLOCKS
    for block in blocks:
        text = (block.get("text") or {}).get("text") or ""
        assert len(text) <= 3000
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000
            if element.get("type") == "static_select":
                assert len(element["options"]) <= 100
    for text in every_text(attachment, ("mrkdwn",)):
        assert "<!channel>" not in text and "<https://evil" not in text
    assert len(json.dumps(attachment)) < 20_000


def hostile_view(items: int = 40) -> ResultView:
    return ResultView(items=[ResultItem(EVIL, EVIL, f"k{i}") for i in range(items)])


@pytest.mark.parametrize("level", [Level.BUTTON, Level.NAME, Level.FULL])
def test_offer_cards_stay_small_and_escaped(level):
    grid = cards.CardGrid("g1", EVIL, 2.4)
    stored = cards.Stored(1_700_000_000.0, "U0MARIA", hostile_view())
    grids = [(f"g{i}", EVIL) for i in range(300)]
    for kwargs in (
        {"grid": grid},
        {"grid": grid, "stored": stored},
        {"grid": None, "grids": grids},
        {"grid": None, "grids": []},
        {"grid": grid, "note": "That grid takes no LinkedIn link: pick another one."},
    ):
        card = cards.offer_card("c" * 32, LINK, level, **kwargs)
        within_limits(card)
    plain = every_text(cards.offer_card("c1", LINK, level, grid=grid))
    assert "Enrich (≈3 credits)" in plain  # 2.4 a run, rounded up
    assert any("Ada Lovelace" in t for t in plain) is (level is not Level.BUTTON)


def test_a_stored_result_shows_its_fields_only_on_the_full_card():
    view = ResultView(items=[ResultItem("Job title", "CTO", "job_title")])
    stored = cards.Stored(1_700_000_000.0, "U0MARIA", view)
    grid = cards.CardGrid("g1", "LinkedIn Profile", None)
    full = " ".join(every_text(cards.offer_card("c1", LINK, Level.FULL, grid=grid, stored=stored)))
    name = " ".join(every_text(cards.offer_card("c1", LINK, Level.NAME, grid=grid, stored=stored)))
    assert "*Job title*: CTO" in full and "CTO" not in name
    assert "<@U0MARIA>" in full and "<@U0MARIA>" in name
    assert "Post the result in the thread" in full and "Enrich (" not in full


def test_running_and_done_cards():
    running = cards.running_card(LINK, Level.NAME, EVIL, "U0ANA")
    within_limits(running)
    done = make_run(state="completed", grid_name=EVIL)
    within_limits(cards.done_card(LINK, Level.FULL, done, hostile_view()))
    failed = make_run(state="failed", error_message=EVIL)
    card = cards.done_card(LINK, Level.BUTTON, failed, ResultView())
    within_limits(card)
    assert "❌" in every_text(card)[0]


def test_group_lines_and_private_answers():
    grid = cards.CardGrid("g1", EVIL, 1.0)
    within_limits(cards.group_line("c1", 12, grid))
    within_limits(cards.group_line("c1", 12, None))
    line = cards.group_progress(2, 1, 3, "LinkedIn Profile")
    assert line.startswith("⚠️") and "1 did not finish" in line
    assert cards.group_progress(1, 0, 3, "G").startswith("⏳")
    text, blocks = cards.detect_offer_blocks("o1", "acme.com", "Company Enrichment")
    assert text == "Enrich acme.com with Company Enrichment?"
    assert [e["text"]["text"] for e in blocks[1]["elements"]] == ["Enrich", "Not in this channel"]
    text, _ = cards.detect_offer_blocks("o1", EVIL, EVIL)
    assert "<!channel>" not in text
    _, blocks = cards.no_default_reaction_blocks("s" * 32)
    assert blocks[1]["elements"][0]["action_id"] == cards.OPEN_PICKER_ACTION
