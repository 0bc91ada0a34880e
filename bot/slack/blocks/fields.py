"""Form fields more than one form asks: the grid picker and the output checkboxes."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from slack_sdk.models.blocks import CheckboxesElement, ExternalDataSelectElement, InputBlock, Option

from bot.providers.bitscale.models import Column
from bot.slack.blocks.common import CHECKBOX_GROUP, PICK_GRID_ACTION
from bot.slack.text import plain


def grid_picker(block_id: str = "grid", *, dispatch_action: bool = False) -> InputBlock:
    """A type-ahead of grids (served by the options listener from the grid cache)."""
    return InputBlock(
        block_id=block_id,
        label="Grid",
        dispatch_action=dispatch_action or None,
        element=ExternalDataSelectElement(
            action_id=PICK_GRID_ACTION,
            placeholder="Type to search grids",
            min_query_length=0,
        ),
    )


def output_checkboxes(
    outputs: Sequence[Column],
    checked: Collection[str] | None,
    *,
    action_id: str,
    first_label: str,
    dispatch_action: bool = False,
) -> list[InputBlock]:
    """The outputs to ask for, ten to a group (Slack's limit), all ticked unless `checked`
    names the ones to tick. Block ids `out0`, `out1`… are what the forms read back."""
    blocks = []
    for j in range(0, len(outputs), CHECKBOX_GROUP):
        group = outputs[j : j + CHECKBOX_GROUP]
        options = [Option(value=c.id[:150], text=plain(c.name or c.id, 75)) for c in group]
        ticked = [
            o for o, c in zip(options, group, strict=True) if checked is None or c.id in checked
        ]
        blocks.append(
            InputBlock(
                block_id=f"out{j // CHECKBOX_GROUP}",
                optional=True,
                dispatch_action=dispatch_action or None,
                label=first_label if j == 0 else "More outputs",
                element=CheckboxesElement(
                    action_id=action_id, options=options, initial_options=ticked or None
                ),
            )
        )
    return blocks
