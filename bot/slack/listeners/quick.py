"""Quick runs: `/bitscale default …` for a channel's default grid, and the **Open the
form** button a mention offers when it cannot fill every input."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.leads.extract import Found
from bot.slack import blocks as kit
from bot.slack.forms import open_run_form
from bot.slack.listeners.commands import CommandCall, subcommand
from bot.slack.services import Services


def _default_instant(call: CommandCall) -> dict[str, Any] | None:
    """Showing or clearing is local and answered inside the ack; setting asks BitScale."""
    channel = call.channel_id or ""
    defaults = call.services.defaults
    assert defaults is not None
    if not call.arg:
        current = defaults.get(channel)
        text = kit.default_shown_text(
            current.grid_name if current else None, channel, current.set_by if current else None
        )
    elif call.arg.lower() in ("off", "none", "clear"):
        old = defaults.clear(channel)
        text = kit.default_cleared_text(old.grid_name if old else None, channel)
    else:
        return None
    return {"text": text, "blocks": kit.notice_blocks(text)}


def _default_set(call: CommandCall) -> None:
    channel = call.channel_id or ""
    resolution = call.services.catalog.resolve(call.arg)
    assert resolution is not None
    if resolution.choices:
        text = kit.default_choices_text(call.arg, [g.name for g in resolution.choices])
    elif not resolution.grid_id:
        text = kit.not_found_text(call.arg, resolution.closest)
    else:
        form = call.services.catalog.form(resolution.grid_id)
        assert form is not None and call.services.defaults is not None
        call.services.defaults.set(channel, form.grid_id, form.grid_name, call.user_id)
        text = kit.default_set_text(form.grid_name, channel)
    call.respond(text=text, blocks=kit.notice_blocks(text))


subcommand("default", instant=_default_instant, answer=_default_set)


def register(app: App, services: Services) -> None:
    @app.action(kit.OPEN_FORM_ACTION)
    def open_prefilled(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        token = ((body.get("actions") or [{}])[0] or {}).get("value") or ""
        session = services.store.load_session(token)
        user_id = (body.get("user") or {}).get("id") or ""
        if session is None or not session.get("grid_id"):
            services.later(
                lambda: client.chat_postEphemeral(
                    channel=(body.get("channel") or {}).get("id") or "",
                    user=user_id,
                    text="This button has expired. Mention me again, or use "
                    "`/bitscale run <grid>`.",
                )
            )
            return
        services.later(
            lambda: open_run_form(
                client,
                services,
                body["trigger_id"],
                grid_id=session["grid_id"],
                channel_id=session.get("channel_id"),
                user_id=user_id,
                thread_ts=session.get("thread_ts"),
                found=Found.from_dict(session.get("found")),
                source=session.get("source") or "mention",
            )
        )
