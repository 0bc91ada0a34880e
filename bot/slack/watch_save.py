"""A filled-in watch form to a saved watch: the cost before saving (the confirm step),
then the save, the watch's thread and, for a large watch, the request for approval.

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
from bot.providers.bitscale.transport import Priority
from bot.slack import blocks as common
from bot.slack.batch_session import info_dict
from bot.slack.blocks import watch_forms as kit
from bot.slack.files import FileProblem, fetch_file
from bot.slack.form_state import dig
from bot.slack.forms import refused_modal, update_view
from bot.slack.services import Services
from bot.slack.text import escape, humanize_key, plural
from bot.slack.watch_form import form_view, read_choices, schedule_of, step_session
from bot.slack.watch_posts import ask_for_watch_approval, open_thread_now
from bot.watches.schedule import Schedule, ScheduleProblem
from bot.watches.service import Refused, WatchDraft

log = logging.getLogger(__name__)


def handle_form(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    session = step_session(ack, services, body, "watch_form")
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
        update_view(client, view_id, form_view(
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
    session = step_session(ack, services, body, "watch_confirm")
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
