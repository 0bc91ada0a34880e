"""Events: the App Home tab (and its Run button) and mentions, with Slack's redeliveries
dropped."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient

from bot.slack import blocks as kit
from bot.slack.blocks import admin as admin_kit
from bot.slack.forms import update_view
from bot.slack.listeners.admin import admin_form
from bot.slack.listeners.admin_only import refuse_non_admin
from bot.slack.quick import handle_mention
from bot.slack.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.middleware
    def skip_redelivered_events(body: dict, next) -> BoltResponse | None:
        # Slack redelivers an event it thinks we missed (X-Slack-Retry-Num); the event id
        # stays the same, so each one is handled once.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not services.store.remember_event(event_id):
            return BoltResponse(status=200, body="")
        return next()

    @app.event("app_home_opened")
    def home(event: dict, client: WebClient) -> None:
        user = event.get("user") or ""
        if event.get("tab", "home") != "home" or not user:
            return
        services.home.opened(user)  # published by the Home publisher, throttled

    @app.action(kit.HOME_RUN_ACTION)
    def home_run(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        session = services.store.save_session(
            {"channel_id": None, "ask_channel": True, "values": {}, "source": "home"}
        )
        services.later(
            lambda: client.views_open(
                trigger_id=body["trigger_id"], view=kit.shortcut_modal(session)
            )
        )

    @app.action(kit.HOME_ADMIN_ACTION)
    def home_admin(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        user = (body.get("user") or {}).get("id") or ""
        trigger = body["trigger_id"]

        def open_admin_form() -> None:
            refused = refuse_non_admin(services, user, "open the admin form")  # checked here too
            if refused:
                client.views_open(trigger_id=trigger, view=kit.message_modal(refused))
                return
            opened = client.views_open(trigger_id=trigger, view=kit.loading_modal("the settings"))
            update_view(client, opened["view"]["id"], admin_kit.admin_modal(admin_form(services)))

        services.later(open_admin_form)

    @app.event("app_mention")
    def mention(event: dict, client: WebClient) -> None:
        services.later(lambda: handle_mention(client, services, event))
