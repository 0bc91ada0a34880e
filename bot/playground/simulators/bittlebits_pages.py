"""What the Bittlebits simulator says about a page: scores and rewrite suggestions made up
from the URL (the same URL always gets the same answer). A URL containing `hostile` gets
text written to attack Slack formatting."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

METRICS = (
    "citation_readiness",
    "content_depth",
    "entity_clarity",
    "answer_structure",
    "source_authority",
    "freshness",
    "schema_markup",
)
HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|click here> & *bold*"


def _seed(page: str) -> bytes:
    return hashlib.sha256(page.encode()).digest()


def metrics(page: str) -> dict[str, float]:
    seed = _seed(page)
    metrics = {name: round(2 + (seed[i] % 80) / 10, 1) for i, name in enumerate(METRICS)}
    if "hostile" in page:
        metrics[HOSTILE] = 1.0
    return metrics


def html(page: str) -> str:
    return f"# {page}\n\nWelcome to our site. We do things.\n"


def suggestions(page: str) -> list[dict[str, Any]]:
    host = urlsplit(page).netloc or "this site"
    spots = ["hero-h1", "hero-sub", "pricing-intro", "faq-1", "faq-2", "footer-about", "cta"]
    out = [
        {
            "stable_id": spot,
            "current_text": f"Welcome to {host}" if i == 0 else f"Some text in {spot}",
            "suggested_text": f"{host}: the clear answer for {spot.replace('-', ' ')}",
            "rationale": "More specific entity signal for AI citation",
            "is_addition": i == len(spots) - 1,
        }
        for i, spot in enumerate(spots)
    ]
    if "hostile" in page:
        out[0]["current_text"] = HOSTILE
        out[0]["suggested_text"] = HOSTILE
        out[0]["rationale"] = HOSTILE
        out[0]["stable_id"] = HOSTILE
    return out
