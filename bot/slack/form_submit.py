"""The run modal's submission: validate, record the run, and only then close the form."""

from __future__ import annotations

import logging

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.runs.types import RunRefused, RunRequest
from bot.slack import blocks as kit
from bot.slack.form_state import parse_submission
from bot.slack.forms import check_run, refused_modal
from bot.slack.services import Services
from bot.slack.text import escape

log = logging.getLogger(__name__)


SAVE_FAILED = (
    "I could not save this run ({why}). Nothing was sent to BitScale and no credits were "
    "spent. Press Run again in a minute; if it keeps happening, tell whoever runs the bot."
)


def _why_not_saved(exc: Exception) -> str:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return "the bot's database is read-only"
    if "full" in text:
        return "the disk the bot's database is on is full"
    if "locked" in text or "busy" in text:
        return "the bot's database is busy"
    return "the bot's database refused it"


def handle_submission(
    ack: Ack, body: dict, services: Services, client: WebClient | None = None
) -> None:
    """Validate, record the run, and only then let the form close: a person who saw it
    go through always gets a result, and one whose run could not be saved is told so in
    the form (which stays open with what they typed)."""
    view = body.get("view") or {}
    session = services.store.load_session(view.get("private_metadata") or "")
    if session is None or "grid_id" not in session:
        ack(
            response_action="update",
            view=kit.message_modal(
                "This form has expired. Open it again with `/bitscale run <grid>`."
            ),
        )
        return
    submission = parse_submission(session, (view.get("state") or {}).get("values") or {})
    if submission.errors:
        ack(response_action="errors", errors=submission.errors)
        return
    user_id = (body.get("user") or {}).get("id") or session.get("user_id", "")
    refused = check_run(
        services,
        user_id,
        session["grid_id"],
        session.get("grid_name"),
        entry=session.get("source") or "form",
    )
    if refused:
        ack(response_action="update", view=refused_modal(refused))
        return
    request = RunRequest(
        grid_id=session["grid_id"],
        grid_name=session.get("grid_name") or "grid",
        inputs=submission.inputs,
        output_columns=submission.output_columns,
        user_id=user_id,
        channel_id=submission.channel_id,
        team_id=(body.get("team") or {}).get("id"),
        dedupe_key=f"view:{view['id']}" if view.get("id") else None,
        thread_ts=None if submission.private else session.get("thread_ts"),
        source=session.get("source") or "form",
        reuse=True,  # a recent answer to the same question is posted instead, for free
    )
    try:
        run, created = services.runs.record_run(request)
    except RunRefused as refusal:  # the budget ran out between the check and now
        ack(response_action="update", view=refused_modal(str(refusal)))
        return
    except Exception as exc:  # noqa: BLE001 - told in the form; the log keeps the trace
        log.exception("could not record a submitted run")
        sentence = SAVE_FAILED.format(why=_why_not_saved(exc))
        keys = session.get("keys") or []
        if keys:
            ack(response_action="errors", errors={kit.input_block_id(keys[0]): sentence})
        else:
            ack(response_action="update", view=kit.message_modal(escape(sentence)))
        return
    ack()
    if created:
        services.later(lambda: services.runs.launch(run))
