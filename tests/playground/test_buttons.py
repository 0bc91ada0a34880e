"""Typed labels press the button the person meant."""

from __future__ import annotations

from bot.playground.shell.buttons import ButtonBoard, normalize
from bot.playground.shell.render import Button


def b(label: str) -> Button:
    return Button(label, {"action_id": label})


def test_labels_lose_arrows_emoji_and_case():
    assert normalize("◀ Previous") == "previous"
    assert normalize("Next ▶") == "next"
    assert normalize("[Run 2]") == "run 2"


def test_newest_message_first_and_replaced_messages_forgotten():
    board = ButtonBoard()
    board.show("list", [b(f"Run {i}") for i in range(1, 11)] + [b("Next ▶")])
    board.show("search", [b("Run")])  # a newer one-grid list
    assert board.find("run 1").label == "Run"  # not the older list's Run 1
    assert board.find("run 2").label == "Run 2"  # only the older list has one
    board.show("list", [b("Run 1"), b("◀ Previous")])  # page 2 replaced page 1
    assert board.find("next") is None  # the last page has no Next
    assert board.find("previous").label == "◀ Previous"
    assert board.find("prev").label == "◀ Previous"


def test_words_inside_a_label_come_after_exact_and_prefix_matches():
    board = ButtonBoard()
    board.show("old result", [b("Edit and run again")])
    board.show("new result", [b("Edit and run again"), b("Run fresh")])
    newest = board.find("run again")
    assert newest is board._groups["new result"][0]
    assert board.find("run").label == "Run fresh"  # a prefix beats words inside a label
    assert board.find("status") is None
