"""The admin form (`/bitscale admin`): budgets, approvals, alerts, grid access, key rotation.

Block ids are the contract with the listeners (listeners/admin.py and, for the key buttons,
listeners/api_key.py), which read the submitted state back by these ids and check again that
the person is an admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from slack_sdk.models.blocks import (
    Block,
    ChannelSelectElement,
    CheckboxesElement,
    ConversationFilter,
    ConversationMultiSelectElement,
    DividerBlock,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticMultiSelectElement,
    UserMultiSelectElement,
)

from bot.governance.policy import ADMINS_HOWTO, WORKFLOW_USER, GridAccess
from bot.providers.bitscale.models import GridSummary
from bot.slack.blocks.api_key import set_key_button
from bot.slack.blocks.common import button, context, message_modal, modal, section, when
from bot.slack.text import escape, mention, plain, truncate

ADMIN_VIEW = "admin_view"
ROTATE_VIEW = "rotate_key_view"
ROTATE_ACTION = "admin_rotate_key"
ACCESS_GRID_ACTION = "admin_access_grid"
VALUE = "value"  # every input's action id

PERSON_BLOCK = "person_budget"
WORKFLOW_BLOCK = "workflow_budget"
WORKSPACE_BLOCK = "workspace_budget"
APPROVAL_BLOCK = "approval_rows"
ALERT_CHANNEL_BLOCK = "alert_channel"
ALERT_THRESHOLD_BLOCK = "alert_threshold"
ALERT_FORECAST_BLOCK = "alert_forecast"
DETECT_BLOCK = "detect_channels"  # opt-in detection (bot/slack/detection.py)
DIGEST_BLOCK = "weekly_digest"  # the admin's own choice, not the workspace's
ON = "on"
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


@dataclass
class AdminForm:
    """What the form shows: current settings and the grid being edited, if any."""

    person_budget: int | None
    workspace_budget: int | None
    approval_rows: int
    alert_channel: str | None
    alert_threshold: int
    grids: Sequence[GridSummary] = ()
    groups: Sequence[dict[str, str]] = ()  # id, handle, name
    restricted: dict[str, GridAccess] = field(default_factory=dict)
    grid_id: str | None = None  # the grid whose access is shown
    access: GridAccess = field(default_factory=GridAccess)
    key_rotated: tuple[float, str] | None = None  # (when, by whom) of the stored key
    reuse_days: float | None = None  # the chosen grid's own reuse window
    default_reuse_days: float = 30  # RESULT_REUSE_DAYS
    workflow_budget: int | None = None  # rows a day for all workflow steps together
    forecast_alerts: bool = False  # also alert when the forecast runs out before renewal
    digest: bool = True  # this admin gets the weekly digest
    detect_channels: Sequence[str] = ()  # where opt-in detection is on


def _number(block_id: str, label: str, value: int | None, hint: str) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=plain(label, 2000),
        optional=True,
        hint=plain(hint, 2000),
        element=PlainTextInputElement(
            action_id=VALUE,
            initial_value=None if value is None else str(value),
            placeholder=plain("Unlimited", 150) if value is None else None,
        ),
    )


def _switch(block_id: str, label: str, option: str, on: bool, hint: str) -> InputBlock:
    choice = Option(value=ON, text=plain(option, 75))
    return InputBlock(
        block_id=block_id,
        label=plain(label, 2000),
        optional=True,
        hint=plain(hint, 2000),
        element=CheckboxesElement(
            action_id=VALUE, options=[choice], initial_options=[choice] if on else None
        ),
    )


def admin_modal(form: AdminForm) -> dict:
    names = {g.id: g.name for g in form.grids}
    blocks: list[Block] = [
        section("*Budgets* — rows a day, reset at 00:00 UTC. Leave empty for unlimited."),
        _number(PERSON_BLOCK, "Rows per person per day", form.person_budget, "Each person."),
        _number(
            WORKSPACE_BLOCK,
            "Rows per day, whole workspace",
            form.workspace_budget,
            "Everyone together.",
        ),
        _number(
            WORKFLOW_BLOCK,
            "Rows per day for workflows",
            form.workflow_budget,
            "All Workflow Builder steps together (they run as “workflow”). Empty = the "
            "per-person budget.",
        ),
        DividerBlock(),
        section("*Approval* — larger batches wait for an admin to approve them."),
        _number(
            APPROVAL_BLOCK,
            "Batches above this many rows need approval",
            form.approval_rows,
            "Default 1,000.",
        ),
        DividerBlock(),
        section("*Credit alerts and approval requests*"),
        InputBlock(
            block_id=ALERT_CHANNEL_BLOCK,
            label=plain("Alerts channel", 2000),
            optional=True,
            hint=plain("Credit alerts, and approval requests (else each admin gets a DM).", 2000),
            element=ChannelSelectElement(action_id=VALUE, initial_channel=form.alert_channel),
        ),
        _number(
            ALERT_THRESHOLD_BLOCK,
            "Alert when credits fall below",
            form.alert_threshold,
            "CREDIT_ALERT_THRESHOLD is the default.",
        ),
        _switch(
            ALERT_FORECAST_BLOCK,
            "Forecast alert",
            "Alert when the forecast runs out before the plan renews",
            form.forecast_alerts,
            "Once per crossing, with the grids and people driving the spend.",
        ),
        _switch(
            DIGEST_BLOCK,
            "Weekly digest",
            "Send me the weekly digest",
            form.digest,
            "Mondays 09:00 in your Slack time zone: in the alerts channel, or by DM.",
        ),
        DividerBlock(),
        InputBlock(
            block_id=DETECT_BLOCK,
            label=plain("Opt-in detection in", 2000),
            optional=True,
            hint=plain(
                "Here a domain or email someone posts gets them, and only them, an offer to "
                "enrich it with the channel's default grid. Same as /bitscale detect on|off.",
                2000,
            ),
            element=ConversationMultiSelectElement(
                action_id=VALUE,
                initial_conversations=list(form.detect_channels)[:100] or None,
                filter=ConversationFilter(include=["public", "private"]),
            ),
        ),
        DividerBlock(),
        *_access_blocks(form, names),
        DividerBlock(),
        section(
            "*API key* — " + _key_line(form.key_rotated),
            accessory=button("Rotate API key…", ROTATE_ACTION, "rotate", "danger"),
        ),
        set_key_button(),
    ]
    return modal("BitScale admin", blocks, submit="Save", callback_id=ADMIN_VIEW)


def _key_line(rotated: tuple[float, str] | None) -> str:
    if rotated is None:
        return "the bot uses BITSCALE_API_KEY."
    return f"the bot uses the key {mention(rotated[1])} rotated {when(rotated[0])}."


def _access_blocks(form: AdminForm, names: dict[str, str]) -> list[Block]:
    options = [Option(value=g.id[:150], text=plain(g.name, 75)) for g in form.grids]
    current = next((o for o in options if o.value == form.grid_id), None)
    blocks: list[Block] = [section("*Grid access* — who may run a grid. Everyone, by default.")]
    if form.restricted:
        lines = [
            f"• *{escape(truncate(names.get(g, g), 80))}*: {describe_access(a)}"
            for g, a in list(form.restricted.items())[:20]
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
    if form.grid_id is None:
        return blocks
    suffix = f":{form.grid_id[:100]}"
    modes = [Option(value=m, text=plain(t, 75)) for m, t in MODES.items()]
    blocks.append(
        InputBlock(
            block_id=MODE_BLOCK + suffix,
            label=plain("May run it", 2000),
            element=RadioButtonsElement(
                action_id=VALUE,
                options=modes,
                initial_option=next(o for o in modes if o.value == form.access.mode),
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
                initial_users=[u for u in form.access.users if u != WORKFLOW_USER] or None,
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
                initial_options=[workflows] if WORKFLOW_USER in form.access.users else None,
            ),
        )
    )
    own = form.reuse_days
    blocks.append(
        InputBlock(
            block_id=REUSE_BLOCK + suffix,
            label=plain("Reuse this grid's results for (days)", 2000),
            optional=True,
            hint=plain(
                f"A recent answer to the same inputs is posted for free. Empty = the default "
                f"({form.default_reuse_days:g} days); 0 = always run fresh.",
                2000,
            ),
            element=PlainTextInputElement(
                action_id=VALUE,
                initial_value=None if own is None else f"{own:g}",
                placeholder=plain(f"{form.default_reuse_days:g}", 150),
            ),
        )
    )
    if form.groups:
        groups = [
            Option(
                value=g["id"], text=plain(f"@{g['handle']}" if g.get("handle") else g["name"], 75)
            )
            for g in form.groups[:100]
        ]
        chosen = [o for o in groups if o.value in form.access.groups]
        blocks.append(
            InputBlock(
                block_id=GROUPS_BLOCK + suffix,
                label=plain("User groups", 2000),
                optional=True,
                element=StaticMultiSelectElement(
                    action_id=VALUE, options=groups, initial_options=chosen or None
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


def not_admin_text(admins: Sequence[str], what: str = "change these settings") -> str:
    """`what` the person tried: 'read the audit log', 'rotate the API key'."""
    if not admins:
        return (
            f"Only bot admins can {what}, and none are named yet. To name one, "
            f"{ADMINS_HOWTO}. The README's “Admins” section has the details."
        )
    names = ", ".join(mention(a) for a in admins[:10])
    return f"Sorry, only bot admins can {what}. The admins are {names}: ask one of them."


def saved_modal(changes: Sequence[str]) -> dict:
    if not changes:
        return message_modal("Nothing changed.", "BitScale admin")
    lines = "\n".join(f"• {c}" for c in changes[:30])
    return message_modal(f"✅ Saved, in effect now:\n{lines}", "BitScale admin")


def rotate_confirm_modal() -> dict:
    return modal(
        "Rotate API key",
        [
            section(
                "⚠️ *Rotating the BitScale API key stops every other integration that uses "
                "the current key at once* (scripts, CI, MCP clients, other tools). The bot "
                "switches to the new key by itself, without a restart.\n\n"
                "The new key is shown to you once, on the next screen. Store it in your "
                "password manager, then give it to the other integrations."
            )
        ],
        submit="Rotate now",
        callback_id=ROTATE_VIEW,
        close="Cancel",
    )


def rotating_modal() -> dict:
    return message_modal("⏳ Rotating the key…", "Rotate API key")


def new_key_modal(key: str) -> dict:
    """The only place the key is ever shown: this modal, to the admin who rotated it."""
    return modal(
        "New API key",
        [
            section("✅ The key was rotated. The bot already uses the new key."),
            section(f"```{key}```"),
            context(
                "⚠️ Copy it now and store it safely: this is the only time it is shown. "
                "The old key no longer works anywhere. The bot keeps the key in its database, "
                "where it takes precedence over BITSCALE_API_KEY (see the README)."
            ),
        ],
    )


def rotation_failed_modal(sentence: str, key: str | None = None) -> dict:
    blocks: list[Block] = [section(f"⚠️ {escape(sentence)}")]
    if key:
        blocks.append(section(f"```{key}```"))
    return modal("Rotate API key", blocks)


def refused_admin_modal(text: str) -> dict:
    return message_modal(f"🚫 {text}", "BitScale admin")
