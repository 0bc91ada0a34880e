"""When the database does not answer (PostgreSQL restarting, a failover, the pool full), the
person who acted is told "try again in a moment" where they acted, instead of the nothing
or the "dispatch_failed" a traceback would give them. Their work is intact: nothing was
half-written, and trying again in a moment does it.

Used by the Bolt app's error handler (app.py) for anything a listener raised while Slack
waited for the answer; work done after the answer says the same through `respond`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.store.sql import DatabaseUnavailable

log = logging.getLogger(__name__)


def database_unavailable(error: BaseException | None) -> DatabaseUnavailable | None:
    """The DatabaseUnavailable behind `error` (itself, or what caused it), if any."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DatabaseUnavailable):
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def tell_try_again(error: DatabaseUnavailable, body: dict[str, Any], client: WebClient | None):
    """The answer to Slack that tells the person; a form keeps its values and shows the
    sentence on its first field; elsewhere an ephemeral message says it."""
    text = str(error)
    log.warning("the database did not answer (%s); told the person to try again", error.cause)
    if body.get("command"):  # a slash command: the ack's own text, seen only by them
        return _json({"response_type": "ephemeral", "text": text})
    if body.get("type") == "view_submission":
        block_id = _first_input(body.get("view") or {})
        if block_id is not None:
            return _json({"response_action": "errors", "errors": {block_id: text}})
    event = body.get("event") or {}
    if body.get("type") == "event_callback":
        # Only someone who spoke to the bot is answered: not everyone whose message in a
        # channel the bot merely read while the database was down.
        if event.get("type") == "app_mention":
            _post(text, {"user_id": event.get("user"), "channel_id": event.get("channel")}, client)
    else:
        _post(text, body, client)
    return BoltResponse(status=200, body="")


def _json(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
    )


def _first_input(view: dict[str, Any]) -> str | None:
    for block in view.get("blocks") or []:
        if block.get("type") == "input" and block.get("block_id"):
            return block["block_id"]
    return None


def _post(text: str, body: dict[str, Any], client: WebClient | None) -> None:
    """A button, a shortcut, a closed form: an ephemeral message where the person is."""
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    try:
        if body.get("response_url"):
            WebhookClient(body["response_url"], timeout=5).send(
                text=text, response_type="ephemeral", replace_original=False
            )
        elif client is not None and user and channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
        elif client is not None and user:
            client.chat_postMessage(channel=user, text=text)  # a direct message
    except Exception as exc:  # noqa: BLE001 - telling them is best effort; Slack may be down too
        log.warning("could not tell the person to try again: %s", exc)
