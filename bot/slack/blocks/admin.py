"""The admin form (`/bitscale admin`): budgets, approvals, alerts, detection, the grid
access section (grid_access.py) and the API key line (its screens are in api_key.py); the
answers after a save, and the refusal a non-admin gets.

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
    InputBlock,
    Option,
    PlainTextInputElement,
)

from bot.governance.access import ADMINS_HOWTO, GridAccess
from bot.providers.bitscale.models import GridSummary
from bot.slack.blocks.api_key import ROTATE_ACTION, set_key_button
from bot.slack.blocks.common import button, message_modal, modal, section, when
from bot.slack.blocks.grid_access import VALUE, access_blocks
from bot.slack.text import mention, plain

ADMIN_VIEW = "admin_view"

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
        *access_blocks(
            form.grids,
            form.restricted,
            form.grid_id,
            form.access,
            form.groups,
            form.reuse_days,
            form.default_reuse_days,
        ),
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


def refused_admin_modal(text: str) -> dict:
    return message_modal(f"🚫 {text}", "BitScale admin")
