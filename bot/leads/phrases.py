"""Names and companies said in prose, found by a small set of rules (no model): each rule
takes only words that stand in the text, so nothing is ever invented.

- `Grace Hopper <grace@navy.example>`: capitalised words just before an email
- `Name: Grace Hopper grace@navy.example`, `… Company: US Navy` inside a line: a field's
  words, up to an email, a link, the next field or a separator
- `met Grace Hopper from US Navy`, `talked to Kay Ng at Kay Labs`: a person after a
  meeting verb, and the company after from/at (a domain there is left to the domains)
"""

from __future__ import annotations

import re

# A name's word: capitalised (Grace, O'Brien, Jean-Luc, McKay).
_WORD = r"(?:[A-Z]['’])?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?"
NAME = rf"{_WORD}(?:[ \t]+{_WORD}){{1,2}}"
# A company's word: starts with a capital or digit (US, IBM, 3M, Acme, Inc.).
_CO_WORD = r"[A-Z0-9][\w&'’.-]*"
COMPANY = rf"{_CO_WORD}(?:[ \t]+(?:{_CO_WORD}|&|of|and|de|the)){{0,5}}"

_EMAIL = r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}"
_BEFORE_EMAIL = re.compile(rf"(?<![\w@.])({NAME})[ \t]*[<(\[]?[ \t]*(?:mailto:)?{_EMAIL}")
_MET = re.compile(
    r"\b(?i:met|meeting|meet|talked to|talking to|talked with|spoke to|spoke with|"
    r"speaking with|chatted with|call with|intro to|introduced to|heard from|lunch with|"
    r"coffee with)[ \t]+"
    rf"({NAME})"
    rf"(?:[ \t]*,?[ \t]+(?i:from|at|of)[ \t]+({COMPANY}))?"
)
# Words that start a sentence before a name ("Met Kay Ng <kay@…>"), never part of it.
_LEAD_IN = {
    "met", "meet", "meeting", "hi", "hello", "hey", "dear", "from", "to", "cc", "with",
    "intro", "thanks", "ping", "email", "contact", "call", "by", "and", "ask", "via",
}  # fmt: skip
_FIELD_LABELS = {
    "name": "name",
    "full name": "name",
    "contact": "name",
    "company": "company",
    "company name": "company",
    "organization": "company",
    "organisation": "company",
    "account": "company",
}
_INLINE_FIELD = re.compile(
    r"(?<![\w])(" + "|".join(sorted(_FIELD_LABELS, key=len, reverse=True)) + r")[ \t]*:[ \t]*",
    re.IGNORECASE,
)
# Where a field's value ends: an email, a link, a separator, or the next `Label:`.
_VALUE_END = re.compile(
    rf"{_EMAIL}|https?://|[<>(|;,·•\n]|[ \t][-–—][ \t]|[ \t][A-Za-z][A-Za-z ]{{0,20}}:"
)
_STOP_WORDS = {"of", "and", "de", "the", "&"}


def names_and_companies(text: str) -> tuple[list[str], list[str]]:
    """(names, companies) in order of appearance; text is Slack markup already undone."""
    names: list[str] = []
    companies: list[str] = []
    for line in text.splitlines():
        for match in _INLINE_FIELD.finditer(line):
            value = field_value(line[match.end() :])
            if not value:
                continue
            kind = _FIELD_LABELS[match.group(1).lower()]
            if kind == "name" and re.fullmatch(NAME, value):
                _add(names, value)
            elif kind == "company" and "." not in value.split()[-1]:
                _add(companies, value)
        for match in _BEFORE_EMAIL.finditer(line):
            words = match.group(1).split()
            while words and words[0].lower() in _LEAD_IN:
                words.pop(0)
            if len(words) >= 2:
                _add(names, " ".join(words))
        for match in _MET.finditer(line):
            name = _capitalised_only(match.group(1))
            if name:
                _add(names, name)
            company = _company(match.group(2) or "")
            if company:
                _add(companies, company)
    return names, companies


def field_value(rest: str) -> str:
    """A field's value: its words up to an email, a link, a separator or the next field."""
    end = _VALUE_END.search(rest)
    value = (rest[: end.start()] if end else rest).strip(" \t*_`'\"")
    return value[:200]


def _capitalised_only(name: str) -> str:
    """The IGNORECASE verb match must not let 'met him today' through as a name."""
    return name if re.fullmatch(NAME, name) else ""


def _company(text: str) -> str:
    words = text.split()
    while words and words[-1].lower() in _STOP_WORDS:
        words.pop()
    company = " ".join(words).rstrip(".")
    if not company or not re.fullmatch(COMPANY, company):
        return ""
    # A domain after "from" (navy.example) is the domains' business, not a company name.
    if re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", company):
        return ""
    return company


def _add(values: list[str], value: str) -> None:
    if value and value not in values:
        values.append(value)
