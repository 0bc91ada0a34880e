"""View submissions: the run form."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import blocks as kit
from bot.slack.form_submit import handle_submission
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    @app.view(kit.RUN_VIEW)
    def submit(ack: Ack, body: dict, client: WebClient) -> None:
        handle_submission(ack, body, services, client)
