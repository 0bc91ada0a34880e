"""LinkedIn links: every way people paste one profile is one lead."""

from __future__ import annotations

import pytest

from bot.leads.linkedin import LinkedInLink, canonical, is_unfurl_host, parse

ADA = "https://www.linkedin.com/in/ada-lovelace"


@pytest.mark.parametrize(
    "pasted",
    [
        "https://www.linkedin.com/in/ada-lovelace",
        "https://www.linkedin.com/in/ada-lovelace/",  # trailing slash
        "https://www.linkedin.com/in/ada-lovelace///",
        "HTTPS://WWW.LINKEDIN.COM/IN/Ada-Lovelace",  # case
        "http://linkedin.com/in/ada-lovelace",  # no www, plain http
        "linkedin.com/in/ada-lovelace",  # no scheme
        "https://de.linkedin.com/in/ada-lovelace",  # locale subdomains
        "https://uk.linkedin.com/in/ada-lovelace/",
        "https://m.linkedin.com/in/ada-lovelace",  # mobile
        "https://www.linkedin.com/in/ada-lovelace?trk=public_profile&utm_source=share"
        "&utm_medium=member_desktop",  # tracking parameters
        "https://www.linkedin.com/in/ada-lovelace/?originalSubdomain=uk#experience",
        "https://www.linkedin.com/in/ada-lovelace/details/experience/",  # a sub-page
        "<https://www.linkedin.com/in/ada-lovelace|linkedin.com/in/ada-lovelace>",  # markup
        "  https://www.linkedin.com/in/ada%2Dlovelace  ",  # a percent-escape
    ],
)
def test_one_profile_has_one_spelling(pasted):
    assert canonical(pasted) == ADA


def test_company_pages_and_their_sub_pages():
    for pasted in (
        "https://www.linkedin.com/company/acme-corp",
        "https://www.linkedin.com/company/Acme-Corp/about/",
        "https://fr.linkedin.com/company/acme-corp/?trk=companies_directory",
        "https://www.linkedin.com/company/acme-corp/people/?keywords=sales",
    ):
        assert canonical(pasted) == "https://www.linkedin.com/company/acme-corp"
    assert parse("https://www.linkedin.com/company/acme-corp").kind == "company"
    assert parse(ADA).kind == "person"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "https://www.linkedin.com/",
        "https://www.linkedin.com/in/",
        "https://www.linkedin.com/feed/update/urn:li:activity:123",
        "https://www.linkedin.com/jobs/view/123",
        "https://www.linkedin.com/search/results/people/?keywords=ada",
        "https://www.linkedin.com/in/<!channel>",  # markup is not a handle
        "https://www.linkedin.com/in/ada lovelace",
        "https://evil.com/in/ada-lovelace",
        "https://linkedin.com.evil.com/in/ada-lovelace",
        "https://notlinkedin.com/in/ada-lovelace",
        "https://a.b.linkedin.com/in/ada-lovelace",
        "ftp://www.linkedin.com/in/ada-lovelace",
        "https://www.linkedin.com/in/" + "a" * 3000,
        "https://www.linkedin.com/in/...",
    ],
)
def test_what_is_not_a_profile_or_company(text):
    assert parse(text) is None


def test_a_unicode_handle_is_written_one_way():
    first = canonical("https://www.linkedin.com/in/J%C3%BCrgen-M%C3%BCller")
    assert first == canonical("https://www.linkedin.com/in/jürgen-müller/")
    assert first == "https://www.linkedin.com/in/j%C3%BCrgen-m%C3%BCller"


def test_display_names_from_handles():
    assert parse("linkedin.com/in/ada-lovelace-1a2b3c4").display_name == "Ada Lovelace"
    assert parse("linkedin.com/in/ada-lovelace").display_name == "Ada Lovelace"
    assert parse("linkedin.com/company/acme-corp").display_name == "Acme Corp"
    assert parse("linkedin.com/company/3m").display_name == "3m"
    assert LinkedInLink("person", "adal").display_name == "Adal"


def test_unfurl_hosts_are_the_registered_domains_and_their_subdomains():
    assert is_unfurl_host("https://www.linkedin.com/in/ada")
    assert is_unfurl_host("https://de.linkedin.com/in/ada")
    assert not is_unfurl_host("https://linkedin.com.evil.com/in/ada")
    assert not is_unfurl_host("https://example.com")
