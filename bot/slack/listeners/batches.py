"""Batches: `/bitscale batch`, the three form steps, and Cancel / Resume on the progress
message."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack.batch_mapping import handle_map
from bot.slack.batch_preview import handle_preview
from bot.slack.batch_upload import handle_upload, open_batch_form
from bot.slack.blocks import batches as kit
from bot.slack.blocks.common import notice_blocks
from bot.slack.listeners.commands import CommandCall, subcommand
from bot.slack.services import Services
from bot.slack.text import mention


def _batch(call: CommandCall) -> None:
    open_batch_form(
        call.client,
        call.services,
        call.trigger_id,
        query=call.arg or None,
        channel_id=call.channel_id,
        user_id=call.user_id,
    )


subcommand("batch", answer=_batch, aliases=("batches", "csv"))


def _dms(call: CommandCall) -> dict | None:
    """`/bitscale dms on|off`: one's own DMs about one's batches (finished, paused, held)."""
    insight = call.services.insight
    if insight is None:
        return None
    word = call.arg.strip().lower()
    if word in ("on", "off"):
        insight.prefs.set_batch_dms(call.user_id, word == "on")
    state = "on" if insight.prefs.wants_batch_dms(call.user_id) else "off"
    text = (
        f"DMs about your batches are *{state}*: when one finishes, is paused or waits for "
        "approval, I tell you in a DM as well as in its thread."
        if state == "on"
        else "DMs about your batches are *off*: their threads still say everything."
    )
    text += " `/bitscale dms on` or `/bitscale dms off` changes it."
    return {"text": text, "blocks": notice_blocks(text)}


subcommand("dms", instant=_dms)


def may_control(services: Services, batch_owner: str, user_id: str) -> bool:
    """Who may cancel or resume a batch: the person who started it, or a bot admin."""
    if user_id == batch_owner:
        return True
    return services.policy is not None and services.policy.is_admin(user_id)


def register(app: App, services: Services) -> None:
    @app.view(kit.UPLOAD_VIEW)
    def upload(ack: Ack, body: dict, client: WebClient) -> None:
        handle_upload(ack, body, client, services)

    @app.view(kit.MAP_VIEW)
    def columns(ack: Ack, body: dict, client: WebClient) -> None:
        handle_map(ack, body, client, services)

    @app.view(kit.PREVIEW_VIEW)
    def start(ack: Ack, body: dict, client: WebClient) -> None:
        handle_preview(ack, body, services, client)

    @app.action(kit.CANCEL_BATCH_ACTION)
    def cancel(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        _control(body, respond, services, "cancel")

    @app.action(kit.RESUME_BATCH_ACTION)
    def resume(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        _control(body, respond, services, "resume")


def _control(body: dict, respond: Respond, services: Services, what: str) -> None:
    batches = services.batches
    actions = body.get("actions") or [{}]
    batch_id = (actions[0] or {}).get("value") or ""
    user_id = (body.get("user") or {}).get("id", "")
    batch = batches.get(batch_id) if batches else None

    def tell(text: str) -> None:
        respond(response_type="ephemeral", replace_original=False, text=text)

    if batch is None or batches is None:
        tell("I can't find that batch any more.")
        return
    if not may_control(services, batch.user_id, user_id):
        tell(f"Only {mention(batch.user_id)}, who started this batch, or an admin can {what} it.")
        return
    if what == "cancel":
        if batches.cancel(batch_id, user_id):
            tell(
                "Cancelling: rows not yet sent are dropped; rows already at BitScale finish, "
                "then the file with everything done so far arrives in the thread."
            )
        else:
            tell("This batch has already ended.")
    elif batches.resume(batch_id):
        tell("Resumed: the rows that were waiting are being sent again.")
    else:
        tell("This batch is not paused (it may have been resumed already).")
