"""The Slack stand-in unfurls as Slack documents: link_shared shapes, chat.unfurl's two
ways of naming a message, in-place replacement and its errors, reactions and history."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.playground.slack.standin import SlackStandIn

ADA = "https://www.linkedin.com/in/ada"


@pytest.fixture
def standin():
    server = SlackStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(standin):
    return WebClient(token="xoxb-playground", base_url=standin.api_url)


def card(text: str) -> dict:
    return {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value.response["error"]


def test_link_shared_events_from_the_composer_and_once_posted(standin):
    message = standin.add_message(
        "C1", f"see <{ADA}|ada> and https://de.linkedin.com/in/bob and https://example.com/x"
    )
    shared, composer = standin.share_links(message, composer=True)
    assert composer["source"] == "composer" and composer["channel"] == "COMPOSER"
    assert composer["message_ts"] == composer["unfurl_id"] != message.ts
    _, posted = standin.share_links(message)
    assert posted["source"] == "conversations_history" and posted["channel"] == "C1"
    assert posted["message_ts"] == message.ts and posted["unfurl_id"] != composer["unfurl_id"]
    assert [link["url"] for link in posted["links"]] == [ADA, "https://de.linkedin.com/in/bob"]
    # the registered domain each matched: the exact host, else the one it is a subdomain of
    assert [link["domain"] for link in posted["links"]] == ["www.linkedin.com", "linkedin.com"]
    assert standin.share_links(standin.add_message("C1", "no links here")) is None


def test_chat_unfurl_replaces_the_preview_in_place(standin, client):
    message = standin.add_message("C1", ADA)
    _, event = standin.share_links(message)
    client.chat_unfurl(channel="C1", ts=message.ts, unfurls={ADA: card("first")})
    client.chat_unfurl(
        unfurl_id=event["unfurl_id"], source="conversations_history", unfurls={ADA: card("second")}
    )
    assert standin.preview("C1", message.ts, ADA) == card("second")
    assert len(standin.unfurl_calls("C1")) == 2


def test_chat_unfurl_errors_are_slacks(standin, client):
    message = standin.add_message("C1", ADA)
    _, event = standin.share_links(message)
    ok = {ADA: card("x")}
    assert error_of(lambda: client.chat_unfurl(channel="C1", ts="1.2", unfurls=ok)) == (
        "cannot_unfurl_message"
    )
    other = {"https://www.linkedin.com/in/someone-else": card("x")}
    assert error_of(lambda: client.chat_unfurl(channel="C1", ts=message.ts, unfurls=other)) == (
        "cannot_unfurl_url"
    )
    assert error_of(
        lambda: client.chat_unfurl(channel="C1", ts=message.ts, unfurls={ADA: "x"})
    ) == ("invalid_unfurls_format")
    assert (
        error_of(
            lambda: client.chat_unfurl(unfurl_id=event["unfurl_id"], source="email", unfurls=ok)
        )
        == "invalid_source"
    )
    assert error_of(lambda: client.chat_unfurl(unfurls=ok)) == "missing_channel"
    many = {ADA: {"blocks": [card("x")["blocks"][0]] * 51}}
    assert error_of(lambda: client.chat_unfurl(channel="C1", ts=message.ts, unfurls=many)) == (
        "invalid_blocks"
    )
    assert standin.unfurl_calls() == []


def test_reactions_name_the_message_and_history_gives_it_back(standin, client):
    message = standin.add_message("C1", "lead: acme.com", user="U0BOB")
    event = standin.reaction_event(message, "U0ANA")
    assert event["item"] == {"type": "message", "channel": "C1", "ts": message.ts}
    assert event["item_user"] == "U0BOB" and event["reaction"] == "mag"
    found = client.conversations_history(
        channel="C1", latest=message.ts, oldest=message.ts, inclusive=True, limit=1
    )
    assert [m["text"] for m in found["messages"]] == ["lead: acme.com"]
    assert (
        client.conversations_history(channel="C1", latest=message.ts, oldest=message.ts)["messages"]
        == []
    )
