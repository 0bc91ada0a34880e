"""Match the values found in a message (extract.py) to a grid's input keys, by what each
key says it asks for. Nothing here guesses hard: a rep sees the pre-filled form before
anything runs."""

from __future__ import annotations

from collections.abc import Iterable

from bot.leads.extract import FREE_MAIL, MAX_VALUE, Found, host_of, squash

_NOT_COMPANY_DOMAINS = FREE_MAIL | {"linkedin.com", "www.linkedin.com", "slack.com"}


def company_domains(found: Found) -> list[str]:
    """Domains that can stand for a company: not free mail, not LinkedIn."""
    return [d for d in found.domains if d not in _NOT_COMPANY_DOMAINS]


def kind_of(key: str) -> str | None:
    """What a grid input asks for, read from its key: 'email', 'linkedin', 'phone',
    'domain', 'url', 'company', 'first_name', 'last_name', 'name', or None."""
    k = squash(key)
    if "linkedin" in k:
        return "linkedin"
    if "email" in k or k.endswith("mail"):
        return "email"
    if any(w in k for w in ("phone", "mobile", "telephone")) or k in ("tel", "cell"):
        return "phone"
    if "domain" in k:
        return "domain"
    if any(w in k for w in ("website", "url", "homepage", "site")) or k == "web":
        return "url"
    if any(w in k for w in ("company", "organization", "organisation", "account", "business")):
        return "company"
    if k in ("org", "employer"):
        return "company"
    if "firstname" in k or k in ("first", "givenname"):
        return "first_name"
    if "lastname" in k or k in ("last", "surname", "familyname"):
        return "last_name"
    if "name" in k or k in ("person", "contact", "lead", "fullname"):
        return "name"
    return None


def candidates(found: Found, kind: str) -> list[str]:
    domains = company_domains(found)
    if kind == "email":
        return found.emails
    if kind == "linkedin":
        return found.linkedin
    if kind == "phone":
        return found.phones
    if kind == "domain":
        return domains
    if kind == "url":
        ranked = []  # the best-ranked domain's own link if the message had one
        for domain in domains:
            links = [u for u in found.urls if host_of(u).removeprefix("www.") == domain]
            ranked.append(links[0] if links else domain)
        return ranked
    if kind == "company":
        return found.companies or [_company_from_domain(d) for d in domains[:1]]
    if kind == "name":
        return found.names
    if kind in ("first_name", "last_name"):
        parts = [n.split() for n in found.names if len(n.split()) >= 2]
        return [p[0] if kind == "first_name" else " ".join(p[1:]) for p in parts]
    return []


def _company_from_domain(domain: str) -> str:
    label = domain.split(".")[-2] if domain.count(".") >= 1 else domain
    return label.replace("-", " ").title()


def match_inputs(found: Found, keys: Iterable[str]) -> dict[str, str]:
    """Values for the input keys the message can fill, keyed by input key.

    A `Label: value` line whose label is the key (under the label rule) wins; otherwise
    the first value of the kind the key asks for.
    """
    values: dict[str, str] = {}
    for key in keys:
        labelled = found.labelled.get(squash(key))
        if labelled:
            values[key] = labelled[:MAX_VALUE]
            continue
        kind = kind_of(key)
        options = candidates(found, kind) if kind else []
        if options:
            values[key] = options[0][:MAX_VALUE]
    return values
