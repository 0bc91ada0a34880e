"""Reading the run modal's state: what was typed and ticked, checked as a submission."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.slack import blocks as kit
from bot.slack.text import humanize_key


@dataclass
class Submission:
    inputs: dict[str, str] = field(default_factory=dict)
    output_columns: list[str] | None = None
    channel_id: str | None = None
    private: bool = False  # "Only me": the result goes to a DM, nothing in the channel
    errors: dict[str, str] = field(default_factory=dict)


def dig(data: Any, *path: str) -> Any:
    """data[path[0]][path[1]]…, or None where any step is missing or not a dict."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _encodable(text: str) -> bool:
    """False for text holding a lone surrogate ("\\ud800"), which no database or API
    can store as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_submission(session: dict[str, Any], values: dict[str, Any]) -> Submission:
    """Read the modal's state into run inputs, with errors keyed by block id."""
    result = Submission(channel_id=session.get("channel_id"))
    for key in session.get("keys", []):
        block_id = kit.input_block_id(key)
        raw = dig(values, block_id, "value", "value")
        text = (raw or "").strip() if isinstance(raw, str) else ""
        label = humanize_key(key)
        if not text:
            result.errors[block_id] = f"{label} can't be empty."
        elif len(text) > kit.MAX_INPUT_CHARS:
            result.errors[block_id] = (
                f"{label} is {len(text):,} characters; the limit is {kit.MAX_INPUT_CHARS:,}."
            )
        elif not _encodable(text):
            result.errors[block_id] = (
                f"{label} has a character that arrived broken (half of an emoji or "
                "symbol). Please retype it."
            )
        else:
            result.inputs[key] = text
    all_outputs = list(session.get("outputs", []))
    if all_outputs:
        chosen = chosen_outputs(all_outputs, values)
        if not chosen:
            result.errors["out0"] = "Pick at least one output."
        elif len(chosen) < len(all_outputs):
            result.output_columns = chosen
    if session.get("ask_channel"):
        picked = dig(values, kit.POST_IN_BLOCK, "conversation", "selected_conversation")
        result.channel_id = picked if isinstance(picked, str) and picked else None
    choice = dig(values, kit.DELIVER_BLOCK, kit.DELIVER_ACTION, "selected_option", "value")
    if choice == kit.ONLY_ME:  # nothing in the channel: the result comes by DM
        result.private, result.channel_id = True, None
    return result


def chosen_outputs(all_outputs: list[str], values: dict[str, Any]) -> list[str]:
    """The ticked output ids, known ids only, in the grid's order."""
    ticked: list[str] = []
    for j in range(0, len(all_outputs), kit.CHECKBOX_GROUP):
        selected = dig(
            values, f"out{j // kit.CHECKBOX_GROUP}", kit.OUTPUTS_ACTION, "selected_options"
        )
        if isinstance(selected, list):
            ticked += [o.get("value") for o in selected if isinstance(o, dict)]
    return [c for c in all_outputs if c in ticked]
