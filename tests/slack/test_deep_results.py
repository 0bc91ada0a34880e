"""A result nested hundreds of levels deep is still drawn, and a result that cannot be
drawn at all is still delivered once, as a plain reply."""

from __future__ import annotations

import json

import pytest

from bot.playground.rigs.stack import BOT_TOKEN
from bot.playground.slack.standin import SlackStandIn
from bot.providers.base import Providers
from bot.providers.bitscale.provider import BitScaleProvider
from bot.slack import blocks as kit
from bot.slack.notifier import SlackNotifier
from bot.slack.text import TOO_DEEP, format_value, full_value
from bot.slack.web_client import make_web_client
from tests.factories import make_run


def nested(levels: int) -> object:
    value: object = "core"
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("levels", [400, 990])
def test_a_deeply_nested_output_is_drawn_and_written_out(levels):
    run = make_run(outputs={"c": {"name": "Tree", "value": nested(levels)}})
    view = BitScaleProvider.__new__(BitScaleProvider).render(run)
    message = kit.result_message(run, view)
    assert "is done" in message.text and "Tree" in json.dumps(message.blocks)
    written = kit.full_result_text(run, view)
    # Written out in full when JSON can be; past Python's own limit, a note says so.
    assert "## Tree" in written and ("core" in written or TOO_DEEP in written)
    if levels == 400:
        assert "core" in written


def test_values_deeper_than_six_levels_are_shown_as_compact_json():
    assert format_value({"a": {"b": 1}}) == "A: B: 1"
    assert format_value(nested(10)).endswith('[["core"]]]]')
    assert json.loads(full_value(nested(10))) == nested(10)


def test_a_result_that_cannot_be_drawn_is_posted_once_as_a_plain_reply(monkeypatch):
    slack = SlackStandIn().start()
    try:
        notifier = SlackNotifier(make_web_client(BOT_TOKEN, slack.api_url), providers=Providers())
        run = make_run(outputs={"c": {"name": "N", "value": 1}})
        announced = notifier.announce(run)
        run.post_channel, run.message_ts = announced.channel, announced.ts

        def broken(*args, **kwargs):
            raise RecursionError("drawing failed")

        monkeypatch.setattr(kit, "result_message", broken)
        notifier.deliver(run)  # no exception: nothing left to retry
        (reply,) = slack.posts(announced.channel, thread_ts=announced.ts)
        assert "could not be shown in Slack" in json.dumps(reply.blocks)
        assert f"Ref `{run.ref}`" in json.dumps(reply.blocks)
    finally:
        slack.stop()
