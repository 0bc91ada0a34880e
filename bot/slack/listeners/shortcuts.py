"""Shortcuts: the global "Run a BitScale grid" and the message shortcut "Enrich with
BitScale", which opens a grid picker and then the run form pre-filled from the message."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.leads.extract import extract, message_texts
from bot.slack import blocks as kit
from bot.slack.batch_upload import open_batch_form
from bot.slack.forms import form_base
from bot.slack.pages import enabled as pages_enabled
from bot.slack.pages import urls_in
from bot.slack.services import Services

log = logging.getLogger(__name__)

SHORTCUT = "run_bitscale_grid"
MESSAGE_SHORTCUT = kit.MESSAGE_SHORTCUT  # "enrich_with_bitscale", pinned in manifest.yml


def csv_file(message: dict) -> dict | None:
    """The first CSV file a message carries, if any."""
    for item in message.get("files") or []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or item.get("title") or "")
        if (
            item.get("filetype") == "csv"
            or item.get("mimetype") in ("text/csv", "application/csv")
            or name.lower().endswith(".csv")
        ):
            return item
    return None


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

    @app.shortcut(MESSAGE_SHORTCUT)
    def enrich_message(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        message = body.get("message") or {}
        channel_id = (body.get("channel") or {}).get("id")
        user_id = (body.get("user") or {}).get("id") or ""
        attached = csv_file(message)
        if attached is not None:
            # A list of leads: the batch form, for that file (with a grid picker).
            services.later(
                lambda: open_batch_form(
                    client,
                    services,
                    body["trigger_id"],
                    file_id=str(attached.get("id") or "") or None,
                    file_name=str(attached.get("name") or attached.get("title") or "file.csv"),
                    channel_id=channel_id,
                    user_id=user_id,
                )
            )
            return
        found = extract(message_texts(message))
        base = form_base(
            channel_id=channel_id,
            user_id=user_id,
            thread_ts=message.get("thread_ts") or message.get("ts") or body.get("message_ts"),
            found=found,
            source="shortcut",
        )
        session = services.store.save_session(base)
        # A web address in the message: Bittlebits can score or rewrite that page instead.
        pages = urls_in(" ".join(message_texts(message))) if pages_enabled(services) else []
        services.later(
            lambda: client.views_open(
                trigger_id=body["trigger_id"],
                view=kit.enrich_picker_modal(session, found, pages[0] if pages else None),
            )
        )
