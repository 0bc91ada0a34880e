"""Buttons and other block actions: Run, paging, Run again, the grid picker, outputs."""

from __future__ import annotations

import json
import logging
import re

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.bitscale import BitScaleError
from bot.bitscale.errors import explain
from bot.slack import blocks as kit
from bot.slack.forms import (
    load_form_into,
    open_run_form,
    refresh_inputs,
    update_view,
)
from bot.slack.services import Services

log = logging.getLogger(__name__)


def _action(body: dict) -> dict:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _channel_of(body: dict) -> str | None:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


def register(app: App, services: Services) -> None:
    @app.action(kit.RUN_GRID_ACTION)
    def run_button(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        grid_id = _action(body).get("value") or ""
        services.later(
            lambda: open_run_form(
                client,
                services,
                body["trigger_id"],
                grid_id=grid_id,
                channel_id=_channel_of(body),
                user_id=body["user"]["id"],
            )
        )

    @app.action(re.compile(f"^{kit.GRIDS_PAGE_ACTION}_(prev|next)$"))
    def grids_page(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        try:
            wanted = json.loads(_action(body).get("value") or "{}")
            search, page = (wanted.get("q") or None), max(1, int(wanted.get("p", 1)))
        except (ValueError, TypeError, AttributeError):
            search, page = None, 1

        def show_page() -> None:
            try:
                result = services.catalog.page(search, page)
                respond(
                    replace_original=True,
                    text="BitScale grids",
                    blocks=kit.grids_page_blocks(result, search),
                )
            except BitScaleError as error:
                respond(text=explain(error), blocks=kit.error_blocks(explain(error)))

        services.later(show_page)

    @app.action(kit.RUN_AGAIN_ACTION)
    def run_again(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        run = services.store.get_run(_action(body).get("value") or "")
        if run is None:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="I can't find that run any more. Start a new one with /bitscale run.",
            )
            return
        services.later(
            lambda: open_run_form(
                client,
                services,
                body["trigger_id"],
                grid_id=run.grid_id,
                channel_id=run.channel_id or run.post_channel,
                user_id=body["user"]["id"],
                values=run.inputs,
            )
        )

    @app.action(kit.PICK_GRID_ACTION)
    def pick_grid(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        action = _action(body)
        grid_id = action.get("value") or (action.get("selected_option") or {}).get("value")
        view = body.get("view") or {}
        base = services.store.load_session(view.get("private_metadata") or "") or {
            "channel_id": None,
            "ask_channel": True,
            "values": {},
        }
        base["user_id"] = body["user"]["id"]
        if not grid_id or not view.get("id"):
            return

        def load() -> None:
            update_view(client, view["id"], kit.loading_modal("the grid"))
            load_form_into(client, services, view["id"], grid_id, base)

        services.later(load)

    @app.action(kit.OUTPUTS_ACTION)
    def outputs_changed(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        services.later(lambda: refresh_inputs(client, services, view))
