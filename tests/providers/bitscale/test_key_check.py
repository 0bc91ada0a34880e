"""The start-up check of the BitScale key speaks to the operator: which variable, what
BitScale said, where to get a key; and never holds the key."""

from __future__ import annotations

import httpx
import pytest
import respx

from bot.providers.base import ProviderError
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.key_check import STORED_KEY
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.limiter import RateLimiter

BASE = "https://api.test/api/v1"
KEY = "bs-live-0123456789"


@pytest.fixture
def provider():
    client = BitScaleClient(KEY, BASE, limiter=RateLimiter(rate=1000), sleep=lambda s: None)
    yield BitScaleProvider(client)
    client.close()


def failed_check(provider) -> str:
    with pytest.raises(ProviderError) as info:
        provider.check()
    return str(info.value)


@respx.mock
def test_a_refused_key_names_the_variable_and_where_to_get_one(provider):
    body = {"error": {"code": "INVALID_API_KEY", "message": f"API key {KEY} is not valid"}}
    respx.get(f"{BASE}/workspace").respond(401, json=body)
    line = failed_check(provider)
    assert line == (
        "BitScale refused BITSCALE_API_KEY (INVALID_API_KEY, HTTP 401: API key *** is not "
        "valid). Copy a key from BitScale → Settings → Accounts → API Keys (an Enterprise "
        "feature) into BITSCALE_API_KEY and restart; until then every run fails."
    )
    assert KEY not in line


@respx.mock
def test_a_refused_stored_key_says_it_was_the_stored_one(provider):
    provider.key_source = STORED_KEY
    respx.get(f"{BASE}/workspace").respond(401, json={"error": "INVALID_API_KEY"})
    line = failed_check(provider)
    assert line.startswith(f"BitScale refused {STORED_KEY} (INVALID_API_KEY, HTTP 401")
    assert "Set BITSCALE_API_KEY to a current key" in line and "delete the stored one" in line


@respx.mock
def test_a_workspace_without_api_access(provider):
    body = {"error": {"code": "FEATURE_DISABLED", "message": "API access is not enabled"}}
    respx.get(f"{BASE}/workspace").respond(403, json=body)
    assert failed_check(provider) == (
        "BitScale accepts BITSCALE_API_KEY but not API calls from its workspace "
        "(FEATURE_DISABLED, HTTP 403: API access is not enabled): the API is an Enterprise "
        "feature; check the workspace's plan."
    )


@respx.mock
def test_bitscale_out_of_reach_names_the_url(provider):
    respx.get(f"{BASE}/workspace").mock(side_effect=httpx.ConnectError("refused"))
    line = failed_check(provider)
    assert line.startswith(f"could not reach BitScale at BITSCALE_API_URL={BASE} to check ")
    assert "Check the network or BITSCALE_API_URL" in line
