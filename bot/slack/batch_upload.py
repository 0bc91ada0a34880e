"""The batch form's first step: the grid and the file. Opens the form (with a grid picker
when no grid is named), then downloads and checks the whole file after the ack; a bad file
brings this step back with the problem at the top."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.batches.csvread import CsvProblem, inspect_csv, match_columns
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.slack import blocks as common
from bot.slack.batch_session import info_dict, open_step
from bot.slack.blocks import batches as kit
from bot.slack.files import FileProblem, fetch_file
from bot.slack.form_state import dig
from bot.slack.forms import check_run, refused_modal, update_view
from bot.slack.services import Services
from bot.slack.text import escape


def open_batch_form(
    client: WebClient,
    services: Services,
    trigger_id: str,
    *,
    grid_id: str | None = None,
    query: str | None = None,
    file_id: str | None = None,
    file_name: str | None = None,
    channel_id: str | None,
    user_id: str,
) -> None:
    """Open the batch form within the trigger's 3 seconds. With `file_id` (a message that
    carries a CSV) the form skips the upload field; without a grid it shows a grid picker."""
    base = {
        "channel_id": channel_id,
        "user_id": user_id,
        "file_id": file_id,
        "file_name": file_name,
    }
    note = None
    if grid_id is None and query:
        resolution = services.catalog.resolve(query, cached_only=True)
        if resolution is None:  # cold cache: ask BitScale behind a Loading modal
            opened = client.views_open(trigger_id=trigger_id, view=common.loading_modal(query))
            try:
                resolution = services.catalog.resolve(query)
            except BitScaleError as error:
                update_view(client, opened["view"]["id"], common.error_modal(explain(error)))
                return
            grid_id, note = _pick(resolution, query)
            update_view(client, opened["view"]["id"], _upload_view(services, grid_id, base, note))
            return
        grid_id, note = _pick(resolution, query)
    client.views_open(trigger_id=trigger_id, view=_upload_view(services, grid_id, base, note))


def _pick(resolution: Any, query: str) -> tuple[str | None, str | None]:
    if resolution.grid_id:
        return resolution.grid_id, None
    if resolution.choices:
        return None, f"Several grids match “{query}”: pick one below."
    closest = f" Closest: {', '.join(resolution.closest)}." if resolution.closest else ""
    return None, f"No grid matches “{query}”.{closest} Pick one below."


def _upload_view(
    services: Services, grid_id: str | None, base: dict[str, Any], problem: str | None = None
) -> dict:
    grid_name = description = None
    if grid_id:
        form = services.catalog.form(grid_id, cached_only=True)
        grid_name = form.grid_name if form else _listed_name(services, grid_id)
        description = form.description if form else ""
        refused = check_run(
            services, base.get("user_id") or "", grid_id, grid_name, entry="batch"
        )
        if refused:
            return refused_modal(refused)
    session = services.store.save_session(
        {**base, "step": "upload", "grid_id": grid_id, "grid_name": grid_name}
    )
    return kit.upload_modal(
        session,
        grid_name=grid_name,
        description=description or "",
        file_name=base.get("file_name") or ("the file from the message" if base.get("file_id")
                                            else None),
        problem=problem,
    )


def _listed_name(services: Services, grid_id: str) -> str:
    grids = services.catalog.all_grids(cached_only=True) or []
    return next((g.name for g in grids if g.id == grid_id), grid_id)


def handle_upload(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    session = open_step(ack, services, body, "upload")
    if session is None:
        return
    values = dig(body, "view", "state", "values") or {}
    errors = {}
    grid_id = session.get("grid_id") or dig(
        values, kit.GRID_BLOCK, common.PICK_GRID_ACTION, "selected_option", "value"
    )
    if not grid_id or grid_id == common.LOADING_GRIDS:
        errors[kit.GRID_BLOCK] = "Pick the grid to run."
    file_id = session.get("file_id")
    if not file_id:
        files = dig(values, kit.FILE_BLOCK, kit.FILE_ACTION, "files") or []
        if not files:
            errors[kit.FILE_BLOCK] = "Attach the CSV file to enrich."
        elif len(files) > 1:
            errors[kit.FILE_BLOCK] = "One file per batch: remove the others."
        else:
            file_id = files[0].get("id")
    if errors:
        ack(response_action="errors", errors=errors)
        return
    user_id = (body.get("user") or {}).get("id") or session.get("user_id", "")
    refused = check_run(services, user_id, grid_id, session.get("grid_name"), entry="batch")
    if refused:
        ack(response_action="update", view=refused_modal(refused))
        return
    ack(response_action="update", view=common.loading_modal("your file"))
    view_id = body["view"]["id"]
    session = {**session, "grid_id": grid_id, "file_id": file_id}
    services.later(lambda: read_file(client, services, view_id, session))


def read_file(client: WebClient, services: Services, view_id: str, session: dict) -> None:
    """Download and check the whole file, then show the column matching step."""
    batches = services.batches
    assert batches is not None
    base = {k: session.get(k) for k in ("channel_id", "user_id")}
    retry = {**base, "file_id": None, "file_name": None}
    try:
        shared = fetch_file(client, session["file_id"], max_bytes=services.batch_max_bytes)
        info = inspect_csv(shared.data, max_rows=batches.max_rows, filename=shared.name)
    except (FileProblem, CsvProblem) as problem:
        # The upload step again, with the problem on top: pick a fixed file right there.
        again = _upload_view(services, session["grid_id"], retry, str(problem))
        update_view(client, view_id, again)
        return
    try:
        form = services.catalog.form(session["grid_id"])
    except BitScaleError as error:
        update_view(client, view_id, common.error_modal(explain(error)))
        return
    assert form is not None
    if not form.input_keys:
        update_view(
            client,
            view_id,
            common.message_modal(
                f"*{escape(form.grid_name)}*"
                " asks for no inputs in its API contract, so there is nothing to match. Check "
                "the grid's BitScale API source."
            ),
        )
        return
    # Kept in the database (never on disk) until the batch ends and retention prunes it;
    # an upload never started as a batch goes with the form's session, after a week.
    owner = f"user:{session.get('user_id') or ''}"
    info.file_id = batches.store.files.put("upload", shared.name, shared.data, owner)
    token = services.store.save_session(
        {
            **base,
            "step": "map",
            "grid_id": form.grid_id,
            "grid_name": form.grid_name,
            "file_name": shared.name,
            "file": info_dict(info),
            "keys": form.input_keys,
            "outputs": [{"id": c.id, "name": c.name or c.id} for c in form.outputs],
        }
    )
    update_view(
        client,
        view_id,
        kit.map_modal(
            form,
            token,
            file_name=shared.name,
            rows=info.rows,
            headers=info.headers,
            preselected=match_columns(form.input_keys, info.headers),
        ),
    )
