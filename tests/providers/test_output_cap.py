"""A run's stored outputs are capped: what fits is kept, and what was cut says so."""

from __future__ import annotations

import json

from bot.providers.base import Outcome
from bot.providers.output_cap import MAX_STORED_BYTES, cap_outputs


def size(value) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def test_small_outputs_are_kept_as_they_are():
    outputs = {"email": {"name": "Email", "value": "kay@example.com"}}
    assert cap_outputs(outputs) is outputs


def test_a_huge_value_is_cut_with_a_note_and_the_rest_kept():
    outputs = {
        "bio": {"name": "Bio", "value": "x" * (10 * 1024 * 1024)},
        "email": {"name": "Email", "value": "kay@example.com"},
        "list": {"name": "Posts", "value": ["y" * 400_000] * 4},
    }
    capped = cap_outputs(outputs)
    assert size(capped) <= MAX_STORED_BYTES
    assert capped["email"] == outputs["email"]
    assert capped["bio"]["value"].startswith("x" * 1000)
    cut = capped["bio"]["value"]
    assert cut.endswith("of results]") and "cut by the bot" in cut
    assert list(capped) == list(outputs)
    assert size(capped) > MAX_STORED_BYTES * 0.9  # what fits is kept


def test_a_structure_too_big_to_keep_says_so():
    outputs = {f"c{i}": {"name": "n" * 100, "value": i} for i in range(20_000)}
    capped = cap_outputs(outputs)
    assert size(capped) <= MAX_STORED_BYTES
    assert "cut by the bot" in json.dumps(capped)


def test_every_provider_outcome_is_capped():
    outcome = Outcome("completed", outputs={"v": {"name": "V", "value": "z" * 3_000_000}})
    assert size(outcome.outputs) <= MAX_STORED_BYTES
    assert Outcome.done({"v": "z" * 3_000_000}).outputs["v"].endswith("of results]")
