"""The start-up check of the BitScale key, worded for the operator who reads the log:
which variable, what BitScale said, where to get a key. (Reps get `explain()`'s sentences,
which send them to an admin; the operator is the one they are sent to.)"""

from __future__ import annotations

from bot.providers.bitscale.errors import BitScaleError
from bot.providers.errors import CONNECTION_ERROR, TIMEOUT

KEYS_PAGE = "BitScale → Settings → Accounts → API Keys"
STORED_KEY = "the API key stored by the last rotation from Slack"


def _said(error: BitScaleError, secret: str | None) -> str:
    """BitScale's own words, cut short, with the key blanked should it echo it back."""
    where = f"HTTP {error.status}" if error.status else "no answer"
    message = " ".join((error.message or "").split())[:200]
    if secret:
        message = message.replace(secret, "***")
    return f"{error.code}, {where}: {message}" if message else f"{error.code}, {where}"


def operator_line(
    error: BitScaleError,
    *,
    api_url: str,
    key_source: str = "BITSCALE_API_KEY",
    secret: str | None = None,
) -> str:
    said = _said(error, secret)
    if error.code == "INVALID_API_KEY":
        if key_source != "BITSCALE_API_KEY":
            return (
                f"BitScale refused {key_source} ({said}). Set BITSCALE_API_KEY to a current "
                f"key from {KEYS_PAGE}, delete the stored one (README: Rotating the BitScale "
                "API key) and restart."
            )
        return (
            f"BitScale refused BITSCALE_API_KEY ({said}). Copy a key from {KEYS_PAGE} (an "
            "Enterprise feature) into BITSCALE_API_KEY and restart; until then every run "
            "fails."
        )
    if error.code == "FEATURE_DISABLED":
        return (
            f"BitScale accepts BITSCALE_API_KEY but not API calls from its workspace "
            f"({said}): the API is an Enterprise feature; check the workspace's plan."
        )
    if error.code in (TIMEOUT, CONNECTION_ERROR):
        return (
            f"could not reach BitScale at BITSCALE_API_URL={api_url} to check "
            f"BITSCALE_API_KEY ({said}). Check the network or BITSCALE_API_URL; runs wait "
            "until it answers."
        )
    return f"BitScale answered the check of BITSCALE_API_KEY with an error ({said})."
