"""The API client against respx-mocked BitScale answers."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.errors import ERROR_CODES, BitScaleError
from bot.providers.limiter import RateLimiter

BASE = "https://api.test/api/v1"
KEY = "secret-key-123"


@pytest.fixture
def client():
    c = BitScaleClient(KEY, BASE, limiter=RateLimiter(rate=1000), sleep=lambda s: None)
    yield c
    c.close()


WORKSPACE = {
    "id": "w1",
    "name": "Acme",
    "created_at": "2025-01-01T00:00:00Z",
    "created_by": {"id": "u1"},
    "plan": {
        "name": "Enterprise",
        "credits_included": 1000,
        "billing_interval": "monthly",
        "next_billing_date": None,
        "price": None,
        "currency": None,
    },
    "credits": {
        "total": 1000,
        "used": 250,
        "remaining": 750,
        "plan_credits": 1000,
        "rollover": 0,
        "topup": 0,
    },
    "people_company_searches": {
        "limit": 100,
        "used": 10,
        "remaining": 90,
        "next_renewal_date": "2026-12-01",
    },
    "members": {"total": 3, "owners": 1, "admins": 1, "editors": 1},
    "brand_new_field": {"kept": True},
}


@respx.mock
def test_workspace_sends_key_and_parses_every_field(client):
    route = respx.get(f"{BASE}/workspace").respond(200, json=WORKSPACE)
    ws = client.workspace()
    assert route.calls.last.request.headers["X-API-KEY"] == KEY
    assert ws.credits.remaining == 750
    assert ws.plan.name == "Enterprise" and ws.plan.next_billing_date is None
    assert ws.people_company_searches.next_renewal_date == "2026-12-01"
    assert ws.members.editors == 1
    assert ws.model_extra["brand_new_field"] == {"kept": True}


@respx.mock
def test_list_grids_passes_query_and_limits(client):
    route = respx.get(f"{BASE}/grids").respond(
        200,
        json={
            "grids": [
                {
                    "id": "g1",
                    "name": "Company",
                    "description": "",
                    "row_count": 2,
                    "column_count": 3,
                    "columns": [
                        {
                            "id": "c1",
                            "name": "Industry",
                            "type": "enrichment",
                            "dependencies": ["company_name"],
                        }
                    ],
                }
            ],
            "total": 1,
            "page": 2,
            "limit": 5,
            "total_pages": 1,
        },
    )
    page = client.list_grids("comp", page=2, limit=5)
    params = route.calls.last.request.url.params
    assert params["search"] == "comp" and params["page"] == "2" and params["limit"] == "5"
    assert page.grids[0].columns[0].dependencies == ["company_name"]
    with pytest.raises(ValueError):
        client.list_grids(limit=101)


@respx.mock
def test_iter_grids_walks_every_page(client):
    def pages(request):
        page = int(request.url.params["page"])
        grids = [{"id": f"g{page}-{i}", "name": f"G{page}{i}"} for i in range(2)]
        return httpx.Response(
            200, json={"grids": grids, "total": 6, "page": page, "limit": 100, "total_pages": 3}
        )

    respx.get(f"{BASE}/grids").mock(side_effect=pages)
    names = [g.id for g in client.iter_grids()]
    assert names == ["g1-0", "g1-1", "g2-0", "g2-1", "g3-0", "g3-1"]


@respx.mock
def test_grid_details_and_runnable_columns(client):
    respx.get(f"{BASE}/grids/g1").respond(
        200,
        json={
            "id": "g1",
            "name": "Company",
            "settings": {"auto_run": True, "visibility": "workspace"},
            "columns": [
                {"id": "company_name", "name": "Company", "type": "text"},
                {"id": "c1", "name": "Industry", "type": "enrichment"},
                {"id": "c2", "name": "Score", "type": "formula"},
            ],
            "sources": [
                {
                    "id": "s1",
                    "display_name": "API",
                    "type": "api",
                    "is_scheduled": True,
                    "status": "active",
                    "schedule": {"cron_schedule": "0 * * * *"},
                }
            ],
        },
    )
    grid = client.grid("g1")
    assert [c.id for c in grid.runnable_columns] == ["c1", "c2"]
    assert grid.sources[0].schedule.cron_schedule == "0 * * * *"


@respx.mock
def test_run_contract_with_output_columns(client):
    route = respx.get(f"{BASE}/grids/g1/curl").respond(
        200,
        json={
            "grid_id": "g1",
            "grid_name": "Company",
            "method": "POST",
            "request_body": {
                "mode": "sync",
                "inputs": {"company_name": "value", "website": "value"},
                "output_columns": ["c1"],
            },
            "output_columns": [{"id": "c1", "name": "Industry", "type": "enrichment"}],
            "curl": "curl ...",
        },
    )
    contract = client.run_contract("g1", ["c1", "c2"])
    assert route.calls.last.request.url.params["output_columns"] == "c1,c2"
    assert contract.input_keys == ["company_name", "website"]
    assert contract.output_columns[0].name == "Industry"


@respx.mock
def test_odd_ids_stay_in_one_path_segment(client):
    route = respx.get(f"{BASE}/grids/..%2Fworkspace").respond(200, json={"id": "x"})
    client.grid("../workspace")
    assert route.called


@respx.mock
def test_run_sync_completed_and_running_shapes(client):
    route = respx.post(f"{BASE}/grids/g1/run")
    route.side_effect = [
        httpx.Response(
            200,
            json={
                "mode": "sync",
                "status": "completed",
                "outputs": {"c1": {"value": 42, "name": "Employees"}},
            },
        ),
        httpx.Response(
            200,
            json={
                "mode": "async",
                "status": "running",
                "request_id": "r1",
                "poll_url": "/api/v1/run/status/r1",
            },
        ),
    ]
    done = client.run_grid("g1", {"company_name": "Acme"}, output_columns=["c1"], source_id="s1")
    sent = json.loads(route.calls[0].request.content)
    assert sent == {
        "mode": "sync",
        "inputs": {"company_name": "Acme"},
        "output_columns": ["c1"],
        "source_id": "s1",
    }
    assert done.finished and done.outputs["c1"].value == 42
    pending = client.run_grid("g1", {"company_name": "Acme"}, mode="async")
    assert not pending.finished and pending.request_id == "r1"


@respx.mock
def test_run_status_failed_carries_message(client):
    respx.get(f"{BASE}/run/status/r1").respond(
        200,
        json={
            "mode": "async",
            "status": "failed",
            "grid_id": "g1",
            "error": {"code": "RUN_FAILED", "message": "Provider down"},
        },
    )
    result = client.run_status("r1")
    assert result.status == "failed" and result.failure_message == "Provider down"


@respx.mock
def test_rotate_key_switches_to_new_key_and_hides_it(client):
    respx.post(f"{BASE}/api-key/rotate").respond(200, json={"api_key": "new-key-456"})
    route = respx.get(f"{BASE}/workspace").respond(200, json=WORKSPACE)
    rotated = client.rotate_key()
    assert "new-key-456" not in repr(rotated)
    client.workspace()
    assert route.calls.last.request.headers["X-API-KEY"] == "new-key-456"


@pytest.mark.parametrize("code,status", sorted(ERROR_CODES.items()))
@respx.mock
def test_every_documented_error_code_becomes_a_clean_error(client, code, status):
    respx.get(f"{BASE}/grids/g1").respond(
        status,
        json={"error": {"code": code, "message": f"about {code}"}},
        headers={"Retry-After": "0"} if status == 429 else {},
    )
    client._max_retries = 0
    with pytest.raises(BitScaleError) as info:
        client.grid("g1")
    assert info.value.code == code and info.value.status == status
    assert info.value.message == f"about {code}"
    assert KEY not in str(info.value) and KEY not in repr(info.value)


@pytest.mark.parametrize(
    "body,content_type,expected_code",
    [
        (b"<html><body>502 Bad Gateway</body></html>", "text/html", "INTERNAL_ERROR"),
        (b'{"error": "Grid is gone"}', "application/json", "INTERNAL_ERROR"),
        (b'{"error": "GRID_NOT_FOUND"}', "application/json", "GRID_NOT_FOUND"),
        (b"{not json", "application/json", "INTERNAL_ERROR"),
        (b"", "application/json", "INTERNAL_ERROR"),
    ],
)
@respx.mock
def test_malformed_error_bodies_never_leak_parser_errors(client, body, content_type, expected_code):
    respx.get(f"{BASE}/workspace").respond(
        502, content=body, headers={"Content-Type": content_type}
    )
    client._max_retries = 0
    with pytest.raises(BitScaleError) as info:
        client.workspace()
    assert info.value.code == expected_code and info.value.status == 502
    assert info.value.message


@respx.mock
def test_malformed_success_body_is_a_bad_response(client):
    respx.get(f"{BASE}/workspace").respond(200, content=b"[1, 2]")
    client._max_retries = 0
    with pytest.raises(BitScaleError) as info:
        client.workspace()
    assert info.value.code == "BAD_RESPONSE"


@respx.mock
def test_429_honours_retry_after_then_succeeds(client):
    pauses = []
    client.limiter.on_rejected = pauses.append
    respx.get(f"{BASE}/workspace").mock(
        side_effect=[
            httpx.Response(
                429,
                json={"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "slow"}},
                headers={"Retry-After": "2"},
            ),
            httpx.Response(200, json=WORKSPACE),
        ]
    )
    assert client.workspace().credits.remaining == 750
    assert pauses == [2.0]


@respx.mock
def test_get_retries_5xx_and_connection_errors_with_capped_backoff():
    sleeps = []
    c = BitScaleClient(
        KEY,
        BASE,
        limiter=RateLimiter(rate=1000),
        sleep=sleeps.append,
        max_retries=5,
        max_backoff=2.0,
    )
    respx.get(f"{BASE}/workspace").mock(
        side_effect=[
            httpx.Response(503),
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.Response(500, json={"error": {"code": "INTERNAL_ERROR", "message": "x"}}),
            httpx.Response(200, json=WORKSPACE),
        ]
    )
    assert c.workspace().name == "Acme"
    assert sleeps == [0.5, 1.0, 2.0, 2.0]


@respx.mock
def test_get_gives_up_after_max_retries():
    c = BitScaleClient(
        KEY, BASE, limiter=RateLimiter(rate=1000), sleep=lambda s: None, max_retries=2
    )
    route = respx.get(f"{BASE}/workspace").respond(503)
    with pytest.raises(BitScaleError) as info:
        c.workspace()
    assert route.call_count == 3 and info.value.retryable


@respx.mock
def test_run_is_never_retried_after_it_may_have_reached_bitscale(client):
    route = respx.post(f"{BASE}/grids/g1/run").mock(side_effect=[httpx.ReadTimeout("slow")])
    with pytest.raises(BitScaleError) as info:
        client.run_grid("g1", {"a": "b"})
    assert info.value.code == "TIMEOUT" and route.call_count == 1

    route.side_effect = [httpx.Response(502, text="Bad gateway")]
    with pytest.raises(BitScaleError):
        client.run_grid("g1", {"a": "b"})
    assert route.call_count == 2


@respx.mock
def test_run_retries_only_when_nothing_happened(client):
    route = respx.post(f"{BASE}/grids/g1/run").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(
                429,
                json={"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "x"}},
                headers={"Retry-After": "0"},
            ),
            httpx.Response(200, json={"status": "running", "request_id": "r9", "mode": "async"}),
        ]
    )
    assert client.run_grid("g1", {"a": "b"}, mode="async").request_id == "r9"
    assert route.call_count == 3


@respx.mock
def test_remaining_zero_from_another_client_holds_back_the_limiter():
    c = BitScaleClient(KEY, BASE, limiter=RateLimiter(rate=5))
    pauses = []
    c.limiter.pause = pauses.append
    respx.get(f"{BASE}/workspace").respond(
        200, json=WORKSPACE, headers={"X-RateLimit-Remaining": "0"}
    )
    c.workspace()  # we sent one request, yet the window is spent: someone else shares the key
    assert pauses and pauses[0] > 0


@respx.mock
def test_remaining_zero_after_our_own_fifth_request_adds_no_pause():
    c = BitScaleClient(KEY, BASE, limiter=RateLimiter(rate=5))
    pauses = []
    c.limiter.pause = pauses.append
    route = respx.get(f"{BASE}/workspace")
    route.side_effect = [
        httpx.Response(200, json=WORKSPACE, headers={"X-RateLimit-Remaining": str(4 - i)})
        for i in range(5)
    ]
    for _ in range(5):
        c.workspace()
    assert pauses == []


def test_key_never_in_repr():
    c = BitScaleClient(KEY, BASE)
    assert KEY not in repr(c)
