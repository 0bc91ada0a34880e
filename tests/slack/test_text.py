from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.text import escape, format_value, humanize_key, mention, plural, squash, truncate


def test_escape_neutralises_mentions_and_links():
    assert escape("<!channel> & <@U1> <https://x|y>") == (
        "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt;"
    )


def test_truncate_never_cuts_an_entity():
    text = escape("a" * 8 + "&&&&")
    cut = truncate(text, 12)
    assert len(cut) <= 12 and cut.endswith("…") and "&am…" not in cut and "&…" not in cut


@given(st.text(max_size=300), st.integers(min_value=1, max_value=200))
def test_truncate_respects_the_limit(text, limit):
    assert len(truncate(text, limit)) <= max(limit, 1)


def test_humanize_examples():
    assert humanize_key("company_name") == "Company name"
    assert humanize_key("linkedinURL") == "LinkedIn URL"
    assert humanize_key("crm_owner") == "CRM owner"
    assert humanize_key("contact_id") == "Contact ID"
    assert humanize_key("ceo_name") == "CEO name"
    assert humanize_key("ai_summary") == "AI summary"
    assert humanize_key("company_url") == "Company URL"
    assert humanize_key("identity") == "Identity"  # only whole words
    assert humanize_key("website") == "Website"
    assert humanize_key("first-name (work)") == "First name work"


@given(st.text(min_size=1, max_size=60))
def test_label_matches_key_under_the_label_rule(key):
    assert squash(humanize_key(key)) == squash(key) or not squash(key)


def test_mention_only_for_real_ids():
    assert mention("U0ANA") == "<@U0ANA>"
    assert mention("<!channel>") == "&lt;!channel&gt;"


def test_format_value_is_readable():
    assert format_value(48000) == "48,000"
    assert format_value(3.5) == "3.5"
    assert format_value(["AWS", "GCP"]) == "AWS, GCP"
    assert format_value({"city": "Berlin", "country_code": "DE"}) == (
        "City: Berlin\nCountry code: DE"
    )
    assert format_value(None) == "—"
    assert format_value(True) == "Yes"


def test_plural():
    assert plural(1, "run") == "1 run"
    assert plural(3, "run") == "3 runs"
    assert plural(1200, "entry", "entries") == "1,200 entries"


@given(st.text(alphabet="<>&!@#|abc UCx;ltgmp^", max_size=60))
def test_defuse_leaves_no_live_markup_and_is_idempotent(text):
    from bot.slack.text import defuse

    once = defuse(text)
    assert defuse(once) == once
    assert "<!" not in once and "<h" not in once


def test_defuse_keeps_the_bots_own_markup():
    from bot.slack.text import defuse

    ours = "<@U0ANA> see <https://demo.slack.com/archives/C1/p1|the thread> in <#C0SALES>"
    assert defuse(ours) == ours
    assert defuse("<!channel> &amp; <https://evil|x>") == (
        "&lt;!channel&gt; &amp; &lt;https://evil|x&gt;"
    )
