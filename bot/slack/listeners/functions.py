"""Workflow Builder: the custom step "Run a BitScale grid" (Bolt's `app.function`).

The step is acknowledged at once and stays open while the grid runs: the run is stored with
the step's function execution id, and the notifier completes the step when the run ends
(bot/runs/steps.py), also after a restart. Problems found before a run starts fail the step at
once with a sentence saying what to change in the workflow.
"""

from __future__ import annotations

import logging

from slack_bolt import App, Fail
from slack_sdk.errors import SlackApiError

from bot.grids.catalog import RunForm
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.runs.types import RunRefused, RunRequest
from bot.slack.services import Services
from bot.slack.text import is_user_id
from bot.slack.workflow import STEP_CALLBACK, match_step_inputs

log = logging.getLogger(__name__)

WORKFLOW_USER = "workflow"  # who a run is for when the step names no person


def register(app: App, services: Services) -> None:
    @app.function(STEP_CALLBACK)
    def run_grid_step(inputs: dict, body: dict, fail: Fail) -> None:
        # Bolt acknowledged the event already (auto_acknowledge); the work goes on after.
        event = body.get("event") or {}
        execution_id = str(event.get("function_execution_id") or "")
        team_id = body.get("team_id")
        services.later(lambda: start_step(services, execution_id, inputs, team_id, fail))


def start_step(
    services: Services, execution_id: str, inputs: dict, team_id: str | None, fail: Fail
) -> None:
    def refuse(sentence: str) -> None:
        try:
            fail(sentence)
        except SlackApiError as exc:
            log.warning("could not fail step %s: %s", execution_id, exc.response.get("error"))

    grid_query = str(inputs.get("grid") or "").strip()
    channel = str(inputs.get("channel") or "").strip() or None
    run_as = str(inputs.get("run_as") or "").strip()
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
    # The seam for result reuse: a step starts like any other run, marked "workflow".
    # The policy (grid access, budgets) is asked inside start_run for the person it runs as.
    try:
        _start(services, execution_id, form, parsed.values, run_as, channel, team_id)
    except RunRefused as refusal:
        refuse(str(refusal))


def _start(
    services: Services,
    execution_id: str,
    form: RunForm,
    values: dict[str, str],
    run_as: str,
    channel: str | None,
    team_id: str | None,
) -> None:
    services.runs.start_run(
        RunRequest(
            grid_id=form.grid_id,
            grid_name=form.grid_name,
            inputs=values,
            user_id=run_as if is_user_id(run_as) else WORKFLOW_USER,
            channel_id=channel,
            team_id=team_id,
            dedupe_key=f"step:{execution_id}",
            source="workflow",
            reuse=True,  # a workflow cannot press Run fresh: a recent answer is used
            step_execution_id=execution_id,
            quiet=channel is None,
        )
    )
