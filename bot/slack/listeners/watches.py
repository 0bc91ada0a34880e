"""Watches: `/bitscale watch <grid>`, `/bitscale watches`, the form's steps, the list's
buttons (Pause/Resume, Edit, Run now, Delete) and the Watch buttons under a result and a
batch's summary. Who may do what is decided in the core (watches/service.py), from the
watch itself, never from the payload."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.batches.rows import rows as file_rows
from bot.governance.visibility import may_see
from bot.slack.approvals import AFTER_DECISION
from bot.slack.blocks import watch_forms as form_kit
from bot.slack.blocks import watches as kit
from bot.slack.blocks.common import WATCH_BATCH_ACTION, WATCH_RUN_ACTION
from bot.slack.listeners.batches import may_control
from bot.slack.listeners.commands import CommandCall, subcommand
from bot.slack.services import Services
from bot.slack.text import plural
from bot.slack.watch_form import handle_edit, open_edit_form
from bot.slack.watch_form import open_watch_form as open_form
from bot.slack.watch_posts import watch_decided
from bot.slack.watch_save import handle_confirm, handle_form
from bot.store.files import FileMissing
from bot.watches.service import Refused

NOT_ON = "Watches are not switched on in this bot."


def _watch(call: CommandCall) -> None:
    open_form(call.client, call.services, call.trigger_id, query=call.arg,
              user_id=call.user_id, channel_id=call.channel_id)


def _watches(call: CommandCall) -> dict:
    watches = call.services.watches
    if watches is None:
        return {"text": NOT_ON}
    listed = watches.listed_for(call.user_id)
    everyone = call.services.policy is not None and call.services.policy.is_admin(call.user_id)
    return {"text": "Watches", "blocks": kit.list_blocks(listed, everyone=everyone)}


subcommand(
    "watch", answer=_watch,
    usage_when_empty="`/bitscale watch <grid name or id>` — for example "
    "`/bitscale watch Company Enrichment`, then attach the rows as a CSV.",
)
subcommand("watches", instant=_watches, aliases=("watchlist",))


def register(app: App, services: Services) -> None:
    AFTER_DECISION["watch"] = watch_decided

    @app.view(form_kit.FORM_VIEW)
    def form(ack: Ack, body: dict, client: WebClient) -> None:
        handle_form(ack, body, client, services)

    @app.view(form_kit.CONFIRM_VIEW)
    def confirm(ack: Ack, body: dict, client: WebClient) -> None:
        handle_confirm(ack, body, client, services)

    @app.view(form_kit.EDIT_VIEW)
    def edit(ack: Ack, body: dict) -> None:
        handle_edit(ack, body, services)

    for action, verb in (
        (kit.PAUSE_ACTION, "pause"),
        (kit.RESUME_ACTION, "resume"),
        (kit.RUN_NOW_ACTION, "run_now"),
        (kit.DELETE_ACTION, "delete"),
    ):
        app.action(action)(_control_listener(services, verb))

    @app.action(kit.EDIT_ACTION)
    def edit_button(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        watches = services.watches
        user_id = (body.get("user") or {}).get("id", "")
        watch = watches.get(_value(body)) if watches else None
        if watch is None or watch.state == "deleted":
            _tell(respond, "I can't find that watch any more (it may have been deleted).")
        elif not watches.may_manage(watch, user_id):
            try:
                watches.edit(watch.id, user_id)  # refused and audited there
            except Refused as refusal:
                _tell(respond, str(refusal))
        else:
            open_edit_form(client, services, body.get("trigger_id", ""), watch, user_id)

    @app.action(WATCH_RUN_ACTION)
    def watch_run(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        _watch_a_run(body, client, respond, services)

    @app.action(WATCH_BATCH_ACTION)
    def watch_batch(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        _watch_a_batch(body, client, respond, services)


def _value(body: dict) -> str:
    actions = body.get("actions") or [{}]
    return str((actions[0] or {}).get("value") or "")[:64]


def _tell(respond: Respond, text: str) -> None:
    """A private answer; the texts are the bot's own sentences (a mention at most)."""
    respond(response_type="ephemeral", replace_original=False, text=text)


DONE_WORDS = {
    "pause": "⏸️ Paused: it will not fire until it is resumed.",
    "resume": "▶️ Resumed: it fires again at its next time.",
    "run_now": "🔁 Running now: the digest arrives in the watch's thread.",
    "delete": "🗑️ Deleted: it will not fire again. Its past digests stay in their thread.",
}


def _control_listener(services: Services, verb: str):
    def control(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        watches = services.watches
        if watches is None:
            _tell(respond, NOT_ON)
            return
        user_id = (body.get("user") or {}).get("id", "")
        try:
            getattr(watches, verb)(_value(body), user_id)
        except Refused as refusal:
            _tell(respond, str(refusal))
            return
        _tell(respond, DONE_WORDS[verb])
        if verb == "run_now":
            services.later(watches.tick)  # start it now rather than at the next tick
        if body.get("container", {}).get("type") == "message" and body.get("response_url"):
            everyone = services.policy is not None and services.policy.is_admin(user_id)
            respond(replace_original=True, text="Watches", blocks=kit.list_blocks(
                watches.listed_for(user_id), everyone=everyone))

    control.__name__ = f"watch_{verb}"
    return control


def _watch_a_run(body: dict, client: WebClient, respond: Respond, services: Services) -> None:
    user_id = (body.get("user") or {}).get("id", "")
    channel_id = (body.get("channel") or {}).get("id")
    run = services.store.find_run(_value(body))
    if run is None or not may_see(run, user_id, channel_id):
        _tell(respond, "I can't find that run any more.")
        return
    inputs = {k: str(v).strip() for k, v in (run.inputs or {}).items() if str(v or "").strip()}
    open_form(client, services, body.get("trigger_id", ""), grid_id=run.grid_id,
              user_id=user_id, channel_id=run.channel_id or channel_id, rows=[inputs],
              rows_text="the inputs of this run", checked=run.output_columns)


def _watch_a_batch(body: dict, client: WebClient, respond: Respond, services: Services) -> None:
    user_id = (body.get("user") or {}).get("id", "")
    batch = services.batches.get(_value(body)) if services.batches else None
    if batch is None:
        _tell(respond, "I can't find that batch any more.")
        return
    if not may_control(services, batch.user_id, user_id):
        _tell(respond, "Only the person who started this batch, or an admin, can watch its rows.")
        return
    try:
        info = services.batches.store.csv_info(batch)
        found = [r.inputs for r in file_rows(info, batch.mapping) if r.inputs]
    except FileMissing:
        _tell(respond, "This batch's file is gone (old files are cleaned up): start a watch "
                       "with `/bitscale watch` and attach the rows again.")
        return
    distinct = list({tuple(sorted(r.items())): r for r in found}.values())
    open_form(client, services, body.get("trigger_id", ""), grid_id=batch.grid_id,
              user_id=user_id, channel_id=batch.channel_id, rows=distinct,
              rows_text=f"the {plural(len(distinct), 'row')} of this batch",
              checked=batch.output_columns)
