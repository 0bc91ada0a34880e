"""The payloads Slack sends an app, in the shapes Slack documents: a slash command's form,
a block_actions payload, a function_executed event. The drivers fill them in and send them."""

from __future__ import annotations

import time
from typing import Any

TEAM = {"id": "T0001", "domain": "demo"}


def command_form(
    user: dict[str, str],
    channel: dict[str, str],
    command: str,
    text: str,
    *,
    trigger: str,
    response_url: str,
) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": TEAM["id"],
        "team_domain": TEAM["domain"],
        "channel_id": channel["id"],
        "channel_name": channel["name"],
        "user_id": user["id"],
        "user_name": user["username"],
        "command": command,
        "text": text,
        "api_app_id": "A0001",
        "response_url": response_url,
        "trigger_id": trigger,
    }


def block_actions(
    action: dict[str, Any],
    trigger: str,
    *,
    view: dict | None = None,
    message: Any = None,
    channel: str | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    """A press on `action`, in a view when `view` is given, else in `message` (a stand-in
    Message; None for an ephemeral one) in `channel`."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "trigger_id": trigger,
        "actions": [{**action, "action_ts": str(time.time())}],
    }
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        return payload
    payload["channel"] = {"id": channel}
    payload["container"] = {
        "type": "message",
        "channel_id": channel,
        "message_ts": getattr(message, "ts", None),
        "is_ephemeral": message is None,
    }
    payload["response_url"] = response_url
    if message is not None:
        payload["message"] = {"ts": message.ts, "text": message.text, "blocks": message.blocks}
    return payload


def function_executed(
    function: dict[str, Any], inputs: dict[str, Any], execution_id: str
) -> dict[str, Any]:
    """The event for a workflow reaching the custom step `function` (its manifest
    definition, with "callback_id")."""
    params = lambda kind: [  # noqa: E731 - manifest shape → event shape
        {"name": name, **spec} for name, spec in (function.get(kind) or {}).items()
    ]
    return {
        "type": "function_executed",
        "function": {
            "id": "Fn0001",
            "callback_id": function["callback_id"],
            "title": function.get("title", ""),
            "description": function.get("description", ""),
            "type": "app",
            "input_parameters": params("input_parameters"),
            "output_parameters": params("output_parameters"),
            "app_id": "A0001",
            "date_created": 1_700_000_000,
            "date_updated": 1_700_000_000,
            "date_deleted": 0,
        },
        "inputs": inputs,
        "function_execution_id": execution_id,
        "workflow_execution_id": "Wx" + execution_id,
        "event_ts": f"{time.time():.6f}",
        "bot_access_token": "xwfp-playground-" + execution_id,
    }
