"""Finding lead values in message text, and matching them to a grid's inputs."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.leads.extract import MAX_VALUE, Found, extract, message_texts, unslack
from bot.leads.input_match import kind_of, match_inputs

LEAD = """New lead from <https://forms.typeform.com/x|Typeform>:
*Name:* Ada Lovelace
*Email:* <mailto:ada.lovelace@acme-robotics.com|ada.lovelace@acme-robotics.com>
Company: Acme Robotics
LinkedIn: <https://www.linkedin.com/in/ada-lovelace-123/?trk=abc|profile>
Phone: +1 (555) 010-2030
cc <@U123ABC> in <#C0SALES|sales>, see report.pdf and v1.2.3"""


def test_inbound_lead_notification():
    found = extract(LEAD)
    assert found.emails == ["ada.lovelace@acme-robotics.com"]
    assert found.domains[0] == "acme-robotics.com"  # the email's, not the form service's
    assert found.linkedin == ["https://www.linkedin.com/in/ada-lovelace-123"]
    assert found.phones == ["+1 (555) 010-2030"]
    assert found.names == ["Ada Lovelace"]
    assert found.companies == ["Acme Robotics"]
    assert "report.pdf" not in found.domains and "v1.2.3" not in " ".join(found.domains)


def test_matching_by_what_keys_say():
    values = match_inputs(
        extract(LEAD),
        [
            "company_name",
            "website",
            "full_name",
            "company_domain",
            "work_email",
            "linkedin_url",
            "phone_number",
            "first_name",
            "last_name",
            "topic",
        ],
    )
    assert values == {
        "company_name": "Acme Robotics",
        "website": "acme-robotics.com",
        "full_name": "Ada Lovelace",
        "company_domain": "acme-robotics.com",
        "work_email": "ada.lovelace@acme-robotics.com",
        "linkedin_url": "https://www.linkedin.com/in/ada-lovelace-123",
        "phone_number": "+1 (555) 010-2030",
        "first_name": "Ada",
        "last_name": "Lovelace",
    }


def test_domains_in_and_out_of_slack_link_markup():
    assert extract("can someone look up acme.com?").domains == ["acme.com"]
    assert extract("<http://acme.com|acme.com>").domains == ["acme.com"]
    assert extract("see <https://www.Acme.io/pricing?x=1>").domains == ["acme.io"]
    assert extract("see <https://www.acme.io/pricing?x=1>").urls == [
        "https://www.acme.io/pricing?x=1"
    ]
    assert match_inputs(extract("<https://acme.io/about|our site>"), ["website"]) == {
        "website": "https://acme.io/about"
    }
    # the link's label is not a second, different value
    assert extract("<http://acme.com|click here>").domains == ["acme.com"]


def test_emails_in_mailto_markup_and_free_mail():
    found = extract("write to <mailto:Bob@Example.org|Bob@Example.org> or john.smith@gmail.com")
    assert found.emails == ["bob@example.org", "john.smith@gmail.com"]
    assert match_inputs(found, ["company_domain"]) == {"company_domain": "example.org"}
    gmail_only = extract("john.smith@gmail.com")
    assert match_inputs(gmail_only, ["domain"]) == {}  # gmail.com is nobody's company
    assert gmail_only.names == ["John Smith"]  # first.last@ gives a name


def test_linkedin_urls_in_several_spellings():
    for text in (
        "https://linkedin.com/in/ada",
        "<https://www.linkedin.com/in/ada/|Ada on LinkedIn>",
        "linkedin.com/in/ada",
        "http://de.linkedin.com/in/ada?trk=1",
    ):
        found = extract(text)
        assert found.linkedin == ["https://www.linkedin.com/in/ada"], text
        assert "linkedin.com" not in match_inputs(found, ["domain"]).get("domain", "")


def test_mentions_channels_and_specials_are_not_values():
    found = extract("<@U0ANA> <!here> <#C0SALES|sales> <!subteam^S1|@team>")
    assert found.empty


def test_labelled_line_wins_for_its_own_key():
    found = extract("Company domain: acme.io\nwebsite: https://other.com")
    assert match_inputs(found, ["company_domain"]) == {"company_domain": "acme.io"}
    assert found.domains[0] == "acme.io"


def test_kind_of_keys():
    assert kind_of("linkedin_url") == "linkedin"
    assert kind_of("company_domain") == "domain"
    assert kind_of("companyWebsite") == "url"
    assert kind_of("company_name") == "company"
    assert kind_of("full_name") == "name"
    assert kind_of("firstName") == "first_name"
    assert kind_of("EmailAddress") == "email"
    assert kind_of("duration_seconds") is None


def test_attachments_text_is_read():
    message = {
        "text": "New signup",
        "attachments": [
            {
                "title": "Lead",
                "text": "Email: ana@acme.io",
                "fields": [{"title": "Company", "value": "Acme"}],
            }
        ],
    }
    found = extract(message_texts(message))
    assert found.emails == ["ana@acme.io"] and found.companies == ["Acme"]


def test_entities_are_decoded():
    assert unslack("AT&amp;T &lt;x&gt;") == "AT&T <x>"


def test_round_trip_through_a_session():
    found = extract(LEAD)
    again = Found.from_dict(found.to_dict())
    assert match_inputs(again, ["website", "full_name"]) == match_inputs(
        found, ["website", "full_name"]
    )
    assert Found.from_dict({"emails": "not a list", "labelled": []}).empty


_SLACKY = st.lists(
    st.sampled_from(
        list("abc.-@:/<>|_ *\n\t&;#!+()0123456789ALé")
        + ["http", "https://", "mailto:", "linkedin.com/in/", "&amp;", "<@U1>", ".com"]
    ),
    max_size=80,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), _SLACKY))
def test_odd_text_never_breaks_and_values_are_well_formed(text):
    found = extract(text)
    for email in found.emails:
        assert re.fullmatch(r"[^@\s]+@[a-z0-9.-]+\.[a-z]{2,24}", email)
    for domain in found.domains:
        assert "." in domain and " " not in domain and domain == domain.lower()
    for link in found.linkedin:
        assert link.startswith("https://www.linkedin.com/")
    values = match_inputs(found, ["email", "domain", "website", "linkedin", "full_name", "x"])
    assert "x" not in values
    assert all(0 < len(v) <= MAX_VALUE for v in values.values())
    assert all("<@" not in v for v in values.values())


@settings(max_examples=200, deadline=None)
@given(
    st.from_regex(r"[a-z]{1,12}(-[a-z]{1,8})?\.(com|io|de|co\.uk)", fullmatch=True).filter(
        lambda d: not d.startswith("www.")  # "www." is taken off: www.com is not a company
    ),
    st.sampled_from(["{d}", "<http://{d}|{d}>", "<https://www.{d}/about|site>", "x@{d}"]),
    st.text(alphabet=" ,;!?\n", max_size=3),
)
def test_any_domain_is_found_in_any_markup(domain, template, sep):
    found = extract("look up" + sep + " " + template.format(d=domain) + sep)
    assert found.domains[0] == domain


def test_a_linkedin_handle_stops_at_markup_and_its_kind_is_lower_case():
    found = extract("LINKEDIN.COM/IN/<@ and linkedin.com/IN/ada-lovelace<@U123>")
    assert found.linkedin == ["https://www.linkedin.com/in/ada-lovelace"]
