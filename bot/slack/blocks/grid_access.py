"""The admin form's grid access section: who may run a grid, and how long its results are
reused. `/bitscale admin` (admin.py) places it in the form; listeners/admin.py reads the
submitted state back by these block ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticMultiSelectElement,
    UserMultiSelectElement,
)

from bot.governance.access import WORKFLOW_USER, GridAccess
from bot.providers.bitscale.models import GridSummary
from bot.slack.blocks.common import context, section
from bot.slack.text import escape, mention, plain, truncate

VALUE = "value"  # every input's action id, in this section and the rest of the admin form
ACCESS_GRID_ACTION = "admin_access_grid"
GRID_BLOCK = "access_grid"
# These carry the chosen grid in their id, so picking another grid shows its own values
# (Slack keeps what was typed into a block whose id does not change).
MODE_BLOCK = "access_mode"
USERS_BLOCK = "access_users"
WORKFLOWS_BLOCK = "access_workflows"
WORKFLOWS_OPTION = "workflows"
GROUPS_BLOCK = "access_groups"
REUSE_BLOCK = "reuse_days"

MODES = {
    "everyone": "Everyone in the workspace",
    "chosen": "Only the people and groups below",
    "nobody": "Nobody",
}


def access_blocks(
    grids: Sequence[GridSummary],
    restricted: dict[str, GridAccess],
    grid_id: str | None,
    access: GridAccess,
    groups: Sequence[dict[str, str]] = (),
    reuse_days: float | None = None,
    default_reuse_days: float = 30,
) -> list[Block]:
    """The grids limited now, a grid picker, and the picked grid's settings."""
    names = {g.id: g.name for g in grids}
    options = [Option(value=g.id[:150], text=plain(g.name, 75)) for g in grids]
    current = next((o for o in options if o.value == grid_id), None)
    blocks: list[Block] = [section("*Grid access* — who may run a grid. Everyone, by default.")]
    if restricted:
        lines = [
            f"• *{escape(truncate(names.get(g, g), 80))}*: {describe_access(a)}"
            for g, a in list(restricted.items())[:20]
        ]
        blocks.append(context("\n".join(lines)))
    if not options:
        blocks.append(context("No grids are known yet: open `/bitscale grids` once, then here."))
        return blocks
    blocks.append(
        InputBlock(
            block_id=GRID_BLOCK,
            label=plain("Grid", 2000),
            optional=True,
            dispatch_action=True,
            # Type-ahead over every grid (options come from listeners/admin.py).
            element=ExternalDataSelectElement(
                action_id=ACCESS_GRID_ACTION,
                min_query_length=0,
                initial_option=current,
                placeholder=plain("Type to find a grid and change who may run it", 150),
            ),
        )
    )
    if grid_id is None:
        return blocks
    suffix = f":{grid_id[:100]}"
    modes = [Option(value=m, text=plain(t, 75)) for m, t in MODES.items()]
    blocks.append(
        InputBlock(
            block_id=MODE_BLOCK + suffix,
            label=plain("May run it", 2000),
            element=RadioButtonsElement(
                action_id=VALUE,
                options=modes,
                initial_option=next(o for o in modes if o.value == access.mode),
            ),
        )
    )
    blocks.append(
        InputBlock(
            block_id=USERS_BLOCK + suffix,
            label=plain("People", 2000),
            optional=True,
            element=UserMultiSelectElement(
                action_id=VALUE,
                initial_users=[u for u in access.users if u != WORKFLOW_USER] or None,
            ),
        )
    )
    workflows = Option(value=WORKFLOWS_OPTION, text=plain("Workflows may run it", 75))
    blocks.append(
        InputBlock(
            block_id=WORKFLOWS_BLOCK + suffix,
            label=plain("Workflow Builder steps", 2000),
            optional=True,
            hint=plain(
                "With “Only the people and groups below”: steps run as “workflow”, not as a "
                "person, so tick this to let them run it.",
                2000,
            ),
            element=CheckboxesElement(
                action_id=VALUE,
                options=[workflows],
                initial_options=[workflows] if WORKFLOW_USER in access.users else None,
            ),
        )
    )
    own = reuse_days
    blocks.append(
        InputBlock(
            block_id=REUSE_BLOCK + suffix,
            label=plain("Reuse this grid's results for (days)", 2000),
            optional=True,
            hint=plain(
                f"A recent answer to the same inputs is posted for free. Empty = the default "
                f"({default_reuse_days:g} days); 0 = always run fresh.",
                2000,
            ),
            element=PlainTextInputElement(
                action_id=VALUE,
                initial_value=None if own is None else f"{own:g}",
                placeholder=plain(f"{default_reuse_days:g}", 150),
            ),
        )
    )
    if groups:
        group_options = [
            Option(
                value=g["id"], text=plain(f"@{g['handle']}" if g.get("handle") else g["name"], 75)
            )
            for g in groups[:100]
        ]
        chosen = [o for o in group_options if o.value in access.groups]
        blocks.append(
            InputBlock(
                block_id=GROUPS_BLOCK + suffix,
                label=plain("User groups", 2000),
                optional=True,
                element=StaticMultiSelectElement(
                    action_id=VALUE, options=group_options, initial_options=chosen or None
                ),
            )
        )
    return blocks


def describe_access(access: GridAccess) -> str:
    if access.mode == "nobody":
        return "nobody"
    who = [("workflows" if u == WORKFLOW_USER else mention(u)) for u in access.users]
    who += [f"<!subteam^{g}>" for g in access.groups]
    return "only " + (", ".join(who) if who else "nobody yet")
