"""What the batch form's steps share: the session a step saved, and reading the view."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.batches.csvio import CsvInfo
from bot.slack import blocks as common
from bot.slack.form_state import dig
from bot.slack.services import Services

__all__ = ["EXPIRED", "dig", "info_dict", "open_step", "step_session"]

EXPIRED = "This form has expired. Start again with `/bitscale batch <grid>`."


def step_session(services: Services, body: dict, step: str) -> dict | None:
    view = body.get("view") or {}
    session = services.store.load_session(view.get("private_metadata") or "")
    return session if session and session.get("step") == step else None


def info_dict(info: CsvInfo) -> dict[str, Any]:
    return {
        "path": info.path,
        "encoding": info.encoding,
        "delimiter": info.delimiter,
        "headers": info.headers,
        "rows": info.rows,
    }


def open_step(ack: Ack, services: Services, body: dict, step: str) -> dict | None:
    """The session of the step being submitted; None (the form told it has expired) when
    it is gone or belongs to another step."""
    session = step_session(services, body, step)
    if session is None:
        ack(response_action="update", view=common.message_modal(EXPIRED))
    return session
