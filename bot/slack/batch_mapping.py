"""The batch form's second step: which file column holds each grid input, which outputs
to add; then the preview is counted after the ack."""

from __future__ import annotations

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack import blocks as common
from bot.slack.batch_preview import show_preview
from bot.slack.batch_session import open_step
from bot.slack.blocks import batches as kit
from bot.slack.form_state import chosen_outputs, dig
from bot.slack.services import Services
from bot.slack.text import humanize_key


def handle_map(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    session = open_step(ack, services, body, "map")
    if session is None:
        return
    values = dig(body, "view", "state", "values") or {}
    headers = session["file"]["headers"]
    mapping, errors = {}, {}
    for key in session["keys"]:
        block = kit.map_block_id(key)
        picked = dig(values, block, kit.MAP_ACTION, "selected_option", "value")
        try:
            mapping[key] = headers[int(picked)]
        except (TypeError, ValueError, IndexError):
            errors[block] = f"{humanize_key(key)} is required: pick the column that holds it."
    output_ids = [o["id"] for o in session["outputs"]]
    chosen = _chosen(output_ids, values)
    if output_ids and not chosen:
        errors["out0"] = "Pick at least one output."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=common.loading_modal("the preview"))
    view_id = body["view"]["id"]
    session = {
        **session,
        "mapping": mapping,
        "chosen": chosen,
        "output_columns": chosen if len(chosen) < len(output_ids) else None,
    }
    services.later(lambda: show_preview(client, services, view_id, session))


def _chosen(output_ids: list[str], values: dict) -> list[str]:
    """Ticked outputs in the grid's order (the batch form's own checkbox action id)."""
    renamed = {
        block: {common.OUTPUTS_ACTION: state.get(kit.BATCH_OUTPUTS_ACTION)}
        for block, state in values.items()
        if isinstance(state, dict) and kit.BATCH_OUTPUTS_ACTION in state
    }
    return chosen_outputs(output_ids, renamed)
