"""The watch form: open it (from `/bitscale watch <grid>`, a result's Watch button or a
batch's summary), read it, show the cost before saving, save; and the edit form.

The form is acked at once; the slow parts (the person's time zone, the file, the credits
left) happen after the ack and end in the next step of the same modal. A problem brings
the form back with the problem on top and the choices kept.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.batches.csvread import CsvProblem, inspect_csv, match_columns
from bot.batches.rows import rows as file_rows
from bot.providers.bitscale.errors import BitScaleError
from bot.providers.bitscale.models import Column
from bot.providers.bitscale.transport import Priority
from bot.slack import blocks as common
from bot.slack.batch_session import info_dict
from bot.slack.blocks import watch_forms as kit
from bot.slack.files import FileProblem, fetch_file
from bot.slack.form_state import chosen_outputs, dig
from bot.slack.forms import check_run, refused_modal, update_view
from bot.slack.services import Services
from bot.slack.text import escape, humanize_key, plural
from bot.slack.watch_posts import ask_for_watch_approval, open_thread_now
from bot.watches.schedule import Schedule, ScheduleProblem
from bot.watches.service import Refused, WatchDraft

log = logging.getLogger(__name__)

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
    view = _form_view(services.store.save_session(session), session, checked=checked,
                      channel_id=channel_id)
    _show(client, trigger_id, opened_id, view)


def _show(client: WebClient, trigger_id: str, view_id: str | None, view: dict) -> None:
    if view_id:
        update_view(client, view_id, view)
    else:
        client.views_open(trigger_id=trigger_id, view=view)


def _form_view(token: str, session: dict, **kwargs: Any) -> dict:
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


def handle_form(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    session = _session(ack, services, body, "watch_form")
    if session is None:
        return
    choices, errors = read_choices(dig(body, "view", "state", "values") or {}, session)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=common.loading_modal("your watch"))
    view_id = body["view"]["id"]
    services.later(lambda: prepare(client, services, view_id, session, choices))


def prepare(
    client: WebClient, services: Services, view_id: str, session: dict, choices: dict
) -> None:
    """The time zone, the rows and the cost; then the confirm step (or the form again)."""
    watches = services.watches
    assert watches is not None

    def again(problem: str) -> None:
        token = services.store.save_session(session)
        update_view(client, view_id, _form_view(
            token, session, problem=problem, checked=choices["outputs"],
            channel_id=choices["channel_id"], only_me=choices["only_me"],
            only_changes=choices["only_changes"]))

    try:
        schedule = schedule_of(choices, _time_zone(client, session["user_id"]))
    except ScheduleProblem as problem:
        again(str(problem))
        return
    rows, rows_text = session.get("rows"), session.get("rows_text")
    if rows is None:
        try:
            rows, rows_text = _rows_from_file(client, services, session, choices["files"][0])
        except (FileProblem, CsvProblem) as problem:
            again(str(problem))
            return
    draft = WatchDraft(
        owner=session["user_id"], grid_id=session["grid_id"], grid_name=session["grid_name"],
        input_keys=session["input_keys"], rows=rows,
        outputs=[o for o in session["outputs"] if o["id"] in choices["outputs"]],
        schedule=schedule, channel_id=None if choices["only_me"] else choices["channel_id"],
        only_changes=choices["only_changes"],
    )
    try:
        credits_left = services.bitscale.workspace(priority=Priority.INTERACTIVE).credits.remaining
    except BitScaleError as error:
        log.info("credits unknown for the watch form: %s", error.code)
        credits_left = None
    cost = watches.cost(draft, credits_left)
    token = services.store.save_session({
        **session, "step": "watch_confirm", "rows": rows, "rows_text": rows_text,
        "draft": _draft_json(draft),
    })
    what = (f"Watch {escape(rows_text or '')} with *{escape(draft.grid_name)}*, "
            f"{escape(schedule.describe())}; digests in "
            f"{'a direct message' if draft.channel_id is None else f'<#{draft.channel_id}>'}"
            + (", only when something changes." if draft.only_changes else "."))
    update_view(client, view_id, kit.confirm_modal(token, what=what, cost=cost))


def _time_zone(client: WebClient, user_id: str) -> str:
    """The person's Slack time zone; UTC when Slack does not say."""
    try:
        return (client.users_info(user=user_id).get("user") or {}).get("tz") or "UTC"
    except SlackApiError as exc:
        log.info("time zone of %s unknown: %s", user_id, exc.response.get("error"))
        return "UTC"


def _rows_from_file(
    client: WebClient, services: Services, session: dict, file: dict
) -> tuple[list[dict[str, str]], str]:
    batches = services.batches
    assert batches is not None
    shared = fetch_file(client, file.get("id") or "", max_bytes=services.batch_max_bytes)
    info = inspect_csv(shared.data, max_rows=batches.max_rows, filename=shared.name)
    keys = session["input_keys"]
    mapping = match_columns(keys, info.headers)
    missing = [k for k in keys if k not in mapping]
    if missing:
        names = ", ".join(f"“{humanize_key(k)}”" for k in missing)
        raise CsvProblem(
            f"{shared.name} has no column for {names}. Name the columns like the grid's "
            f"inputs ({', '.join(humanize_key(k) for k in keys)}) and attach it again."
        )
    found = [r.inputs for r in file_rows(info, mapping) if r.inputs]
    distinct = list({tuple(sorted(r.items())): r for r in found}.values())
    if not distinct:
        raise CsvProblem(f"{shared.name} has no row with every input filled in.")
    session["file"] = info_dict(info)
    skipped = info.rows - len(found)
    text = f"{plural(len(distinct), 'row')} of {shared.name}" + (
        f" ({skipped:,} with an empty input left out)" if skipped else "")
    return distinct, text


def _draft_json(draft: WatchDraft) -> dict[str, Any]:
    return {"outputs": draft.outputs, "schedule": draft.schedule.to_json(),
            "channel_id": draft.channel_id, "only_changes": draft.only_changes}


def handle_confirm(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    session = _session(ack, services, body, "watch_confirm")
    if session is None:
        return
    ack(response_action="update", view=common.loading_modal("your watch"))
    view_id = (body.get("view") or {}).get("id") or ""
    team = (body.get("team") or {}).get("id")
    services.later(lambda: save(client, services, view_id, session, team))


def save(client: WebClient, services: Services, view_id: str, session: dict,
         team_id: str | None) -> None:
    watches = services.watches
    assert watches is not None
    saved = session["draft"]
    draft = WatchDraft(
        owner=session["user_id"], grid_id=session["grid_id"], grid_name=session["grid_name"],
        input_keys=session["input_keys"], rows=session["rows"], outputs=saved["outputs"],
        schedule=Schedule.from_json(saved["schedule"]), channel_id=saved["channel_id"],
        only_changes=saved["only_changes"], team_id=team_id, dedupe_key=f"view:{view_id}",
    )
    try:
        watch, created = watches.create(draft)
    except Refused as refusal:  # the core's own sentence (who to ask is a mention)
        update_view(client, view_id, refused_modal(str(refusal)))
        return
    update_view(client, view_id, kit.saved_modal(watch))
    if created:
        open_thread_now(services, watch)
        if watch.state == "awaiting_approval":
            ask_for_watch_approval(client, services, watch)


def _session(ack: Ack, services: Services, body: dict, step: str) -> dict | None:
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
    session = _session(ack, services, body, "watch_edit")
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
