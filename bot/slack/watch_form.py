"""The watch form: open it (from `/bitscale watch <grid>`, a result's Watch button or a
batch's summary) and read it back, and the edit form. What follows a filled-in form, the
cost before saving and the save, is watch_save.py's.

A problem brings the form back with the problem on top and the choices kept.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.providers.bitscale.models import Column
from bot.slack import blocks as common
from bot.slack.blocks import watch_forms as kit
from bot.slack.form_state import chosen_outputs, dig
from bot.slack.forms import check_run, refused_modal, update_view
from bot.slack.services import Services
from bot.slack.text import escape, plural
from bot.watches.schedule import Schedule, ScheduleProblem
from bot.watches.service import Refused

EXPIRED = "This form has expired. Start again with `/bitscale watch <grid>`."


def open_watch_form(
    client: WebClient,
    services: Services,
    trigger_id: str,
    *,
    user_id: str,
    channel_id: str | None,
    query: str | None = None,
    grid_id: str | None = None,
    rows: list[dict[str, str]] | None = None,
    rows_text: str | None = None,
    checked: list[str] | None = None,
) -> None:
    """Open the form within the trigger's 3 seconds (a Loading modal first when the grid
    is not in the cache)."""
    opened_id = None
    if grid_id is None:
        resolution = services.catalog.resolve(query or "", cached_only=True)
        if resolution is None:
            opened = client.views_open(trigger_id=trigger_id, view=common.loading_modal(query))
            opened_id = opened["view"]["id"]
            resolution = services.catalog.resolve(query or "")
        grid_id = resolution.grid_id if resolution else None
        if grid_id is None:
            closest = f" Closest: {', '.join(resolution.closest)}." if resolution and \
                resolution.closest else ""
            choices = resolution.choices if resolution else []
            what = "Several grids match" if choices else "No grid matches"
            text = f"{what} “{query}”.{closest} Name one exactly: `/bitscale watch <grid>`."
            _show(client, trigger_id, opened_id, common.error_modal(text))
            return
    form = services.catalog.form(grid_id, cached_only=opened_id is None)
    if form is None:  # not cached: fetch it behind a Loading modal
        opened = client.views_open(trigger_id=trigger_id, view=common.loading_grid_modal())
        opened_id = opened["view"]["id"]
        form = services.catalog.form(grid_id)
    assert form is not None
    refused = check_run(services, user_id, form.grid_id, form.grid_name, entry="watch")
    if refused:
        _show(client, trigger_id, opened_id, refused_modal(refused))
        return
    session = {
        "step": "watch_form", "user_id": user_id, "channel_id": channel_id,
        "grid_id": form.grid_id, "grid_name": form.grid_name, "input_keys": form.input_keys,
        "outputs": [{"id": c.id, "name": c.name or c.id} for c in form.outputs],
        "rows": rows, "rows_text": rows_text,
    }
    view = form_view(services.store.save_session(session), session, checked=checked,
                      channel_id=channel_id)
    _show(client, trigger_id, opened_id, view)


def _show(client: WebClient, trigger_id: str, view_id: str | None, view: dict) -> None:
    if view_id:
        update_view(client, view_id, view)
    else:
        client.views_open(trigger_id=trigger_id, view=view)


def form_view(token: str, session: dict, **kwargs: Any) -> dict:
    return kit.watch_form(
        token, grid_name=session["grid_name"], outputs=_columns(session),
        rows_text=session.get("rows_text"), **kwargs,
    )


def _columns(session: dict) -> list[Column]:
    return [Column(id=o["id"], name=o["name"]) for o in session["outputs"]]


# --- reading the form ------------------------------------------------------------------


def read_choices(values: dict, session: dict) -> tuple[dict[str, Any], dict[str, str]]:
    """(the choices, errors by block) of a submitted watch or edit form."""
    ids = [o["id"] for o in session["outputs"]]
    outputs = chosen_outputs(ids, values)
    options = {o.get("value") for o in dig(values, kit.OPTIONS_BLOCK, "options",
                                           "selected_options") or []}
    choices = {
        "outputs": outputs,
        "every": dig(values, kit.EVERY_BLOCK, "every", "selected_option", "value") or "weekly",
        "weekday": dig(values, kit.WEEKDAY_BLOCK, "weekday", "selected_option", "value"),
        "day": dig(values, kit.DAY_BLOCK, "day", "selected_option", "value"),
        "at": dig(values, kit.TIME_BLOCK, "time", "selected_time"),
        "channel_id": dig(values, kit.CHANNEL_BLOCK, "conversation", "selected_conversation"),
        "only_me": kit.ONLY_ME in options,
        "only_changes": kit.ONLY_CHANGES in options,
        "files": dig(values, kit.FILE_BLOCK, kit.FILE_ACTION, "files") or [],
    }
    errors = {}
    if not outputs:
        errors["out0"] = "Pick at least one output to compare."
    if not choices["at"]:
        errors[kit.TIME_BLOCK] = "Pick the time the watch runs at."
    if session.get("rows") is None and len(choices["files"]) != 1:
        errors[kit.FILE_BLOCK] = "Attach one CSV file with the rows to watch."
    return choices, errors


def schedule_of(choices: dict[str, Any], tz: str) -> Schedule:
    return Schedule(
        every=choices["every"], at=choices["at"], tz=tz,
        weekday=int(choices["weekday"] or 0) if choices["every"] == "weekly" else None,
        day=int(choices["day"] or 1) if choices["every"] == "monthly" else None,
    )


def step_session(ack: Ack, services: Services, body: dict, step: str) -> dict | None:
    view = body.get("view") or {}
    session = services.store.load_session(view.get("private_metadata") or "")
    if not session or session.get("step") != step or services.watches is None:
        ack(response_action="update", view=common.message_modal(EXPIRED))
        return None
    return session


# --- editing ---------------------------------------------------------------------------


def open_edit_form(client: WebClient, services: Services, trigger_id: str, watch: Any,
                   user_id: str) -> None:
    session = {
        "step": "watch_edit", "watch_id": watch.id, "user_id": user_id,
        "grid_name": watch.grid_name, "outputs": _edit_outputs(services, watch),
        "rows": [], "rows_text": f"{plural(watch.rows, 'row')} (kept as they are)",
        "tz": watch.schedule.tz,
    }
    token = services.store.save_session(session)
    view = kit.watch_form(
        token, grid_name=watch.grid_name, outputs=_columns(session),
        rows_text=session["rows_text"], schedule=watch.schedule,
        checked=[o["id"] for o in watch.outputs], channel_id=watch.channel_id,
        only_me=watch.channel_id is None, only_changes=bool(watch.only_changes),
        title="Edit the watch", callback_id=kit.EDIT_VIEW,
    )
    client.views_open(trigger_id=trigger_id, view=view)


def _edit_outputs(services: Services, watch: Any) -> list[dict[str, str]]:
    """The grid's outputs when the cache knows them, else the watch's own."""
    form = services.catalog.form(watch.grid_id, cached_only=True)
    if form is None:
        return watch.outputs
    return [{"id": c.id, "name": c.name or c.id} for c in form.outputs]


def handle_edit(ack: Ack, body: dict, services: Services) -> None:
    session = step_session(ack, services, body, "watch_edit")
    if session is None:
        return
    assert services.watches is not None
    choices, errors = read_choices(dig(body, "view", "state", "values") or {}, session)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    actor = (body.get("user") or {}).get("id") or ""
    try:
        watch = services.watches.edit(
            session["watch_id"], actor,
            schedule=schedule_of(choices, session["tz"]),
            outputs=[o for o in session["outputs"] if o["id"] in choices["outputs"]],
            channel_id=None if choices["only_me"] else choices["channel_id"],
            only_changes=choices["only_changes"],
        )
    except ScheduleProblem as problem:
        ack(response_action="update", view=refused_modal(escape(str(problem))))
        return
    except Refused as refusal:  # the core's own sentence: its mentions must stay mentions
        ack(response_action="update", view=refused_modal(str(refusal)))
        return
    ack(response_action="update", view=kit.saved_modal(watch))
