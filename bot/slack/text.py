"""mrkdwn escaping, truncation and readable rendering of BitScale values.

Everything user-visible that comes from BitScale or from users passes through `escape`,
so a value can never ping @channel, mention someone or disguise a link.
"""

from __future__ import annotations

import json
import re
from typing import Any

ELLIPSIS = "…"
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")


def escape(text: Any) -> str:
    """Escape the three characters Slack gives meaning to in mrkdwn."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Markup the bot itself writes into a message's top-level text: mentions, channel links,
# dates and links to messages in Slack. Anything else in <…> is defused.
_OUR_MARKUP = re.compile(
    r"<(?:@[UW][A-Z0-9]{2,30}|#[CGD][A-Z0-9]{2,30}(?:\|[^<>]*)?|!date\^[^<>]*"
    r"|https://[a-z0-9-]+\.slack\.com/[^\s<>|]*(?:\|[^<>]*)?)>"
)
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")


def defuse(text: str) -> str:
    """Escape what `escape` would, except markup the bot wrote itself (see _OUR_MARKUP)
    and entities already escaped, so it can be applied to any finished text, twice or
    not at all before. Slack shows a message's top-level `text` in notifications: a
    grid named "<!channel>" must not ping a channel from there either."""
    out, pos = [], 0
    for match in _OUR_MARKUP.finditer(text):
        out.append(_escape_bare(text[pos : match.start()]))
        out.append(match.group())
        pos = match.end()
    out.append(_escape_bare(text[pos:]))
    return "".join(out)


def _escape_bare(text: str) -> str:
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """Cut `text` to at most `limit` characters, never inside an escape entity."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(marker))]
    cut = _PARTIAL_ENTITY.sub("", cut)
    return cut + marker


def plain(text: Any, limit: int) -> str:
    """Plain-text fields (labels, titles, options) need no escaping, only a length cap."""
    return truncate(" ".join(str(text).split()), limit) or "-"


def is_user_id(text: str | None) -> bool:
    return bool(_USER_ID.match(text or ""))


def mention(user_id: str) -> str:
    """A mention of a Slack user id; anything that is not an id is escaped instead."""
    return f"<@{user_id}>" if _USER_ID.match(user_id or "") else escape(user_id)


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>" if _CHANNEL_ID.match(channel_id or "") else escape(channel_id)


# Words a rep expects in capitals (or in their brand's spelling) inside a label.
KNOWN_WORDS = {
    w.lower(): w
    for w in (
        "ABM ACV AE AI API ARR B2B B2C BDR CAC CEO CFO CMO COO CPO CRM CRO CSV CTO CX DM "
        "EMEA GTM HQ HR ICP ID IP ISO KPI LTV MQL MRR NPS PDF QA ROI SaaS SDR SEO SLA SMS "
        "SQL TAM URL URLs USD UTM UUID VAT VP LinkedIn GitHub HubSpot"
    ).split()
}


def humanize_key(key: str) -> str:
    """'company_name' → 'Company name', 'linkedinURL' → 'LinkedIn URL', 'crm_id' → 'CRM ID'.

    Every letter and digit of the key is kept in order, so the label lower-cased with
    non-alphanumerics removed equals the key treated the same way.
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    words = "".join(ch if ch.isalnum() else " " for ch in spaced).split()
    if not words:
        return key or "Input"
    words = [KNOWN_WORDS.get(w.lower(), w.lower()) for w in words]
    text = " ".join(words)
    first = text[0].upper()
    if squash(first) != squash(text[0]):  # 'ß' → 'SS' would break the matching rule
        first = text[0]
    return first + text[1:]


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 run', '3 runs' (with the count formatted: '1,200 runs')."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def squash(text: str) -> str:
    """Lower-case, letters and digits only: the label/key matching rule."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


# Deeper structures are shown as compact JSON: walking them level by level once exhausted
# Python's recursion limit, and the result of a 400-deep output was never delivered.
MAX_VALUE_DEPTH = 6
TOO_DEEP = "(nested too deeply to show)"


def format_value(value: Any, depth: int = 0) -> str:
    """A BitScale output value as readable plain text (not yet escaped)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, dict)) and depth >= MAX_VALUE_DEPTH:
        return _json_or_note(value, indent=None)
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return ", ".join(format_value(v, depth + 1) for v in value) or "—"
        return "\n".join(f"• {format_value(v, depth + 1)}" for v in value)
    if isinstance(value, dict):
        return "\n".join(
            f"{humanize_key(str(k))}: {format_value(v, depth + 1)}" for k, v in value.items()
        )
    return str(value)


def full_value(value: Any) -> str:
    """The complete value for the attached file: JSON for structures, text otherwise."""
    if isinstance(value, (dict, list)):
        return _json_or_note(value, indent=2)
    return "" if value is None else str(value)


def _json_or_note(value: Any, indent: int | None) -> str:
    """JSON, indented when the structure allows it (indenting recurses in Python, the
    compact form in C), else a note instead of an exception."""
    for spaces in dict.fromkeys((indent, None)):
        try:
            return json.dumps(value, indent=spaces, ensure_ascii=False)
        except RecursionError:
            continue
    return TOO_DEEP
