"""A modal's `view.state.values` as Slack reports them, filled the way a person would fill
the form: the run form, the batch upload and column forms."""

from __future__ import annotations

from typing import Any

from bot.slack.text import squash


def file_values(view: dict, file: dict | None) -> dict:
    """The state of the batch upload form with `file` (from SlackStandIn.add_file) chosen."""
    values: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks", []):
        if block.get("type") == "input" and block["element"]["type"] == "file_input":
            files = [file] if file else []
            values[block["block_id"]] = {
                block["element"]["action_id"]: {"type": "file_input", "files": files}
            }
    return values


def select_values(view: dict, picks: dict[str, str | None] | None = None,
                  outputs: list[str] | None = None) -> dict:
    """Fill the batch column form: for each input (by key or label) the header to pick;
    inputs not named keep their pre-selection, None clears one."""
    values: dict[str, dict[str, Any]] = {}
    picks = picks or {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        action_id = element["action_id"]
        if element["type"] == "static_select":
            label = block["label"]["text"]
            hint = (block.get("hint") or {}).get("text", "")
            key = hint.rsplit(" ", 1)[-1] if hint else label
            option = element.get("initial_option")
            for name in (key, label):
                if name in picks:
                    wanted = picks[name]
                    option = next(
                        (o for o in element["options"] if o["text"]["text"] == wanted), None
                    )
            values[block_id] = {action_id: {"type": "static_select", "selected_option": option}}
        elif element["type"] == "checkboxes":
            options = element.get("initial_options", [])
            if outputs is not None:
                options = [o for o in element["options"] if o["value"] in outputs]
            values[block_id] = {action_id: {"type": "checkboxes", "selected_options": options}}
    return values


def form_values(
    view: dict,
    inputs: dict[str, str] | None = None,
    outputs: list[str] | None = None,
    channel: str | None = None,
    deliver: str | None = None,
) -> dict:
    """Fill a run modal: text inputs by their label or key, checkboxes by option value,
    radio buttons (where the result goes) by option value, else their initial option."""
    values: dict[str, dict[str, Any]] = {}
    inputs = inputs or {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        action_id = element["action_id"]
        if element["type"] == "plain_text_input":
            label = block["label"]["text"]
            # Labels follow the label rule: squashed, a label equals its input's key.
            given = [v for k, v in inputs.items() if squash(k) == squash(label)]
            value = given[0] if given else element.get("initial_value")
            values[block_id] = {action_id: {"type": "plain_text_input", "value": value}}
        elif element["type"] == "checkboxes":
            options = element.get("initial_options", [])
            if outputs is not None:
                options = [o for o in element["options"] if o["value"] in outputs]
            values[block_id] = {action_id: {"type": "checkboxes", "selected_options": options}}
        elif element["type"] == "radio_buttons":
            picked = [o for o in element["options"] if o["value"] == deliver]
            option = picked[0] if picked else element.get("initial_option")
            values[block_id] = {action_id: {"type": "radio_buttons", "selected_option": option}}
        elif element["type"] == "conversations_select":
            values[block_id] = {
                action_id: {"type": "conversations_select", "selected_conversation": channel}
            }
    return values


def input_key(label: str) -> str:
    """The snake_case key a run form's label was made from ("Full name" → "full_name")."""
    return "_".join(label.lower().split())


def initial_inputs(view: dict) -> dict[str, str | None]:
    """A run form's text inputs as {key: pre-filled value}."""
    return {
        input_key(b["label"]["text"]): b["element"].get("initial_value")
        for b in view.get("blocks", [])
        if b.get("type") == "input" and b["element"]["type"] == "plain_text_input"
    }
