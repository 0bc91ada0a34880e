"""The run form follows its outputs: ticking or unticking one asks BitScale which inputs
the chosen outputs need. The form says at once that it is checking (when BitScale must be
asked), and every change ends with the form for the chosen outputs, so a change is never
met with silence."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.providers.bitscale.errors import BitScaleError
from bot.slack import blocks as kit
from bot.slack.blocks.common import context
from bot.slack.form_state import chosen_outputs, dig
from bot.slack.forms import shared_in
from bot.slack.services import Services

log = logging.getLogger(__name__)

NOTE_BLOCK = "outputs_note"
CHECKING = "⏳ Checking which inputs these outputs need…"
NOT_CHECKED = (
    "⚠️ BitScale did not say which inputs these outputs need, so the form keeps the inputs "
    "it had. Tick an output again to ask once more."
)
# What views.update takes of a view Slack sent (it refuses the rest: id, state, hash…).
VIEW_FIELDS = ("type", "title", "submit", "close", "blocks", "private_metadata",
               "callback_id", "clear_on_close", "notify_on_close", "external_id")  # fmt: skip
SESSION_FIELDS = ("channel_id", "user_id", "ask_channel", "thread_ts", "source", "found",
                  "private")  # fmt: skip


def refresh_inputs(client: WebClient, services: Services, view: dict) -> None:
    """Outputs were ticked or unticked: show the inputs the chosen outputs need (keeping
    what was typed)."""
    session = services.store.load_session(view.get("private_metadata") or "")
    if session is None or "grid_id" not in session or not view.get("id"):
        return
    values = (view.get("state") or {}).get("values") or {}
    all_outputs = list(session.get("outputs", []))
    chosen = chosen_outputs(all_outputs, values)
    if not chosen:
        return  # the submit check says "pick at least one"
    narrowed = chosen if len(chosen) < len(all_outputs) else None
    catalog, view_hash = services.catalog, view.get("hash")
    form = catalog.form(session["grid_id"], outputs=narrowed, cached_only=True)
    if form is None:  # BitScale must be asked: say so at once
        view_hash = _update(client, view["id"], view_hash, with_note(view, CHECKING))
        try:
            form = catalog.form(session["grid_id"], outputs=narrowed)
        except BitScaleError as error:
            log.info("could not narrow the inputs: %s", error)
            form = None
        if form is None:
            _update(client, view["id"], view_hash, with_note(view, NOT_CHECKED))
            return
    typed = {
        key: dig(values, kit.input_block_id(key), "value", "value")
        for key in session.get("keys", [])
    }
    typed = {k: v for k, v in typed.items() if isinstance(v, str) and v}
    base: dict[str, Any] = {k: session.get(k) for k in SESSION_FIELDS if k in session}
    base["values"] = {**(session.get("values") or {}), **typed}
    new_session = services.store.save_session(
        {
            **base,
            "grid_id": form.grid_id,
            "grid_name": form.grid_name,
            "keys": form.input_keys,
            "outputs": all_outputs,
        }
    )
    # Always the form for the chosen outputs, even when its inputs are the same: the
    # change is answered (and a note shown meanwhile goes).
    new_view = kit.run_modal(
        form,
        new_session,
        ask_channel=bool(base.get("ask_channel")),
        values=base["values"],
        checked=chosen,
        shared_in=shared_in(base),
        private=bool(base.get("private")),
    )
    _update(client, view["id"], view_hash, new_view)


def with_note(view: dict, note: str) -> dict:
    """The form as Slack sent it, with `note` under the outputs (what was typed stays:
    Slack keeps input values whose block and action ids are unchanged)."""
    blocks = [b for b in view.get("blocks") or [] if b.get("block_id") != NOTE_BLOCK]
    last_output = max(
        (i for i, b in enumerate(blocks) if (b.get("element") or {}).get("type") == "checkboxes"),
        default=len(blocks) - 1,
    )
    note_block = {**context(note).to_dict(), "block_id": NOTE_BLOCK}
    blocks.insert(last_output + 1, note_block)
    return {**{k: view[k] for k in VIEW_FIELDS if k in view}, "blocks": blocks}


def _update(client: WebClient, view_id: str, view_hash: str | None, view: dict) -> str | None:
    """views.update; the view's new hash (None when it failed or Slack sent none)."""
    try:
        answer = client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError as exc:
        log.info("views.update after an output change: %s", exc.response.get("error"))
        return None
    return ((answer.data if hasattr(answer, "data") else answer).get("view") or {}).get("hash")
