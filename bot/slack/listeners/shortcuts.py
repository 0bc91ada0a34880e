"""Shortcuts: the global "Run a BitScale grid"."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import blocks as kit
from bot.slack.services import Services

SHORTCUT = "run_bitscale_grid"


def register(app: App, services: Services) -> None:
    @app.shortcut(SHORTCUT)
    def shortcut(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        session = services.store.save_session(
            {"channel_id": None, "ask_channel": True, "values": {}}
        )
        services.later(
            lambda: client.views_open(
                trigger_id=body["trigger_id"], view=kit.shortcut_modal(session)
            )
        )
