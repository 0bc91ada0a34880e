"""The Slack driver over Socket Mode: the same payloads as `SlackDriver`, delivered as
envelopes on the bot's WebSocket through the stand-in's Socket Mode side."""

from __future__ import annotations

from typing import Any

from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.socket_mode import ANSWERING_INTERACTIONS
from bot.playground.slack.standin import SlackStandIn


class SocketModeDriver(SlackDriver):
    """The same conversation over Socket Mode: each payload goes to the bot as an envelope
    on its WebSocket, and the answer is the acknowledgement (`Ack`, with `status_code`,
    `text` and `json()` like an HTTP answer)."""

    def __init__(self, standin: SlackStandIn, **kwargs: Any) -> None:
        super().__init__("", "unused", standin, **kwargs)
        self.socket = standin.socket_mode

    def _deliver_command(self, form: dict[str, str]) -> Any:
        return self.socket.deliver("slash_commands", form, accepts_response_payload=True)

    def _deliver_interactive(self, payload: dict[str, Any]) -> Any:
        answers = payload.get("type") in ANSWERING_INTERACTIONS
        return self.socket.deliver("interactive", payload, accepts_response_payload=answers)

    def _deliver_event(self, body: dict[str, Any], retry_num: int | None) -> Any:
        return self.socket.deliver("events_api", body)
