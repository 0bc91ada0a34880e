"""Names and companies in ordinary messages (issue 23's examples), and the rule that
extraction only ever takes what the text says."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.leads.extract import extract, unslack
from bot.leads.input_match import match_inputs


@pytest.mark.parametrize(
    ("text", "names", "companies"),
    [
        ("Just met Grace Hopper from navy.example", ["Grace Hopper"], []),
        ("Grace Hopper <grace@navy.example>", ["Grace Hopper"], []),
        ("Grace Hopper &lt;<mailto:grace@navy.example|grace@navy.example>&gt;",)
        + (["Grace Hopper"], []),
        ("Name: Grace Hopper grace@navy.example", ["Grace Hopper"], []),
        ("Spoke to her today, Company: US Navy, next week", [], ["US Navy"]),
        ("Name: Grace Hopper, Company: US Navy", ["Grace Hopper"], ["US Navy"]),
        ("talked to Kay Ng at Kay Labs today", ["Kay Ng"], ["Kay Labs"]),
        ("Met Kay Ng <kay@kay.dev>", ["Kay Ng"], []),
        ("coffee with Jean-Luc O'Brien of Acme & Sons.", ["Jean-Luc O'Brien"], ["Acme & Sons"]),
        ("met him today at the fair", [], []),
        ("We met at the office, nobody new", [], []),
    ],
)
def test_names_and_companies_said_in_prose(text, names, companies):
    found = extract(text)
    assert found.names == names
    assert found.companies == companies


def test_a_meeting_note_fills_the_person_form():
    found = extract("Just met Grace Hopper from navy.example, great chat")
    values = match_inputs(found, ["full_name", "company_domain"])
    assert values == {"full_name": "Grace Hopper", "company_domain": "navy.example"}


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


FRAGMENTS = st.sampled_from(
    [
        "met", "Met", "talked to", "from", "at", "of", "Name:", "Company:", "Grace", "Hopper",
        "US", "Navy", "Kay", "Ng", "<grace@navy.example>", "grace@navy.example", ",", "\n",
        "navy.example", "https://acme.io/x", "<https://x.io|x.io>", "Jean-Luc", "O'Brien",
        "&amp;", "Labs", "the", "and", "<@U123>", "ada.lovelace@ex.com", "First name: Ada",
        "Last name: Byron", "*Name:*", "+1 555 010 2030", "linkedin.com/in/ada-l",
    ]
)  # fmt: skip
TEXTS = st.one_of(
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=25).map(" ".join),
    st.text(max_size=200),
)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_extraction_never_invents_a_value(text):
    """Every word of every value found stands in the text (Slack markup undone, any case)."""
    seen = _words(text) | _words(unslack(text))
    found = extract(text)
    for value in [*found.names, *found.companies, *found.emails, *found.domains, *found.phones]:
        assert _words(value) <= seen, value
    for url in found.urls:
        assert url in text or url in unslack(text)
    for profile in found.linkedin:
        assert _words(profile.rsplit("/", 1)[-1]) <= seen
