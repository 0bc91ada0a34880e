"""`/bitscale admin`: the admin form and its grid-access picker (the form's API key buttons
are in api_key.py). The form's blocks are in blocks/admin.py, its grid access section's in
blocks/grid_access.py.

Every handler checks `policy.is_admin` itself: a payload crafted by a non-admin (a
submission of the admin form, a pick in its grid list) is refused where it arrives, not
only hidden in the UI.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.governance.access import WORKFLOW_USER, GridAccess
from bot.governance.policy import (
    ALERT_CHANNEL,
    ALERT_FORECAST,
    ALERT_THRESHOLD,
    APPROVAL_THRESHOLD,
    DEFAULT_APPROVAL_THRESHOLD,
    PERSON_BUDGET,
    REUSE_DAYS,
    WORKFLOW_BUDGET,
    WORKSPACE_BUDGET,
    Policy,
)
from bot.providers.bitscale.errors import BitScaleError
from bot.slack.blocks import admin as kit
from bot.slack.blocks import grid_access as access_kit
from bot.slack.blocks.common import loading_modal, notice_blocks
from bot.slack.blocks.grids import LOADING_GRIDS, grid_options
from bot.slack.detection import apply_detection
from bot.slack.forms import update_view
from bot.slack.listeners.admin_only import admin_submitter, policy_of, refuse_non_admin
from bot.slack.listeners.commands import CommandCall, subcommand
from bot.slack.services import Services
from bot.slack.text import escape

log = logging.getLogger(__name__)


# --- /bitscale admin ---------------------------------------------------------------------------


def _admin(call: CommandCall) -> None:
    refused = refuse_non_admin(call.services, call.user_id, "open the admin form")
    if refused:
        call.respond(text=refused, blocks=notice_blocks(refused))
        return
    opened = call.client.views_open(trigger_id=call.trigger_id, view=loading_modal("the settings"))
    form = admin_form(call.services, user_id=call.user_id)
    update_view(call.client, opened["view"]["id"], kit.admin_modal(form))


subcommand("admin", answer=_admin)


def admin_form(
    services: Services, grid_id: str | None = None, user_id: str | None = None
) -> kit.AdminForm:
    policy = policy_of(services)
    try:
        grids = services.catalog.all_grids() or []
    except BitScaleError as error:
        log.info("admin form without the grid list: %s", error.code)
        grids = services.catalog.all_grids(cached_only=True) or []
    groups_of = getattr(policy.directory, "groups", None)
    return kit.AdminForm(
        person_budget=policy.person_budget(),
        workspace_budget=policy.workspace_budget(),
        workflow_budget=policy.workflow_budget(),
        approval_rows=policy.approval_threshold(),
        alert_channel=policy.alert_channel(),
        alert_threshold=policy.alert_threshold(),
        grids=grids,
        groups=groups_of() if groups_of else [],
        restricted=policy.restricted_grids(),
        grid_id=grid_id,
        access=policy.grid_access(grid_id) if grid_id else GridAccess(),
        key_rotated=services.keys.changed() if services.keys else None,
        reuse_days=policy.reuse_days(grid_id) if grid_id else None,
        default_reuse_days=services.runs.results.default_days if services.runs.results else 30,
        forecast_alerts=policy.forecast_alerts(),
        digest=services.insight.prefs.wants_digest(user_id)
        if services.insight is not None and user_id
        else True,
        detect_channels=services.previews.detecting() if services.previews else (),
    )


# --- reading the submitted form -------------------------------------------------------------


def _value(values: dict, block_id: str) -> Any:
    return (values.get(block_id) or {}).get(kit.VALUE) or {}


def _prefixed(values: dict, prefix: str) -> tuple[str | None, dict]:
    for block_id, actions in values.items():
        if block_id.startswith(prefix + ":"):
            return block_id.split(":", 1)[1], (actions or {}).get(kit.VALUE) or {}
    return None, {}


def _checked(values: dict, block_id: str) -> bool:
    chosen = _value(values, block_id).get("selected_options") or []
    return any(o.get("value") == kit.ON for o in chosen)


def _count(values: dict, block_id: str, errors: dict, *, blank: int | None = None) -> int | None:
    raw = str(_value(values, block_id).get("value") or "").replace(",", "").strip()
    if not raw:
        return blank
    if not raw.isdigit() or len(raw) > 9:
        errors[block_id] = "A whole number, like 500 (or leave it empty)."
        return None
    return int(raw)


def parse_admin_form(values: dict, policy: Policy) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings the form asks for, and errors keyed by block id."""
    errors: dict[str, str] = {}
    fields = {
        PERSON_BUDGET: (kit.PERSON_BLOCK, None),
        WORKSPACE_BUDGET: (kit.WORKSPACE_BLOCK, None),
        WORKFLOW_BUDGET: (kit.WORKFLOW_BLOCK, None),
        APPROVAL_THRESHOLD: (kit.APPROVAL_BLOCK, DEFAULT_APPROVAL_THRESHOLD),
        ALERT_THRESHOLD: (kit.ALERT_THRESHOLD_BLOCK, policy.default_alert_threshold),
    }
    # A block missing from the submitted state leaves its setting as it is.
    wanted: dict[str, Any] = {
        key: _count(values, block, errors, blank=blank)
        for key, (block, blank) in fields.items()
        if block in values
    }
    if kit.ALERT_FORECAST_BLOCK in values:
        wanted[ALERT_FORECAST] = _checked(values, kit.ALERT_FORECAST_BLOCK)
    if kit.DIGEST_BLOCK in values:
        wanted["digest"] = _checked(values, kit.DIGEST_BLOCK)
    if kit.ALERT_CHANNEL_BLOCK in values:
        channel = _value(values, kit.ALERT_CHANNEL_BLOCK).get("selected_channel")
        wanted[ALERT_CHANNEL] = channel or ""
    grid_id, mode = _prefixed(values, access_kit.MODE_BLOCK)
    if grid_id:
        _, users = _prefixed(values, access_kit.USERS_BLOCK)
        _, groups = _prefixed(values, access_kit.GROUPS_BLOCK)
        _, workflows = _prefixed(values, access_kit.WORKFLOWS_BLOCK)
        chosen_mode = (mode.get("selected_option") or {}).get("value") or "everyone"
        people = [u for u in users.get("selected_users") or () if u != WORKFLOW_USER]
        ticked = {o.get("value") for o in workflows.get("selected_options") or []}
        if access_kit.WORKFLOWS_OPTION in ticked:
            people.append(WORKFLOW_USER)  # steps run as "workflow", not as a person
        access = GridAccess(
            chosen_mode if chosen_mode in access_kit.MODES else "everyone",
            tuple(people) if chosen_mode == "chosen" else (),
            tuple(o["value"] for o in groups.get("selected_options") or [])
            if chosen_mode == "chosen"
            else (),
        )
        if access.mode == "chosen" and not (access.users or access.groups):
            errors[f"{access_kit.USERS_BLOCK}:{grid_id}"] = (
                "Pick at least one person or user group (or tick Workflows may run it)."
            )
        wanted["grid_access"] = (grid_id, access)
        reuse_id = access_kit.REUSE_BLOCK
        reuse_block, reuse = _prefixed(values, reuse_id)
        if reuse_block:
            days = _count({reuse_id: {access_kit.VALUE: reuse}}, reuse_id, errors)
            if reuse_id in errors:
                errors[f"{reuse_id}:{grid_id}"] = errors.pop(reuse_id)
            wanted["reuse_days"] = (grid_id, days)
    return wanted, errors


def apply_admin_form(
    policy: Policy, wanted: dict[str, Any], actor: str, names: dict[str, str] | None = None
) -> list[str]:
    """Store what changed (each change audited old → new); sentences for the admin."""
    changes: list[str] = []
    labels = {
        PERSON_BUDGET: "Rows per person per day",
        WORKSPACE_BUDGET: "Rows per day for the workspace",
        WORKFLOW_BUDGET: "Rows per day for workflows",
        APPROVAL_THRESHOLD: "Approval needed above",
        ALERT_THRESHOLD: "Alert below",
    }
    defaults = {
        APPROVAL_THRESHOLD: DEFAULT_APPROVAL_THRESHOLD,
        ALERT_THRESHOLD: policy.default_alert_threshold,
    }
    for key, label in labels.items():
        if key not in wanted:
            continue
        value = wanted[key]
        stored = None if value == defaults.get(key, None) else value
        if policy.settings.set(key, stored, actor=actor, default=defaults.get(key)):
            changes.append(f"{label}: {'unlimited' if value is None else f'{value:,}'}")
    if ALERT_CHANNEL in wanted:
        channel = wanted[ALERT_CHANNEL]
        default_channel = policy.default_alert_channel or ""
        stored_channel = None if channel == default_channel else channel
        if policy.settings.set(ALERT_CHANNEL, stored_channel, actor=actor, default=default_channel):
            where = f"<#{channel}>" if channel else "none (approval requests go to admins by DM)"
            changes.append(f"Alerts channel: {where}")
    if ALERT_FORECAST in wanted:
        on = wanted[ALERT_FORECAST]
        if policy.settings.set(ALERT_FORECAST, on or None, actor=actor, default=False):
            changes.append(
                "Forecast alert: " + ("on" if on else "off (the threshold alert stays on)")
            )
    if "grid_access" in wanted:
        grid_id, access = wanted["grid_access"]
        if policy.set_grid_access(grid_id, access, actor=actor):
            who = "everyone" if access.mode == "everyone" else access_kit.describe_access(access)
            name = escape((names or {}).get(grid_id, grid_id))
            changes.append(f"Who may run *{name}*: {who}")
    if "reuse_days" in wanted:
        grid_id, days = wanted["reuse_days"]
        if policy.settings.set(REUSE_DAYS + grid_id, days, actor=actor):
            name = escape((names or {}).get(grid_id, grid_id))
            shown = "the default" if days is None else f"{days:,} days"
            changes.append(f"Results of *{name}* reused for: {shown}")
    return changes


# --- listeners ---------------------------------------------------------------------------------


def register(app: App, services: Services) -> None:
    @app.view(kit.ADMIN_VIEW)
    def save(ack: Ack, body: dict) -> None:
        user_id = admin_submitter(services, ack, body, "change settings")
        if user_id is None:
            return
        policy = policy_of(services)
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        wanted, errors = parse_admin_form(values, policy)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        grids = services.catalog.all_grids(cached_only=True) or []
        names = {g.id: g.name for g in grids}
        changes = apply_admin_form(policy, wanted, user_id, names)
        insight = services.insight
        if "digest" in wanted and insight is not None:
            if insight.prefs.set_digest(user_id, wanted["digest"]):
                changes.append("Your weekly digest: " + ("on" if wanted["digest"] else "off"))
        if kit.DETECT_BLOCK in values:
            picked = _value(values, kit.DETECT_BLOCK).get("selected_conversations") or []
            changes += apply_detection(services, picked, user_id)
        ack(response_action="update", view=kit.saved_modal(changes))

    @app.options(access_kit.ACCESS_GRID_ACTION)
    def grid_suggestions(ack: Ack, body: dict) -> None:
        user_id = (body.get("user") or {}).get("id") or ""
        if not policy_of(services).is_admin(user_id):
            ack(options=[])
            return
        found = services.catalog.suggest(str(body.get("value") or ""))
        ack(options=grid_options(found.grids, loading=found.loading))

    @app.action(access_kit.ACCESS_GRID_ACTION)
    def show_grid(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        user_id = (body.get("user") or {}).get("id") or ""
        if not policy_of(services).is_admin(user_id):
            return  # the form is for admins only; a crafted click changes nothing
        action = (body.get("actions") or [{}])[0]
        grid_id = (action.get("selected_option") or {}).get("value")
        view = body.get("view") or {}
        if not grid_id or grid_id == LOADING_GRIDS or not view.get("id"):
            return
        services.later(
            lambda: update_view(
                client, view["id"], kit.admin_modal(admin_form(services, grid_id, user_id))
            )
        )
