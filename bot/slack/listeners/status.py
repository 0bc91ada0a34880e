"""Following a run: the Status button in `/bitscale runs` and on the Home tab."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import blocks as kit
from bot.slack.listeners.commands import status_reply
from bot.slack.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(kit.RUN_STATUS_ACTION)
    def run_status(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        actions = body.get("actions") or [{}]
        run_id = str((actions[0] if isinstance(actions[0], dict) else {}).get("value") or "")
        user_id = (body.get("user") or {}).get("id") or ""
        channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )

        def show() -> None:
            reply = status_reply(services, run_id, user_id, channel_id)
            if body.get("response_url"):  # a message: answer under it, only to them
                respond(response_type="ephemeral", replace_original=False, **reply)
                return
            try:  # the Home tab has no conversation to answer in: a modal instead
                client.views_open(
                    trigger_id=body["trigger_id"], view=kit.status_modal(reply["blocks"])
                )
            except SlackApiError as exc:
                log.info("could not show a run's status: %s", exc.response.get("error"))

        services.later(show)
