"""What the batch form's steps share: the session a step saved, and reading the view."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.batches.csvread import CsvInfo
from bot.slack import blocks as common
from bot.slack.form_state import dig
from bot.slack.services import Services
from bot.store.files import FileMissing

__all__ = ["EXPIRED", "dig", "info_dict", "open_step", "session_file", "step_session"]

EXPIRED = "This form has expired. Start again with `/bitscale batch <grid>`."


def step_session(services: Services, body: dict, step: str) -> dict | None:
    view = body.get("view") or {}
    session = services.store.load_session(view.get("private_metadata") or "")
    return session if session and session.get("step") == step else None


def info_dict(info: CsvInfo) -> dict[str, Any]:
    return {
        "file_id": info.file_id,
        "encoding": info.encoding,
        "delimiter": info.delimiter,
        "headers": info.headers,
        "rows": info.rows,
    }


def session_file(services: Services, session: dict, *, load: bool = True) -> CsvInfo | None:
    """The session's checked file, its bytes read from the database when `load`; None when
    it is gone (pruned, or a form begun before files moved into the database)."""
    shape = dict(session.get("file") or {})
    if not shape.get("file_id") or services.batches is None:
        return None
    try:
        data = services.batches.store.files.get(shape["file_id"]) if load else b""
    except FileMissing:
        return None
    return CsvInfo(**shape, data=data)


def open_step(ack: Ack, services: Services, body: dict, step: str) -> dict | None:
    """The session of the step being submitted; None (the form told it has expired) when
    it is gone or belongs to another step."""
    session = step_session(services, body, step)
    if session is None:
        ack(response_action="update", view=common.message_modal(EXPIRED))
    return session
