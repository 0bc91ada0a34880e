"""The run form, built from a grid's run contract, and the shortcut's grid picker."""

from __future__ import annotations

import hashlib
import math

from slack_sdk.models.blocks import (
    Block,
    ConversationSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
)

from bot.grids.catalog import RunForm
from bot.slack.blocks.common import (
    CHECKBOX_GROUP,
    DELIVER_ACTION,
    DELIVER_BLOCK,
    MAX_MODAL_BLOCKS,
    OUTPUTS_ACTION,
    POST_IN_BLOCK,
    RUN_VIEW,
    context,
    message_modal,
    modal,
    section,
)
from bot.slack.blocks.fields import grid_picker, output_checkboxes
from bot.slack.text import escape, humanize_key, plain, squash, truncate


def max_inputs(output_count: int) -> int:
    groups = math.ceil(output_count / CHECKBOX_GROUP)
    # header, context, output groups, where the result goes, post-in
    return MAX_MODAL_BLOCKS - 2 - groups - 2


def input_block_id(key: str) -> str:
    """One block id per input key: Slack keeps what was typed in a field across form
    updates when its block id stays the same, and keys may be too long for a block id."""
    return "in_" + hashlib.sha1(key.encode()).hexdigest()[:16]


# What a rep might type, by what the input's key says it is (first match wins).
_EXAMPLES = [
    ("email", "e.g. ada@acme.com"),
    ("linkedin", "e.g. https://www.linkedin.com/in/ada-lovelace"),
    ("domain", "e.g. acme.com"),
    ("website", "e.g. acme.com"),
    ("url", "e.g. https://acme.com"),
    ("phone", "e.g. +44 20 7946 0958"),
    ("fullname", "e.g. Ada Lovelace"),
    ("firstname", "e.g. Ada"),
    ("lastname", "e.g. Lovelace"),
    ("company", "e.g. Acme Inc"),
    ("title", "e.g. Head of Sales"),
    ("country", "e.g. Germany"),
]


def example_for(key: str) -> str:
    """A placeholder that shows the kind of value the input wants."""
    squashed = squash(key)
    for word, example in _EXAMPLES:
        if word in squashed:
            return example
    label = humanize_key(key)
    first = label.split()[0]
    return (
        f"Type the {label if first.isupper() and len(first) > 1 else label[0].lower() + label[1:]}"
    )


def run_modal(
    form: RunForm,
    session: str,
    ask_channel: bool = False,
    values: dict[str, str] | None = None,
    checked: list[str] | None = None,
    shared_in: str | None = None,
    private: bool = False,
) -> dict:
    """The run form. `shared_in` names where the result is shared by default ("This
    channel", "The message's thread"); with it the rep may choose "Only me" instead."""
    if len(form.input_keys) > max_inputs(len(form.outputs)):
        return message_modal(
            f"*{escape(form.grid_name)}* needs {len(form.input_keys)} inputs, more than a "
            "Slack form can hold. Run it from BitScale instead."
        )
    blocks: list[Block] = [
        section(
            f"*{escape(truncate(form.grid_name, 200))}*"
            + (f"\n{escape(truncate(form.description, 500))}" if form.description else "")
        )
    ]
    for key in form.input_keys:
        blocks.append(
            InputBlock(
                block_id=input_block_id(key),
                label=plain(humanize_key(key), 2000),
                element=PlainTextInputElement(
                    action_id="value",
                    initial_value=(values or {}).get(key) or None,
                    placeholder=plain(example_for(key), 150),
                ),
            )
        )
    # dispatch_action: a change re-asks BitScale which inputs the chosen outputs need.
    blocks += output_checkboxes(
        form.outputs,
        checked,
        action_id=OUTPUTS_ACTION,
        first_label="Outputs",
        dispatch_action=True,
    )
    if shared_in:
        blocks.append(deliver_block(shared_in, private))
    if ask_channel:
        blocks.append(
            InputBlock(
                block_id=POST_IN_BLOCK,
                optional=True,
                label="Post the result in",
                element=ConversationSelectElement(
                    action_id="conversation", default_to_current_conversation=True
                ),
                hint="Leave empty to get it in a direct message.",
            )
        )
    blocks.append(context("Each run adds a row to the grid and spends BitScale credits."))
    return modal(
        f"Run {form.grid_name}",
        blocks,
        submit="Run",
        close="Cancel",
        callback_id=RUN_VIEW,
        private_metadata=session,
    )


SHARED, ONLY_ME = "shared", "me"


def deliver_block(shared_in: str, private: bool = False) -> InputBlock:
    """Where the result goes: shared where the run was asked for, or only to the rep."""
    shared = Option(value=SHARED, text=plain(f"{shared_in} (everyone there sees it)", 75))
    only_me = Option(value=ONLY_ME, text=plain("Only me (a direct message from BitScale)", 75))
    return InputBlock(
        block_id=DELIVER_BLOCK,
        label="Send the result to",
        element=RadioButtonsElement(
            action_id=DELIVER_ACTION,
            options=[shared, only_me],
            initial_option=only_me if private else shared,
        ),
    )


def shortcut_modal(session: str) -> dict:
    return modal(
        "Run a BitScale grid",
        private_metadata=session,
        blocks=[
            grid_picker(dispatch_action=True),
            context("Pick a grid to see its inputs."),
        ],
    )
