"""Buttons and other block actions: Run, paging, Run again, Run fresh, the grid picker,
outputs."""

from __future__ import annotations

import json
import logging
import re

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.governance.visibility import may_see
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.runs.types import RunRefused, RunRequest
from bot.slack import blocks as kit
from bot.slack.form_outputs import refresh_inputs
from bot.slack.forms import load_form_into, open_run_form, update_view
from bot.slack.listeners.commands import show_grids
from bot.slack.services import Services
from bot.slack.text import escape
from bot.store.run_record import Run

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
                show_grids(services, respond, body["user"]["id"], result, search, replace=True)
            except BitScaleError as error:
                respond(text=explain(error), blocks=kit.error_blocks(explain(error)))

        services.later(show_page)

    @app.action(kit.RUN_AGAIN_ACTION)
    def run_again(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        run = services.store.get_run(_action(body).get("value") or "")
        # Run again starts a new run of the presser's, where they pressed it; and only
        # for someone who may see the old one (its form comes back filled in).
        presser, where = body["user"]["id"], _channel_of(body)
        if run is None or not may_see(run, presser, where):
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="I can't find that run any more. Start a new one with /bitscale run.",
            )
            return
        if not run.grid_id:  # not a grid run: there is no form; ask again as it was asked
            services.later(lambda: ask_again(services, run, presser, respond, where))
            return
        services.later(
            lambda: open_run_form(
                client,
                services,
                body["trigger_id"],
                grid_id=run.grid_id,
                channel_id=where,
                user_id=presser,
                # Someone else gets only what the announcement showed them: the full
                # inputs (a lead's email, notes) stay with the requester.
                values=run.inputs if run.user_id == presser else kit.announced_inputs(run.inputs),
                # A run delivered by DM ("Only me", no channel) comes back as Only me.
                private=not run.channel_id,
                outputs=run.output_columns,  # and with the outputs it asked for
            )
        )

    @app.action(kit.RUN_FRESH_ACTION)
    def run_fresh(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        reused = services.store.get_run(_action(body).get("value") or "")
        # As for Run again: only someone who may see that answer, and the fresh run is
        # the presser's, posted where they pressed (never in the other person's DM).
        user_id, where = body["user"]["id"], _channel_of(body)
        if reused is None or not reused.reused or not may_see(reused, user_id, where):
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="I can't find that result any more. Start a new run with /bitscale run.",
            )
            return
        container = body.get("container") or {}
        services.later(lambda: start_fresh(client, services, respond, reused, user_id, container))

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
        if not grid_id or grid_id == kit.LOADING_GRIDS or not view.get("id"):
            return

        def load() -> None:
            grids = services.catalog.all_grids(cached_only=True) or []
            name = next((g.name for g in grids if g.id == grid_id), None)
            update_view(client, view["id"], kit.loading_grid_modal(name))
            load_form_into(client, services, view["id"], grid_id, base)

        services.later(load)

    @app.action(kit.OUTPUTS_ACTION)
    def outputs_changed(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        services.later(lambda: refresh_inputs(client, services, view))


def ask_again(
    services: Services, run: Run, user_id: str, respond: Respond, channel_id: str | None
) -> None:
    """Run again for a run with nothing to fill in (a page score): the same request."""
    if run.provider not in services.runs.providers:
        label = services.runs.providers.label(run.provider)
        text = f"{label} is not set up on this bot any more, so I can't ask it again."
        respond(response_type="ephemeral", replace_original=False, text=text)
        return
    try:
        again, _ = services.runs.start_run(
            RunRequest(
                provider=run.provider,
                target=run.target or "",
                grid_name=run.grid_name,
                inputs=run.inputs,
                user_id=user_id,
                channel_id=channel_id,
                team_id=run.team_id,
                thread_ts=run.thread_ts if channel_id == run.channel_id else None,
                source=run.source or "form",
            )
        )
    except RunRefused as refusal:
        respond(response_type="ephemeral", replace_original=False, text=f"🚫 {refusal}")
        return
    again = services.store.get_run(again.id) or again
    where = f" <{again.permalink}|in its thread>" if again.permalink else " in its thread"
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=f"Asked again: *{escape(again.grid_name)}*. The result lands{where}.",
    )


def start_fresh(
    client: WebClient,
    services: Services,
    respond: Respond,
    reused: Run,
    user_id: str,
    container: dict,
) -> None:
    """Run fresh: exactly one real run per reused answer, however often it is pressed."""
    try:
        run, created = _start_fresh_run(services, reused, user_id, container.get("channel_id"))
    except RunRefused as refusal:
        respond(response_type="ephemeral", replace_original=False, text=f"🚫 {refusal}")
        return
    if not created:
        where = f" <{run.permalink}|Open it>." if run.permalink else ""
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"A fresh run of this was already started by <@{run.user_id}>.{where}",
        )
        return
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if channel and ts and not container.get("is_ephemeral"):
        # The thread shows that fresh data was asked for, in place of the button.
        message = kit.result_message(reused, services.runs.providers.view(reused), fresh_by=user_id)
        try:
            client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        except SlackApiError as exc:
            log.info("could not mark the reused answer: %s", exc.response.get("error"))


def _start_fresh_run(
    services: Services, reused: Run, user_id: str, pressed_in: str | None
) -> tuple[Run, bool]:
    posted_in = reused.channel_id or reused.post_channel
    where = pressed_in or posted_in
    return services.runs.start_run(
        RunRequest(
            provider=reused.provider,
            target=reused.target or reused.grid_id,
            grid_id=reused.grid_id,
            grid_name=reused.grid_name,
            inputs=reused.inputs,
            output_columns=reused.output_columns,
            user_id=user_id,
            channel_id=where,
            team_id=reused.team_id,
            dedupe_key=f"fresh:{reused.id}",
            thread_ts=reused.thread_ts if where == posted_in else None,
            source=reused.source or "form",
        )
    )
