"""Page scores and rewrite suggestions (Bittlebits) from Slack: the URL, the run, the reply.

Shared by `/bitscale score|rewrite <url>`, the message shortcut and Run again. The run
goes through the same core as a grid run: announced in the channel, answered in its
thread, and recovered after a restart.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.providers.bittlebits.provider import NAME, make_target, title
from bot.runs.types import RunRefused, RunRequest
from bot.slack.services import Services
from bot.slack.text import escape
from bot.store.run_record import Run

KINDS = ("score", "rewrite")
MAX_URL = 2000
NOT_SET_UP = (
    "Page scores and rewrite suggestions come from Bittlebits, which is not set up on this "
    "bot yet. Ask whoever runs the bot to set BITTLEBITS_API_KEY (Bittlebits → Settings → "
    "API Key) and restart it; BITTLEBITS_API_URL only needs setting for a test server."
)
BAD_URL = (
    "That does not look like a web page address. Give the full address, for example "
    "`/bitscale {kind} https://prospect.example/pricing`."
)
_SLACK_LINK = re.compile(r"^<([^|>]+)(?:\|[^>]*)?>$")
_URL_IN_TEXT = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>|(https?://[^\s<>|]+)")


def parse_url(text: str) -> str | None:
    """A page address from what a person typed (Slack may wrap it as <url|label>)."""
    text = text.strip()
    link = _SLACK_LINK.match(text)
    if link:
        text = link.group(1)
    if not text or len(text) > MAX_URL or any(c.isspace() for c in text):
        return None
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "." not in host or host.startswith("."):
        return None
    return text


def urls_in(text: str) -> list[str]:
    """Web addresses in a message's text, in order, without repeats."""
    found: list[str] = []
    for match in _URL_IN_TEXT.finditer(text or ""):
        url = parse_url(match.group(1) or match.group(2))
        if url and url not in found:
            found.append(url)
    return found


def enabled(services: Services) -> bool:
    return NAME in services.runs.providers


@dataclass
class PageAnswer:
    text: str  # mrkdwn, already escaped where it quotes anything
    started: bool


def start_page_run(
    services: Services,
    kind: str,
    url: str,
    *,
    user_id: str,
    channel_id: str | None,
    team_id: str | None = None,
    thread_ts: str | None = None,
    source: str = "command",
    dedupe_key: str | None = None,
) -> PageAnswer:
    if not enabled(services):
        return PageAnswer(NOT_SET_UP, False)
    request = _request(
        kind,
        url,
        user_id=user_id,
        channel_id=channel_id,
        team_id=team_id,
        thread_ts=thread_ts,
        source=source,
        dedupe_key=dedupe_key,
    )
    try:
        run, created = services.runs.start_run(request)
    except RunRefused as refusal:
        return PageAnswer(f"🚫 {escape(str(refusal))}", False)
    run = services.store.get_run(run.id) or run  # now with its announcement's permalink
    return _describe(run, created, kind, url)


def _request(
    kind: str,
    url: str,
    *,
    user_id: str,
    channel_id: str | None,
    team_id: str | None,
    thread_ts: str | None,
    source: str,
    dedupe_key: str | None,
) -> RunRequest:
    return RunRequest(
        provider=NAME,
        target=make_target(kind, url),  # type: ignore[arg-type]
        grid_name=title(kind, url),  # type: ignore[arg-type]
        inputs={"page": url},
        user_id=user_id,
        channel_id=channel_id,
        team_id=team_id,
        thread_ts=thread_ts,
        source=source,
        dedupe_key=dedupe_key,
    )


def _describe(run: Run, created: bool, kind: str, url: str) -> PageAnswer:
    page = f"<{url}|{escape(url)}>" if "|" not in url and ">" not in url else escape(url)
    what = "Scoring" if kind == "score" else "Getting rewrite suggestions for"
    where = f" <{run.permalink}|in the thread>" if run.permalink else " in the thread"
    if not created:
        return PageAnswer(f"That request is already under way; the result lands{where}.", True)
    if run.joined_to:
        return PageAnswer(
            f"{what} {page}: someone asked for this page a moment ago, so yours joins that "
            f"request and you both get the result{where}.",
            True,
        )
    # Held back by Bittlebits' hourly budget: `counted_from` is when it may go.
    wait = (run.counted_from or 0) - time.time()
    if run.state == "queued" and wait > 1:
        at = time.strftime("%H:%M", time.gmtime(run.counted_from))
        return PageAnswer(
            f"{what} {page}. Bittlebits takes 100 pages an hour from this bot and this hour's "
            f"are used up, so yours goes in at {at} UTC (in about {max(1, round(wait / 60))} "
            f"min). The result lands{where}.",
            True,
        )
    return PageAnswer(
        f"{what} {page}. This usually takes under a minute; the result lands{where}.", True
    )
