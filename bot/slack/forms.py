"""The run modal: open it fast, fill it from the grid's contract, follow output changes.
Reading what was typed is form_state.py; the submission is form_submit.py."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.grids.catalog import RunForm
from bot.leads.extract import Found
from bot.leads.input_match import match_inputs
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.slack import blocks as kit
from bot.slack.services import Services
from bot.slack.text import escape

log = logging.getLogger(__name__)


def open_run_form(
    client: WebClient,
    services: Services,
    trigger_id: str,
    *,
    query: str | None = None,
    grid_id: str | None = None,
    channel_id: str | None,
    user_id: str,
    ask_channel: bool = False,
    values: dict[str, str] | None = None,
    thread_ts: str | None = None,
    found: Found | None = None,
    source: str = "form",
    private: bool = False,
    outputs: list[str] | None = None,
) -> None:
    """Open the run modal within the trigger's 3 seconds.

    With everything cached the full form opens at once; otherwise a "Loading…" modal opens
    at once and is updated when BitScale has answered. `found` (values read from a
    message) pre-fills the inputs they fit; `thread_ts` sends the result to that thread;
    `private` pre-selects "Only me"; `outputs` ticks only those (and asks only the inputs
    they need), as a run that asked for fewer outputs had them.
    """
    base = form_base(
        channel_id=channel_id,
        user_id=user_id,
        ask_channel=ask_channel,
        values=values,
        thread_ts=thread_ts,
        found=found,
        source=source,
    )
    if private:
        base["private"] = True
    if outputs:
        base["checked"] = list(outputs)
    if grid_id is None and query is not None:
        resolution = services.catalog.resolve(query, cached_only=True)
        if resolution is not None and resolution.grid_id:
            grid_id = resolution.grid_id
    checked = base.get("checked")
    form = services.catalog.form(grid_id, cached_only=True, outputs=checked) if grid_id else None
    if form is not None:
        client.views_open(trigger_id=trigger_id, view=_form_view(services, form, base))
        return
    name = _cached_name(services, grid_id)
    first = kit.loading_grid_modal(name) if name or grid_id else kit.looking_modal(query or "")
    opened = client.views_open(trigger_id=trigger_id, view=first)
    view_id = opened["view"]["id"]
    try:
        if grid_id is None:
            resolution = services.catalog.resolve(query or "")
            if resolution.choices:
                session = services.store.save_session(base)
                update_view(
                    client, view_id, kit.choices_modal(query or "", resolution.choices, session)
                )
                return
            if not resolution.grid_id:
                update_view(
                    client,
                    view_id,
                    kit.message_modal(kit.not_found_text(query or "", resolution.closest)),
                )
                return
            grid_id = resolution.grid_id
            found_name = _cached_name(services, grid_id)
            if found_name:  # say which grid the words matched while its form loads
                update_view(client, view_id, kit.loading_grid_modal(found_name))
        load_form_into(client, services, view_id, grid_id, base)
    except BitScaleError as error:
        update_view(client, view_id, kit.error_modal(explain(error)))


def _cached_name(services: Services, grid_id: str | None) -> str | None:
    """The grid's name from the cached grid list, without asking BitScale."""
    if not grid_id:
        return None
    grids = services.catalog.all_grids(cached_only=True) or []
    return next((g.name for g in grids if g.id == grid_id), None)


def form_base(
    *,
    channel_id: str | None,
    user_id: str,
    ask_channel: bool = False,
    values: dict[str, str] | None = None,
    thread_ts: str | None = None,
    found: Found | None = None,
    source: str = "form",
) -> dict[str, Any]:
    """What a form session carries before a grid is chosen."""
    base: dict[str, Any] = {
        "channel_id": channel_id,
        "user_id": user_id,
        "ask_channel": ask_channel,
        "values": values or {},
        "source": source,
    }
    if thread_ts:
        base["thread_ts"] = thread_ts
    if found is not None and not found.empty:
        base["found"] = found.to_dict()
    return base


def load_form_into(
    client: WebClient, services: Services, view_id: str, grid_id: str, base: dict[str, Any]
) -> None:
    try:
        form = services.catalog.form(grid_id, outputs=base.get("checked"))
    except BitScaleError as error:
        if base.get("checked") and error.code == "INVALID_OUTPUT_COLUMN":
            # An output the earlier run asked for is gone: the whole form, all ticked.
            rest = {k: v for k, v in base.items() if k != "checked"}
            load_form_into(client, services, view_id, grid_id, rest)
            return
        update_view(client, view_id, kit.error_modal(explain(error)))
        return
    assert form is not None
    update_view(client, view_id, _form_view(services, form, base))


def _form_view(services: Services, form: RunForm, base: dict[str, Any]) -> dict:
    refused = check_run(
        services,
        base.get("user_id") or "",
        form.grid_id,
        form.grid_name,
        entry=base.get("source") or "form",
    )
    if refused:
        return refused_modal(refused)
    if not form.input_keys:
        return kit.message_modal(
            f"*{escape(form.grid_name)}* asks for no inputs in its "
            "API contract, so there is nothing to fill in here. Check the "
            "grid's BitScale API source."
        )
    values = {**prefill(base, form.input_keys), **(base.get("values") or {})}
    session = services.store.save_session(
        {
            **base,
            "values": values,
            "grid_id": form.grid_id,
            "grid_name": form.grid_name,
            "keys": form.input_keys,
            "outputs": [c.id for c in form.outputs],
        }
    )
    return kit.run_modal(
        form,
        session,
        ask_channel=base.get("ask_channel", False),
        values=values,
        checked=base.get("checked"),
        shared_in=shared_in(base),
        private=bool(base.get("private")),
    )


def shared_in(base: dict[str, Any]) -> str | None:
    """Where a result is shared unless the rep picks "Only me"; None when it is private
    already (asked in a DM with the bot)."""
    if base.get("thread_ts"):
        return "The message's thread"
    if base.get("ask_channel"):
        return "The channel picked below"
    channel = base.get("channel_id") or ""
    return "This channel" if channel and not channel.startswith("D") else None


def check_run(
    services: Services,
    user_id: str,
    grid_id: str,
    grid_name: str | None,
    *,
    entry: str,
    rows: int = 1,
) -> str | None:
    """The policy's refusal sentence (mrkdwn), or None when the person may run this."""
    assert services.policy is not None
    decision = services.policy.check_run(user_id, grid_id, rows, entry=entry, grid_name=grid_name)
    return None if decision.allowed else decision.sentence


def refused_modal(sentence: str) -> dict:
    return kit.message_modal(f"🚫 {sentence}")


def prefill(base: dict[str, Any], keys: list[str]) -> dict[str, str]:
    """Input values found in the message the form was opened from, for this grid's keys."""
    if not base.get("found"):
        return {}
    return match_inputs(Found.from_dict(base["found"]), keys)


def update_view(client: WebClient, view_id: str, view: dict) -> None:
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        # The person closed the modal meanwhile: nothing to show them.
        log.info("views.update of %s failed: %s", view_id, exc.response.get("error"))
