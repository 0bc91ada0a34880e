"""Workflow Builder: the custom step "Run a BitScale grid" (Bolt's `app.function`).

The step is acknowledged at once and stays open while the grid runs: the run is stored with
the step's function execution id, and the notifier completes the step when the run ends
(bot/runs/steps.py), also after a restart. Problems found before a run starts fail the step at
once with a sentence saying what to change in the workflow.

Whose access and budget apply: always "workflow" (policy.WORKFLOW_USER), under the grid
access and the budget an admin gives workflows in `/bitscale admin`. A step's inputs are
typed by whoever built the workflow, so a user-id input could name anyone (an admin,
to borrow their grids). The person Slack says set the workflow off (the optional
`triggered_by` input, of Slack's `user_context` type, which a builder cannot type in) is
recorded in the audit log with the workflow's execution id; it grants nothing.
"""

from __future__ import annotations

import logging

from slack_bolt import App, Fail
from slack_sdk.errors import SlackApiError

from bot.governance.access import WORKFLOW_USER
from bot.grids.catalog import RunForm
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.runs.types import RunRefused, RunRequest
from bot.slack.services import Services
from bot.slack.text import is_user_id
from bot.slack.workflow import STEP_CALLBACK, match_step_inputs

log = logging.getLogger(__name__)

def register(app: App, services: Services) -> None:
    @app.function(STEP_CALLBACK)
    def run_grid_step(inputs: dict, body: dict, fail: Fail) -> None:
        # Bolt acknowledged the event already (auto_acknowledge); the work goes on after.
        event = body.get("event") or {}
        execution_id = str(event.get("function_execution_id") or "")
        workflow = str(event.get("workflow_execution_id") or "")
        team_id = body.get("team_id")
        services.later(
            lambda: start_step(services, execution_id, inputs, team_id, fail, workflow=workflow)
        )


def triggered_by(inputs: dict) -> str | None:
    """The user id Slack put in the `triggered_by` user_context input, if any."""
    context = inputs.get("triggered_by")
    user = context.get("id") if isinstance(context, dict) else None
    return user if is_user_id(user) else None


def start_step(
    services: Services,
    execution_id: str,
    inputs: dict,
    team_id: str | None,
    fail: Fail,
    *,
    workflow: str = "",
) -> None:
    def refuse(sentence: str) -> None:
        try:
            fail(sentence)
        except SlackApiError as exc:
            log.warning("could not fail step %s: %s", execution_id, exc.response.get("error"))

    grid_query = str(inputs.get("grid") or "").strip()
    channel = str(inputs.get("channel") or "").strip() or None
    if not grid_query:
        refuse("The step has no grid. Set its Grid to a grid's name or id.")
        return
    try:
        resolution = services.catalog.resolve(grid_query)
        assert resolution is not None
        if resolution.choices:
            names = ", ".join(g.name for g in resolution.choices[:5])
            refuse(f"Several grids match “{grid_query}”: {names}. Use the full name or the id.")
            return
        if not resolution.grid_id:
            closest = ", ".join(resolution.closest) or "none"
            refuse(f"No grid is called “{grid_query}” (closest: {closest}).")
            return
        form = services.catalog.form(resolution.grid_id)
    except BitScaleError as error:
        refuse(explain(error))
        return
    assert form is not None
    parsed = match_step_inputs(str(inputs.get("inputs") or ""), form.input_keys)
    if parsed.problems:
        refuse(" ".join(parsed.problems))
        return
    # A step starts like any other run, as "workflow"; the policy (grid access, budgets)
    # is asked inside start_run.
    who = {"workflow_execution_id": workflow or None, "triggered_by": triggered_by(inputs)}
    try:
        run, created = _start(services, execution_id, form, parsed.values, channel, team_id)
    except RunRefused as refusal:
        _audit(services, "workflow_step_refused", form, execution_id, who)
        refuse(str(refusal))
        return
    if created:  # a redelivered event started nothing new: nothing new to record
        _audit(services, "workflow_step", form, execution_id, {**who, "run_id": run.id})


def _audit(services: Services, action: str, form: RunForm, execution_id: str, who: dict) -> None:
    if services.policy is not None:
        services.policy.audit.record(
            WORKFLOW_USER,
            action,
            grid_id=form.grid_id,
            grid_name=form.grid_name,
            entry="workflow",
            function_execution_id=execution_id,
            **who,
        )


def _start(
    services: Services,
    execution_id: str,
    form: RunForm,
    values: dict[str, str],
    channel: str | None,
    team_id: str | None,
):
    return services.runs.start_run(
        RunRequest(
            grid_id=form.grid_id,
            grid_name=form.grid_name,
            inputs=values,
            user_id=WORKFLOW_USER,
            channel_id=channel,
            team_id=team_id,
            dedupe_key=f"step:{execution_id}",
            source="workflow",
            reuse=True,  # a workflow cannot press Run fresh: a recent answer is used
            step_execution_id=execution_id,
            quiet=channel is None,
        )
    )
