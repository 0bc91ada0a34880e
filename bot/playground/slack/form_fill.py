"""A modal's `view.state.values` as Slack reports them, filled the way a person would fill
the form: the run form, the batch upload and column forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.slack.text import squash


def _inputs(view: dict) -> Iterator[tuple[dict, dict]]:
    """Each input block of a modal, with its element."""
    for block in view.get("blocks", []):
        if block.get("type") == "input":
            yield block, block["element"]


def _state(block: dict, kind: str, **value: Any) -> dict[str, dict[str, Any]]:
    """One input's entry in view.state.values: {block_id: {action_id: {"type": kind, …}}}."""
    return {block["block_id"]: {block["element"]["action_id"]: {"type": kind, **value}}}


def _ticked(element: dict, outputs: list[str] | None) -> list[dict]:
    """A checkbox group's ticked options: those in `outputs`, else the pre-ticked ones."""
    if outputs is None:
        return element.get("initial_options", [])
    return [o for o in element["options"] if o["value"] in outputs]


def file_values(view: dict, file: dict | None) -> dict:
    """The state of the batch upload form with `file` (from SlackStandIn.add_file) chosen."""
    values: dict[str, dict[str, Any]] = {}
    for block, element in _inputs(view):
        if element["type"] == "file_input":
            values.update(_state(block, "file_input", files=[file] if file else []))
    return values


def select_values(view: dict, picks: dict[str, str | None] | None = None,
                  outputs: list[str] | None = None) -> dict:
    """Fill the batch column form: for each input (by key or label) the header to pick;
    inputs not named keep their pre-selection, None clears one."""
    values: dict[str, dict[str, Any]] = {}
    picks = picks or {}
    for block, element in _inputs(view):
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
            values.update(_state(block, "static_select", selected_option=option))
        elif element["type"] == "checkboxes":
            values.update(_state(block, "checkboxes", selected_options=_ticked(element, outputs)))
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
    for block, element in _inputs(view):
        if element["type"] == "plain_text_input":
            label = block["label"]["text"]
            # Labels follow the label rule: squashed, a label equals its input's key.
            given = [v for k, v in inputs.items() if squash(k) == squash(label)]
            value = given[0] if given else element.get("initial_value")
            values.update(_state(block, "plain_text_input", value=value))
        elif element["type"] == "checkboxes":
            values.update(_state(block, "checkboxes", selected_options=_ticked(element, outputs)))
        elif element["type"] == "radio_buttons":
            picked = [o for o in element["options"] if o["value"] == deliver]
            option = picked[0] if picked else element.get("initial_option")
            values.update(_state(block, "radio_buttons", selected_option=option))
        elif element["type"] == "conversations_select":
            values.update(_state(block, "conversations_select", selected_conversation=channel))
    return values


def input_key(label: str) -> str:
    """The snake_case key a run form's label was made from ("Full name" → "full_name")."""
    return "_".join(label.lower().split())


def initial_inputs(view: dict) -> dict[str, str | None]:
    """A run form's text inputs as {key: pre-filled value}."""
    return {
        input_key(block["label"]["text"]): element.get("initial_value")
        for block, element in _inputs(view)
        if element["type"] == "plain_text_input"
    }


def watch_values(
    view: dict,
    *,
    file: dict | None = None,
    outputs: list[str] | None = None,
    every: str = "weekly",
    weekday: int = 0,
    day: int = 1,
    at: str | None = "09:00",
    channel: str | None = None,
    options: tuple[str, ...] = (),
) -> dict:
    """Fill the watch form (or its edit form): the file, the outputs to compare, the
    schedule, where digests go and the options ("only_me", "only_changes")."""
    picks = {"watch_every": every, "watch_weekday": str(weekday), "watch_day": str(day)}
    values: dict[str, dict[str, Any]] = {}
    for block, element in _inputs(view):
        kind = element["type"]
        if kind == "file_input":
            values.update(_state(block, kind, files=[file] if file else []))
        elif kind == "static_select":
            wanted = picks.get(block["block_id"])
            option = next((o for o in element["options"] if o["value"] == wanted), None)
            values.update(_state(block, kind, selected_option=option))
        elif kind == "timepicker":
            values.update(_state(block, kind, selected_time=at))
        elif kind == "conversations_select":
            values.update(_state(block, kind, selected_conversation=channel))
        elif kind == "checkboxes" and block["block_id"] == "watch_options":
            ticked = [o for o in element["options"] if o["value"] in options]
            values.update(_state(block, kind, selected_options=ticked))
        elif kind == "checkboxes":
            values.update(_state(block, kind, selected_options=_ticked(element, outputs)))
    return values
