"""Find lead values in a Slack message (input_match.py matches them to a grid's input keys).

Pure functions, no Slack and no I/O: the message shortcut, mentions and the shell all
pre-fill a run form from text. Slack's own markup is undone first (`<http://x.io|x.io>`,
`<mailto:…|…>`, `&amp;`), then emails, URLs, domains, LinkedIn profile URLs, phone numbers
and `Label: value` lines are collected; phrases.py finds names and companies said in
prose (`met Grace Hopper from US Navy`, `Grace Hopper <grace@navy.example>`).
`match_inputs` decides which value fits which input by what the key says (`email`,
`domain`/`website`/`url`, `linkedin`, `company`, `name`, …). Nothing there guesses hard: a
rep sees the pre-filled form before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.leads.phrases import field_value, names_and_companies

MAX_TEXT = 20_000  # longer messages are read up to here: a lead is at the top
MAX_VALUE = 2_000  # the run form's limit for one input

_LINK = re.compile(r"<([^<>|\s]+)(?:\|([^<>]*))?>")
_EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24})(?![\w-])"
)
_URL = re.compile(r"\bhttps?://[^\s<>()\"'`|]+", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![\w@./-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})"
    r"(?![\w@-]|\.[A-Za-z0-9])"
)
_PHONE = re.compile(r"(?<![\w+])(\+?\(?\d[\d\s().-]{6,20}\d)(?!\w)")
_LABELLED = re.compile(
    r"^\s*[*_>•-]*\s*([A-Za-z][A-Za-z0-9 _./-]{0,40}?)\s*[*_]*\s*[:=](?!//)\s*(.+)$"
)
# A handle is letters, digits, "-", "_", "." or %-escapes: never markup such as "<@".
_LINKEDIN = re.compile(r"linkedin\.com/(in|pub|company)/([\w%.-]+)", re.IGNORECASE)
# Top-level domains real people type; a "domain" ending otherwise (file.txt, v1.2) is noise.
_FILE_ENDINGS = {
    "txt", "csv", "pdf", "png", "jpg", "jpeg", "gif", "doc", "docx", "xls", "xlsx", "ppt",
    "pptx", "zip", "json", "yml", "yaml", "py", "js", "ts", "md", "html", "htm", "exe", "mp4",
    "mov", "svg", "log", "sh", "gz", "tar",
}  # fmt: skip
FREE_MAIL = {
    "gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "hotmail.com", "live.com",
    "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
    "web.de", "mail.com", "yandex.com", "zoho.com",
}  # fmt: skip


@dataclass
class Found:
    """What a message holds, each list in order of first appearance, without repeats."""

    emails: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    linkedin: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    labelled: dict[str, str] = field(default_factory=dict)  # squashed label → value
    # where each domain came from, for ranking: labelled line, email, bare text, link
    _domain_rank: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        return not (
            self.emails
            or self.urls
            or self.domains
            or self.linkedin
            or self.phones
            or self.names
            or self.companies
            or self.labelled
        )

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v and not k.startswith("_")}

    @classmethod
    def from_dict(cls, data: dict | None) -> Found:
        data = data or {}
        found = cls()
        for name in ("emails", "urls", "domains", "linkedin", "phones", "names", "companies"):
            value = data.get(name)
            if isinstance(value, list):
                setattr(found, name, [str(v) for v in value])
        labelled = data.get("labelled")
        if isinstance(labelled, dict):
            found.labelled = {str(k): str(v) for k, v in labelled.items()}
        return found

    def summary(self) -> list[tuple[str, str]]:
        """(kind, value) pairs for showing a person what was found."""
        pairs: list[tuple[str, str]] = []
        for kind, values in (
            ("Email", self.emails),
            ("LinkedIn", self.linkedin),
            ("Website", self.urls),
            ("Domain", self.domains),
            ("Phone", self.phones),
            ("Name", self.names),
            ("Company", self.companies),
        ):
            pairs += [(kind, v) for v in values]
        return pairs


def squash(text: str) -> str:
    """The label rule: lower case, letters and digits only."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def unslack(text: str) -> str:
    """Undo Slack's message markup: links become their target (mailto:/tel: their value),
    mentions of people and channels disappear, and the three entities are decoded."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#", "!")):
            return " "
        lowered = target.lower()
        if lowered.startswith("mailto:"):
            return " " + target[7:].split("?")[0] + " "
        if lowered.startswith("tel:"):
            return " " + (label or target[4:]) + " "
        return " " + target + " "

    text = _LINK.sub(link, text[:MAX_TEXT])
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def message_texts(message: dict) -> list[str]:
    """The text of a Slack message and of its attachments (pretext, title, text, fields)."""
    parts = [str(message.get("text") or "")]
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        for key in ("pretext", "title", "title_link", "text", "fallback"):
            if attachment.get(key):
                parts.append(str(attachment[key]))
        for item in attachment.get("fields") or []:
            if isinstance(item, dict) and item.get("title") and item.get("value"):
                parts.append(f"{item['title']}: {item['value']}")
    return [p for p in parts if p.strip()]


def extract(texts: str | Sequence[str]) -> Found:
    """Collect lead values from one or more texts (Slack markup allowed)."""
    if isinstance(texts, str):
        texts = [texts]
    found = Found()
    budget = MAX_TEXT
    for raw in texts:
        if budget <= 0:
            break
        text = unslack(str(raw)[:budget])
        budget -= len(text)
        _collect(text, found)
    _fallbacks(found)
    return found


def _collect(text: str, found: Found) -> None:
    for line in text.splitlines():
        match = _LABELLED.match(line)
        if match:
            label, value = squash(match.group(1)), match.group(2).strip().strip("*_`").strip()
            if label and value and label not in found.labelled and not label.startswith("http"):
                found.labelled[label] = value[:MAX_VALUE]
    for label in ("domain", "companydomain", "website", "companywebsite", "url", "web"):
        value = found.labelled.get(label, "")
        host = host_of(value) if "://" in value else value.split("/")[0]
        if _DOMAIN.fullmatch(host.strip()):
            _add_domain(found, host.strip(), rank=0)
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?*_~'\"")
        if _LINKEDIN.search(url):
            _add(found.linkedin, _clean_linkedin(url))
        else:
            _add(found.urls, url[:MAX_VALUE])
            _add_domain(found, host_of(url), rank=3)
    without_urls = _URL.sub(" ", text)
    for match in _LINKEDIN.finditer(without_urls):  # "linkedin.com/in/ada" without https
        _add(found.linkedin, _clean_linkedin("https://www." + match.group(0)))
    without_urls = _LINKEDIN.sub(" ", without_urls)
    for match in _EMAIL.finditer(without_urls):
        email = match.group(1)
        _add(found.emails, email.lower())
        _add_domain(found, email.rsplit("@", 1)[1], rank=1)
    without_emails = _EMAIL.sub(" ", without_urls)
    for match in _DOMAIN.finditer(without_emails):
        _add_domain(found, match.group(1), rank=2)
    for match in _PHONE.finditer(without_emails):
        phone = " ".join(match.group(1).split())
        digits = sum(ch.isdigit() for ch in phone)
        if 7 <= digits <= 15 and not re.fullmatch(r"[\d.]+", phone):
            _add(found.phones, phone)
        elif 10 <= digits <= 15 and phone.startswith("+"):
            _add(found.phones, phone)
    for label, value in found.labelled.items():
        if label in ("name", "fullname", "contact", "contactname", "lead", "leadname", "person"):
            # "Grace Hopper grace@navy.example", "Grace Hopper, Company: US Navy": the name
            _add(found.names, field_value(value))
        elif label in ("company", "companyname", "organization", "organisation", "account"):
            if not _URL.search(value):
                _add(found.companies, field_value(value))
    names, companies = names_and_companies(without_urls)
    for name in names:
        _add(found.names, name)
    for company in companies:
        _add(found.companies, company)


def _fallbacks(found: Found) -> None:
    """Rank domains (a labelled line, then emails, then plain text, then links); a name
    from `first.last@` when nothing named a person."""
    order = {d: i for i, d in enumerate(found.domains)}
    found.domains.sort(key=lambda d: (found._domain_rank.get(d, 9), order[d]))
    if not found.names:
        first, last = found.labelled.get("firstname"), found.labelled.get("lastname")
        if first and last:
            _add(found.names, f"{first} {last}"[:200])
    if not found.names:
        for email in found.emails:
            local = email.split("@", 1)[0]
            parts = [p for p in re.split(r"[._-]", local) if p.isalpha() and len(p) > 1]
            if len(parts) == 2:
                _add(found.names, " ".join(p.capitalize() for p in parts))
                break


def _add(values: list[str], value: str) -> None:
    if value and value not in values:
        values.append(value)


def host_of(url: str) -> str:
    rest = url.split("://", 1)[-1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].split("@")[-1].split(":")[0]
    return host.lower()


def _add_domain(found: Found, host: str, rank: int) -> None:
    host = host.lower().strip(".")
    if host.startswith("www."):
        host = host[4:]
    if "." not in host or host.rsplit(".", 1)[-1] in _FILE_ENDINGS:
        return
    if not re.fullmatch(r"[a-z0-9.-]+", host) or host.rsplit(".", 1)[-1].isdigit():
        return
    if rank < found._domain_rank.get(host, 99):
        found._domain_rank[host] = rank
    _add(found.domains, host)


def _clean_linkedin(url: str) -> str:
    """One spelling per profile: https://www.linkedin.com/in/<handle>."""
    match = _LINKEDIN.search(url)
    if not match:
        return url[:MAX_VALUE]
    return f"https://www.linkedin.com/{match.group(1).lower()}/{match.group(2)}"
