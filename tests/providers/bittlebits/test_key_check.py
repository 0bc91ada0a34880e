"""The start-up check of the Bittlebits key speaks to the operator, never holds the key."""

from __future__ import annotations

import pytest
import respx

from bot.providers.base import ProviderError
from bot.providers.bittlebits.client import BittlebitsClient
from bot.providers.bittlebits.provider import BittlebitsProvider
from bot.providers.limiter import RateLimiter

BASE = "https://bb.test/api"


@respx.mock
def test_a_refused_key_names_the_variable_and_the_way_out():
    client = BittlebitsClient(
        "bb-secret-key",
        BASE,
        post_limiter=RateLimiter(rate=100, per=3600),
        get_limiter=RateLimiter(rate=1000),
    )
    respx.get(f"{BASE}/v1/score").respond(401, json={"detail": "Invalid API key"})
    try:
        with pytest.raises(ProviderError) as info:
            BittlebitsProvider(client).check()
    finally:
        client.close()
    assert str(info.value) == (
        "Bittlebits refused BITTLEBITS_API_KEY (UNAUTHORIZED). Copy the key from Bittlebits → "
        "Settings → API Key and restart, or unset BITTLEBITS_API_KEY to turn /bitscale score "
        "and rewrite off."
    )
