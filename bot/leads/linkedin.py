"""LinkedIn profile and company links, one spelling each: what an unfurl looks up and runs.

Pure functions. People paste the same profile many ways: `HTTPS://WWW.LinkedIn.com/in/Ada/`,
`de.linkedin.com/in/ada?trk=…&utm_source=…`, `linkedin.com/in/ada/details/experience`,
`m.linkedin.com/company/acme-corp/about/`. All of them are one lead, so all of them get one
canonical URL (`https://www.linkedin.com/in/ada`): the same card, the same 30-minute rule,
the same stored result. A LinkedIn vanity name is case-insensitive, so the handle is
lower-cased; percent-escapes are decoded and written again one way. Anything else on the
host (feed posts, jobs, search pages) is not a lead and gives None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

# The unfurl domains registered in the manifest. Slack matches subdomains of a registered
# host, so locale hosts (de.linkedin.com) and the mobile host arrive as well.
UNFURL_DOMAINS = ("linkedin.com", "www.linkedin.com")
KINDS = {"in": "person", "company": "company"}
MAX_URL = 2_000  # longer text is not a link anyone pasted

# www, m (mobile) and two-letter locales (de, uk, fr…); "touch" is an older mobile host.
_HOST = re.compile(r"^(?:(?:www|m|touch|[a-z]{2})\.)?linkedin\.com$")
_HANDLE = re.compile(r"^[\w.\-]{1,100}$")  # \w is Unicode letters and digits
# The trailing id LinkedIn appends to vanity names it had to make unique (ada-lovelace-1a2b3c).
_ID_TAIL = re.compile(r"^(?=.*\d)[0-9a-z]{5,}$")


@dataclass(frozen=True)
class LinkedInLink:
    """A profile (`kind` "person") or a company page (`kind` "company")."""

    kind: str
    handle: str  # lower case, decoded

    @property
    def url(self) -> str:
        """The one spelling of this link, as runs are given it and results are found by."""
        path = "in" if self.kind == "person" else "company"
        return f"https://www.linkedin.com/{path}/{quote(self.handle, safe='-_.~')}"

    @property
    def display_name(self) -> str:
        """A readable name from the handle ("ada-lovelace-1a2b3c" → "Ada Lovelace"). Only a
        guess from the link: never shown as if it were a found result."""
        words = [w for w in re.split(r"[-_.]+", self.handle) if w]
        if len(words) > 1 and _ID_TAIL.match(words[-1]):
            words = words[:-1]
        return " ".join(w if not w.isalpha() else w.capitalize() for w in words) or self.handle


def parse(text: str) -> LinkedInLink | None:
    """The LinkedIn profile or company page a link points at, or None.

    Case, a missing scheme, locale and mobile subdomains, trailing slashes, sub-pages
    (`/details/…`, `/about/`), query strings (tracking parameters such as `trk`, `utm_*`,
    `originalSubdomain`) and fragments do not change the answer."""
    raw = (text or "").strip().strip("<>")
    if not raw or len(raw) > MAX_URL:
        return None
    if "|" in raw:  # Slack's <url|label> markup, its label dropped
        raw = raw.split("|", 1)[0]
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not _HOST.match(host):
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0].lower() not in KINDS:
        return None
    handle = unquote(segments[1]).strip().lower()
    if not _HANDLE.match(handle) or handle.strip(".-_") == "":
        return None
    return LinkedInLink(KINDS[segments[0].lower()], handle)


def canonical(text: str) -> str | None:
    """`parse(text).url`, or None for anything that is not a profile or company page."""
    link = parse(text)
    return link.url if link else None


def is_unfurl_host(url: str) -> bool:
    """Whether Slack would send this link to the bot (a registered domain or a subdomain)."""
    try:
        host = (urlsplit(url if "://" in url else "https://" + url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == d or host.endswith("." + d) for d in UNFURL_DOMAINS)
