"""The simulator keeps to the API reference: statuses, error bodies, headers and limits."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.playground.simulators.bitscale_state import FOREIGN_GRID_ID
from bot.providers.bitscale.errors import ERROR_CODES


@pytest.fixture
def http(simulator):
    with httpx.Client(
        base_url=simulator.url + "/", headers={"X-API-KEY": simulator.api_key}
    ) as client:
        yield client


def paced(http, method, path, **kw):
    time.sleep(0.21)  # stay under 5 req/s so the conformance checks do not trip the limit
    return http.request(method, path, **kw)


def grid_id(sim, name):
    return sim.grid_named(name).id


def assert_error(response, status, code, documented=True):
    assert response.status_code == status
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"]
    if documented and code != "GRID_NOT_FOUND":  # GRID_NOT_FOUND is 403 or 404 by the reference
        assert ERROR_CODES[code] == status


def test_missing_or_wrong_key_is_401(simulator):
    assert_error(httpx.get(simulator.url + "/workspace"), 401, "INVALID_API_KEY")
    assert_error(
        httpx.get(simulator.url + "/grids", headers={"X-API-KEY": "nope"}), 401, "INVALID_API_KEY"
    )


def test_every_answer_has_rate_limit_headers(http):
    response = paced(http, "GET", "workspace")
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert 0 <= int(response.headers["X-RateLimit-Remaining"]) <= 4
    assert "Retry-After" not in response.headers


def test_sixth_request_in_a_second_is_429_with_retry_after(http, simulator):
    answers = [http.get("workspace") for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert answers[4].headers["X-RateLimit-Remaining"] == "0"
    assert_error(answers[5], 429, "RATE_LIMIT_EXCEEDED")
    assert answers[5].headers["Retry-After"] == "1"


def test_workspace_fields(http):
    ws = paced(http, "GET", "workspace").json()
    assert ws["plan"]["name"] == "Enterprise"
    assert ws["credits"]["remaining"] == ws["credits"]["total"] - ws["credits"]["used"]
    assert set(ws["people_company_searches"]) == {"limit", "used", "remaining", "next_renewal_date"}
    assert set(ws["members"]) == {"total", "owners", "admins", "editors"}


def test_list_grids_paginates_and_searches(http):
    first = paced(http, "GET", "grids", params={"limit": 10}).json()
    assert first["page"] == 1 and first["limit"] == 10 and len(first["grids"]) == 10
    assert first["total_pages"] == -(-first["total"] // 10)
    columns = first["grids"][0]["columns"]
    assert columns and all(c["type"] in ("enrichment", "formula", "merge") for c in columns)
    assert all(isinstance(c["dependencies"], list) for c in columns)
    found = paced(http, "GET", "grids", params={"search": "company enr"}).json()
    assert [g["name"] for g in found["grids"]] == ["Company Enrichment"]
    capped = paced(http, "GET", "grids", params={"limit": 500}).json()
    assert capped["limit"] == 100


def test_grid_details_and_not_found(http, simulator):
    details = paced(http, "GET", f"grids/{grid_id(simulator, 'Company Enrichment')}").json()
    assert {c["type"] for c in details["columns"]} >= {"text", "enrichment"}
    assert details["sources"][0]["type"] == "api"
    assert_error(paced(http, "GET", "grids/unknown"), 404, "GRID_NOT_FOUND")
    assert_error(paced(http, "GET", f"grids/{FOREIGN_GRID_ID}"), 403, "GRID_NOT_FOUND")


def test_curl_contract(http, simulator):
    gid = grid_id(simulator, "Company Enrichment")
    contract = paced(http, "GET", f"grids/{gid}/curl").json()
    assert contract["request_body"] == {
        "mode": "sync",
        "inputs": {"company_name": "value", "website": "value"},
    }
    assert "output_columns" not in contract and contract["method"] == "POST"
    narrowed = paced(http, "GET", f"grids/{gid}/curl", params={"output_columns": "industry"}).json()
    assert narrowed["request_body"]["output_columns"] == ["industry"]
    assert narrowed["output_columns"][0]["name"] == "Industry"
    assert_error(
        paced(http, "GET", f"grids/{gid}/curl", params={"output_columns": "nope"}),
        400,
        "INVALID_OUTPUT_COLUMN",
    )
    assert_error(
        paced(http, "GET", f"grids/{grid_id(simulator, 'Draft Grid (no API source)')}/curl"),
        400,
        "MISSING_SOURCE",
    )


def test_sync_run_completes_with_outputs_derived_from_inputs(http, simulator):
    gid = grid_id(simulator, "Person Lookup")
    before = paced(http, "GET", "workspace").json()["credits"]["remaining"]
    result = paced(
        http,
        "POST",
        f"grids/{gid}/run",
        json={"inputs": {"full_name": "Ada Lovelace", "company_domain": "example.com"}},
    ).json()
    assert result["mode"] == "sync" and result["status"] == "completed"
    assert result["outputs"]["work_email"] == {
        "value": "ada.lovelace@example.com",
        "name": "Work email",
    }
    after = paced(http, "GET", "workspace").json()["credits"]["remaining"]
    assert after < before


def test_sync_run_inside_the_120_s_window_answers_with_outputs(http, simulator):
    gid = grid_id(simulator, "Load Test")
    result = paced(
        http,
        "POST",
        f"grids/{gid}/run",
        json={"inputs": {"company_name": "Longco", "duration_seconds": 110}},
    ).json()  # 1.1 real s: 110 simulated s, inside the 120 simulated s window
    assert result["status"] == "completed" and result["outputs"]["echo"]["value"] == "Longco"


def test_sync_run_that_outlasts_the_wait_answers_running_then_polls(http, simulator):
    gid = grid_id(simulator, "Load Test")
    started = time.monotonic()
    result = paced(
        http,
        "POST",
        f"grids/{gid}/run",
        json={"inputs": {"company_name": "Slowco", "duration_seconds": 150}},
    ).json()  # held for the whole 120 simulated s (1.2 real s), then "running"
    assert time.monotonic() - started >= 1.15
    assert result["status"] == "running" and result["request_id"]
    assert result["poll_url"].endswith(result["request_id"])
    status = paced(http, "GET", f"run/status/{result['request_id']}").json()
    assert status["status"] in ("running", "completed") and status["grid_id"] == gid


def test_async_run_and_status_lifecycle(http, simulator):
    gid = grid_id(simulator, "Company Enrichment")
    started = paced(
        http,
        "POST",
        f"grids/{gid}/run",
        json={
            "mode": "async",
            "inputs": {"company_name": "Acme", "website": "acme.com"},
            "output_columns": ["industry"],
        },
    ).json()
    assert started["status"] == "running" and started["mode"] == "async"
    time.sleep(0.05)
    done = paced(http, "GET", f"run/status/{started['request_id']}").json()
    assert done["status"] == "completed" and list(done["outputs"]) == ["industry"]
    assert_error(paced(http, "GET", "run/status/nope"), 404, "REQUEST_NOT_FOUND")


def test_failed_runs(http, simulator):
    gid = grid_id(simulator, "Broken Enrichment")
    sync = paced(http, "POST", f"grids/{gid}/run", json={"inputs": {"company_name": "Acme"}})
    assert_error(sync, 500, "RUN_FAILED")
    assert "Acme" in sync.json()["error"]["message"]
    started = paced(
        http, "POST", f"grids/{gid}/run", json={"mode": "async", "inputs": {"company_name": "Acme"}}
    ).json()
    time.sleep(0.05)
    failed = paced(http, "GET", f"run/status/{started['request_id']}").json()
    assert failed["status"] == "failed"
    simulator.state.failed_status_as_error = True
    assert_error(paced(http, "GET", f"run/status/{started['request_id']}"), 500, "RUN_FAILED")


@pytest.mark.parametrize(
    "body,status,code",
    [
        (b"{broken", 400, "MISSING_REQUIRED_FIELD"),
        (b'{"mode": "sync"}', 400, "MISSING_REQUIRED_FIELD"),
        (b'{"inputs": "text"}', 400, "INVALID_INPUTS"),
        (b'{"inputs": {}, "mode": "later"}', 400, "INVALID_REQUEST"),
        (b'{"inputs": {}, "source_id": "nope"}', 400, "INVALID_SOURCE"),
        (b'{"inputs": {}, "output_columns": ["nope"]}', 400, "INVALID_OUTPUT_COLUMN"),
    ],
)
def test_run_validation_errors(http, simulator, body, status, code):
    gid = grid_id(simulator, "Company Enrichment")
    response = paced(
        http, "POST", f"grids/{gid}/run", content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, status, code)
    assert simulator.run_count == 0


def test_run_on_grid_without_source_or_feature(http, simulator):
    draft = grid_id(simulator, "Draft Grid (no API source)")
    assert_error(
        paced(http, "POST", f"grids/{draft}/run", json={"inputs": {}}), 400, "MISSING_SOURCE"
    )
    simulator.state.feature_enabled = False
    gid = grid_id(simulator, "Company Enrichment")
    assert_error(
        paced(http, "POST", f"grids/{gid}/run", json={"inputs": {}}), 403, "FEATURE_DISABLED"
    )


def test_rotate_invalidates_the_old_key(http, simulator):
    old = simulator.api_key
    new = paced(http, "POST", "api-key/rotate").json()["api_key"]
    assert new != old
    assert_error(paced(http, "GET", "workspace"), 401, "INVALID_API_KEY")
    assert paced(http, "GET", "workspace", headers={"X-API-KEY": new}).status_code == 200


def test_injected_faults(http, simulator):
    simulator.inject(path_contains="/workspace", status=503, code="INTERNAL_ERROR")
    assert_error(paced(http, "GET", "workspace"), 503, "INTERNAL_ERROR", documented=False)
    simulator.inject(path_contains="/workspace", status=502, raw_body=b"<html>bad gateway</html>")
    assert paced(http, "GET", "workspace").text.startswith("<html>")
    simulator.inject(path_contains="/api-key", status=500, code="ROTATE_FAILED")
    assert_error(paced(http, "POST", "api-key/rotate"), 500, "ROTATE_FAILED")
    assert paced(http, "GET", "workspace").status_code == 200


def test_cli_simulate_serves_a_documented_request():
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "simulate", "--port", "0", "--api-key", "cli-key"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().split(" at ")[1].strip()
        assert "cli-key" in proc.stdout.readline()
        proc.stdout.readline()
        assert "up to 120 s" in proc.stdout.readline()  # BitScale's real window by default
        answer = httpx.get(url + "/workspace", headers={"X-API-KEY": "cli-key"}, timeout=5)
        assert answer.status_code == 200 and answer.json()["plan"]["name"] == "Enterprise"
    finally:
        proc.terminate()
        proc.wait(5)
