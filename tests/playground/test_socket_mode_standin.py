"""The stand-in's Socket Mode side speaks Slack's protocol (checked with a plain client)."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.playground.slack.standin import SlackStandIn


@pytest.fixture
def standin():
    s = SlackStandIn().start()
    yield s
    s.stop()


def open_url(standin, token="xapp-1-test") -> str:
    return WebClient(base_url=standin.api_url).apps_connections_open(app_token=token)["url"]


def test_only_an_app_token_in_the_header_opens_a_socket(standin):
    with pytest.raises(SlackApiError) as refused:
        open_url(standin, token="xoxb-bot-token")
    assert refused.value.response["error"] == "not_allowed_token_type"
    as_a_field = httpx.post(standin.api_url + "apps.connections.open", data={"token": "xapp-1"})
    assert as_a_field.json() == {"ok": False, "error": "not_authed"}
    assert open_url(standin).startswith("ws://127.0.0.1:")


def test_hello_envelopes_acks_and_single_use_tickets(standin):
    url = open_url(standin)
    with connect(url) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": "A0001"}
        socket = standin.socket_mode
        answers = {}

        def send(kind, payload, accepts):
            answers[kind] = socket.deliver(kind, payload, accepts_response_payload=accepts)

        worker = threading.Thread(target=send, args=("slash_commands", {"text": "hi"}, True))
        worker.start()
        envelope = json.loads(ws.recv(timeout=5))
        assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"]
        assert envelope["payload"] == {"text": "hi"}
        ws.send(json.dumps({"envelope_id": envelope["envelope_id"], "payload": {"text": "ok"}}))
        worker.join()
        assert answers["slash_commands"].acked and answers["slash_commands"].json() == {
            "text": "ok"
        }

        worker = threading.Thread(target=send, args=("events_api", {"event": {}}, False))
        worker.start()
        event = json.loads(ws.recv(timeout=5))
        assert event["retry_attempt"] == 0 and event["retry_reason"] == ""
        # a payload where Slack accepts none is ignored
        ws.send(json.dumps({"envelope_id": event["envelope_id"], "payload": {"x": 1}}))
        worker.join()
        assert answers["events_api"].acked and answers["events_api"].payload is None
        assert socket.ignored_payloads == [event["envelope_id"]]

        socket.refresh(warning_lead=0.0, close_after=5)
        reasons = [json.loads(ws.recv(timeout=5))["reason"] for _ in range(2)]
        assert reasons == ["warning", "refresh_requested"]
    with pytest.raises(InvalidStatus):
        connect(url)  # a ticket opens one connection only


def test_an_unacknowledged_event_is_delivered_again(standin):
    socket = standin.socket_mode
    answer = socket.deliver("events_api", {"event_id": "Ev1"})
    assert answer.error == "dispatch_failed"  # nobody connected
    with connect(open_url(standin)) as ws:
        json.loads(ws.recv(timeout=5))  # hello
        again = json.loads(ws.recv(timeout=5))
        assert again["payload"] == {"event_id": "Ev1"}
        assert again["retry_attempt"] == 1 and again["retry_reason"] == "timeout"
        ws.send(json.dumps({"envelope_id": again["envelope_id"]}))


def test_envelopes_are_spread_over_every_open_connection():
    from bot.playground.slack.socket_mode import SocketModeServer

    server = SocketModeServer()
    try:
        seen = []

        class Link:
            ready, refreshing, closed = True, False, False

            def __init__(self, name: str) -> None:
                self.name = name

            def send(self, envelope: dict) -> bool:
                seen.append(self.name)
                return False  # never acknowledged: the test only looks where it went

        server.links = [Link("a"), Link("b"), Link("c")]
        for _ in range(6):
            server.deliver("slash_commands", {"command": "/bitscale"}, timeout=0.01)
        assert seen == ["a", "b", "c", "a", "b", "c"]
    finally:
        server.stop()
