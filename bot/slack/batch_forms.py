"""The batch forms: upload (grid and file) → match columns → preview → start.

All three steps are one modal (one view id), so submitting the same form twice starts one
batch. Slow work (downloading, checking, counting) runs after the ack, and the modal is
updated in place; a bad file brings the upload step back with the problem at the top.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.batch_rows import Plan, plan
from bot.batches import BatchRequest
from bot.csvio import CsvInfo, CsvProblem, inspect_csv, match_columns
from bot.providers.bitscale import BitScaleError, Priority
from bot.providers.bitscale.errors import explain
from bot.slack import blocks as common
from bot.slack.blocks import batches as kit
from bot.slack.files import FileProblem, fetch_file
from bot.slack.approvals import start_batch
from bot.slack.forms import check_run, chosen_outputs, refused_modal, update_view
from bot.slack.services import Services
from bot.slack.text import escape, humanize_key

log = logging.getLogger(__name__)

EXPIRED = "This form has expired. Start again with `/bitscale batch <grid>`."


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


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _session(services: Services, body: dict, step: str) -> dict | None:
    view = body.get("view") or {}
    session = services.store.load_session(view.get("private_metadata") or "")
    return session if session and session.get("step") == step else None


# --- step 1: the file ------------------------------------------------------------------------


def handle_upload(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    session = _session(services, body, "upload")
    if session is None:
        ack(response_action="update", view=common.message_modal(EXPIRED))
        return
    values = _dig(body, "view", "state", "values") or {}
    errors = {}
    grid_id = session.get("grid_id") or _dig(
        values, kit.GRID_BLOCK, common.PICK_GRID_ACTION, "selected_option", "value"
    )
    if not grid_id:
        errors[kit.GRID_BLOCK] = "Pick the grid to run."
    file_id = session.get("file_id")
    if not file_id:
        files = _dig(values, kit.FILE_BLOCK, kit.FILE_ACTION, "files") or []
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
        shared = fetch_file(
            client, session["file_id"], batches.files_dir, max_bytes=services.batch_max_bytes
        )
        info = inspect_csv(shared.path, max_rows=batches.max_rows, filename=shared.name)
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
    token = services.store.save_session(
        {
            **base,
            "step": "map",
            "grid_id": form.grid_id,
            "grid_name": form.grid_name,
            "file_name": shared.name,
            "file": _info_dict(info),
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


def _info_dict(info: CsvInfo) -> dict[str, Any]:
    return {
        "path": info.path,
        "encoding": info.encoding,
        "delimiter": info.delimiter,
        "headers": info.headers,
        "rows": info.rows,
    }


# --- step 2: the columns ---------------------------------------------------------------------


def handle_map(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    session = _session(services, body, "map")
    if session is None:
        ack(response_action="update", view=common.message_modal(EXPIRED))
        return
    values = _dig(body, "view", "state", "values") or {}
    headers = session["file"]["headers"]
    mapping, errors = {}, {}
    for key in session["keys"]:
        block = kit.map_block_id(key)
        picked = _dig(values, block, kit.MAP_ACTION, "selected_option", "value")
        try:
            mapping[key] = headers[int(picked)]
        except (TypeError, ValueError, IndexError):
            errors[block] = f"{humanize_key(key)} is required: pick the column that holds it."
    output_ids = [o["id"] for o in session["outputs"]]
    chosen = _chosen(output_ids, values)
    if output_ids and not chosen:
        errors["out0"] = "Pick at least one output."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=common.loading_modal("the preview"))
    view_id = body["view"]["id"]
    session = {
        **session,
        "mapping": mapping,
        "chosen": chosen,
        "output_columns": chosen if len(chosen) < len(output_ids) else None,
    }
    services.later(lambda: show_preview(client, services, view_id, session))


def _chosen(output_ids: list[str], values: dict) -> list[str]:
    """Ticked outputs in the grid's order (the batch form's own checkbox action id)."""
    renamed = {
        block: {common.OUTPUTS_ACTION: state.get(kit.BATCH_OUTPUTS_ACTION)}
        for block, state in values.items()
        if isinstance(state, dict) and kit.BATCH_OUTPUTS_ACTION in state
    }
    return chosen_outputs(output_ids, renamed)


def show_preview(client: WebClient, services: Services, view_id: str, session: dict) -> None:
    batches = services.batches
    assert batches is not None
    info = CsvInfo(**session["file"])
    counted = plan(info, session["mapping"])
    try:
        # Fresh, not the 10-second cache: this number decides whether to spend.
        workspace = services.bitscale.workspace(priority=Priority.INTERACTIVE)
        credits_left: int | None = workspace.credits.remaining
    except BitScaleError as error:
        log.info("credits unknown for the preview: %s", error.code)
        credits_left = None
    cost = batches.cost_per_run(session["grid_id"])
    counted.reused = batches.reusable(
        session["grid_id"],
        session["grid_name"],
        info,
        session["mapping"],
        session.get("output_columns"),
        session.get("user_id") or "",
    )
    token = services.store.save_session(
        {
            **session,
            "step": "preview",
            "plan": {
                "rows_total": counted.rows_total,
                "runs": counted.runs,
                "reused": counted.reused,
                "duplicates": counted.duplicates,
                "skipped": counted.skipped,
            },
            "estimate": None if cost is None else cost * (counted.runs - counted.reused),
            "estimate_fresh": None if cost is None else cost * counted.runs,
        }
    )
    update_view(
        client,
        view_id,
        kit.preview_modal(
            token,
            grid_name=session["grid_name"],
            file_name=session["file_name"],
            plan=counted,
            credits_left=credits_left,
            cost_per_run=cost,
        ),
    )


# --- step 3: start ---------------------------------------------------------------------------


def handle_preview(
    ack: Ack, body: dict, services: Services, client: WebClient | None = None
) -> None:
    session = _session(services, body, "preview")
    if session is None:
        ack(response_action="update", view=common.message_modal(EXPIRED))
        return
    user_id = (body.get("user") or {}).get("id") or session.get("user_id", "")
    runs = int((session.get("plan") or {}).get("runs") or 0)
    refused = check_run(
        services, user_id, session["grid_id"], session.get("grid_name"), entry="batch", rows=runs
    )
    if refused:
        ack(response_action="update", view=refused_modal(refused))
        return
    ack()
    view_id = (body.get("view") or {}).get("id")
    chosen = set(session.get("chosen") or [])
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    ticked = ((values.get(kit.FRESH_BLOCK) or {}).get(kit.FRESH_ACTION) or {}).get(
        "selected_options"
    )
    fresh = bool(ticked)
    request = BatchRequest(
        info=CsvInfo(**session["file"]),
        file_name=session["file_name"],
        grid_id=session["grid_id"],
        grid_name=session["grid_name"],
        mapping=session["mapping"],
        outputs=[o for o in session["outputs"] if o["id"] in chosen],
        output_columns=session.get("output_columns"),
        user_id=(body.get("user") or {}).get("id") or session.get("user_id", ""),
        channel_id=session.get("channel_id"),
        plan=Plan(**session["plan"]),
        estimate=session.get("estimate_fresh" if fresh else "estimate"),
        fresh=fresh,
        team_id=(body.get("team") or {}).get("id"),
        dedupe_key=f"view:{view_id}" if view_id else None,
    )
    services.later(lambda: start_batch(client, services, request))
