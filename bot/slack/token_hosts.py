"""Which URLs may be sent the bot token. A URL from Slack's answers (a file's
`url_private_download`, a redirect) is data: a crafted `files.info` or a compromised proxy
could name any host. The token goes only over https to Slack's own hosts, or to the Web API
origin the operator configured (SLACK_API_URL: a proxy, or the playground's stand-in)."""

from __future__ import annotations

from urllib.parse import urlsplit

# Slack serves private files from files.slack.com (and workspace hosts under slack.com).
SLACK_DOMAIN = "slack.com"


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.lower(), port or default


def may_carry_token(url: str, api_url: str | None = None) -> bool:
    """True when `url` may be sent `Authorization: Bearer <bot token>`."""
    origin = _origin(url)
    if origin is None:
        return False
    scheme, host, port = origin
    if scheme == "https" and port == 443 and (
        host == SLACK_DOMAIN or host.endswith("." + SLACK_DOMAIN)
    ):
        return True
    return api_url is not None and origin == _origin(api_url)
