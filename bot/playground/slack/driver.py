"""Plays Slack's side towards the bot: signed slash commands, button clicks, submissions.

The payloads have the shape Slack sends; signatures are made with slack_sdk's own
`SignatureVerifier`, so the bot verifies them exactly as it verifies Slack's.
`SocketModeDriver` sends the same payloads as Socket Mode envelopes instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.playground.slack import payloads
from bot.playground.slack.form_fill import (
    file_values,
    form_values,
    initial_inputs,
    input_key,
    select_values,
)
from bot.playground.slack.lead_events import LeadEvents
from bot.playground.slack.payloads import TEAM
from bot.playground.slack.records import is_run_form, wait_for
from bot.playground.slack.standin import SlackStandIn

__all__ = [
    "SlackDriver",
    "file_values",
    "form_values",
    "initial_inputs",
    "input_key",
    "select_values",
]


class SlackDriver(LeadEvents):
    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        standin: SlackStandIn,
        user_id: str = "U0ANA",
        user_name: str = "ana",
        channel_id: str = "C0SALES",
        channel_name: str = "sales",
    ) -> None:
        self.url = bot_url
        self.signer = SignatureVerifier(signing_secret)
        self.standin = standin
        self.user = {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM["id"]}
        self.channel = {"id": channel_id, "name": channel_name}
        self.http = httpx.Client(timeout=30)

    def close(self) -> None:
        self.http.close()

    # --- sending ------------------------------------------------------------------------

    def send(
        self,
        body: str,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or self.signer.generate_signature(timestamp=ts, body=body)
        return self.http.post(
            self.url,
            content=body.encode(),
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig,
                **(headers or {}),
            },
        )

    def command(self, text: str, command: str = "/bitscale") -> tuple[httpx.Response, str, str]:
        """Send a slash command; returns (answer, trigger id, response url)."""
        trigger = self.standin.new_trigger()
        response_url = self.standin.response_url()
        form = payloads.command_form(
            self.user, self.channel, command, text, trigger=trigger, response_url=response_url
        )
        return self._deliver_command(form), trigger, response_url

    def open_run_form(self, text: str, timeout: float = 10.0) -> dict:
        """Send `/bitscale <text>` and wait for the run form it opens."""
        since = len(self.standin.view_log)
        self.command(text)
        return wait_for(lambda: self.standin.latest_view(since, is_run_form), timeout)

    def open_batch_form(self, text: str, timeout: float = 15.0) -> dict:
        """Send `/bitscale <text>` (e.g. `batch Company Enrichment`) and wait for the
        upload step of the batch form."""
        since = len(self.standin.view_log)
        self.command(text)
        return wait_for(lambda: self.standin.latest_view(since, _callback("batch_upload")), timeout)

    def next_view(self, since: int, callback_id: str, timeout: float = 15.0) -> dict:
        """The first view opened or updated after `since` with this callback id."""
        return wait_for(lambda: self.standin.latest_view(since, _callback(callback_id)), timeout)

    def upload_csv(
        self, content: bytes, name: str = "leads.csv", grid: str = "Company Enrichment", **kw: Any
    ) -> tuple[int, httpx.Response]:
        """Open the batch form and submit a file through its file input; returns the view
        log position to wait from, and the bot's answer to the submission."""
        view = self.open_batch_form(f"batch {grid}")
        file = self.standin.add_file(content, name, **kw)
        since = len(self.standin.view_log)
        return since, self.submit(view, file_values(view, file))

    def preview_batch(
        self,
        content: bytes,
        *,
        name: str = "leads.csv",
        grid: str = "Company Enrichment",
        picks: dict[str, str | None] | None = None,
        outputs: list[str] | None = None,
        timeout: float = 15.0,
    ) -> tuple[dict, dict]:
        """Upload → match columns → preview; returns (column view, preview view)."""
        since, _ = self.upload_csv(content, name, grid)
        mapping = self.next_view(since, "batch_map", timeout)
        since = len(self.standin.view_log)
        self.submit(mapping, select_values(mapping, picks, outputs))
        return mapping, self.next_view(since, "batch_preview", timeout)

    def start_batch(self, content: bytes, **kwargs: Any) -> tuple[dict, dict]:
        """Upload → match columns → preview → Start (`preview_batch`'s options); returns
        (column view, preview view)."""
        mapping, preview = self.preview_batch(content, **kwargs)
        self.submit(preview, {})
        return mapping, preview

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        payload.setdefault("team", TEAM)
        payload.setdefault("user", self.user)
        payload.setdefault("api_app_id", "A0001")
        payload.setdefault("token", "legacy")
        return self._deliver_interactive(payload)

    def click(
        self,
        action: dict[str, Any],
        *,
        message: Any = None,
        view: dict | None = None,
        channel_id: str | None = None,
    ) -> httpx.Response:
        """Press a button (or pick an option) found in a message or a view."""
        trigger = self.standin.new_trigger()
        if view is not None:
            return self.interact(payloads.block_actions(action, trigger, view=view))
        channel = channel_id or getattr(message, "channel", None) or self.channel["id"]
        payload = payloads.block_actions(
            action,
            trigger,
            message=message,
            channel=channel,
            response_url=self.standin.response_url(),
        )
        return self.interact(payload)

    def event(
        self,
        event: dict[str, Any],
        event_id: str,
        retry_num: int | None = None,
        *,
        ext_shared: bool = False,
    ) -> httpx.Response:
        """Deliver an Events API callback (a redelivery when `retry_num` is given);
        `ext_shared` marks a Slack Connect channel, as Slack's envelope does."""
        body = {
            "type": "event_callback",
            "team_id": TEAM["id"],
            "api_app_id": "A0001",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "token": "legacy",
            "is_ext_shared_channel": ext_shared,
        }
        return self._deliver_event(body, retry_num)

    # --- transport: signed HTTP requests to the bot's Request URL ---------------------------

    def _deliver_command(self, form: dict[str, str]) -> Any:
        return self.send(urlencode(form))

    def _deliver_interactive(self, payload: dict[str, Any]) -> Any:
        return self.send(urlencode({"payload": json.dumps(payload)}))

    def _deliver_event(self, body: dict[str, Any], retry_num: int | None) -> Any:
        headers = (
            {}
            if retry_num is None
            else {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        )
        return self.send(json.dumps(body), "application/json", headers=headers)

    def function_executed(
        self,
        function: dict[str, Any],
        inputs: dict[str, Any],
        execution_id: str,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> httpx.Response:
        """A workflow reached the app's custom step `function` (its manifest definition,
        with "callback_id"): Slack sends function_executed and waits for completion."""
        self.standin.begin_function(execution_id, function.get("output_parameters") or {})
        event = payloads.function_executed(function, inputs, execution_id)
        return self.event(event, event_id or "Ev" + execution_id, retry_num)

    def shortcut(self, callback_id: str = "run_bitscale_grid") -> httpx.Response:
        return self.interact(
            {
                "type": "shortcut",
                "callback_id": callback_id,
                "trigger_id": self.standin.new_trigger(),
                "action_ts": str(time.time()),
            }
        )

    def message_shortcut(
        self, message: Any, callback_id: str = "enrich_with_bitscale"
    ) -> httpx.Response:
        """Use a message shortcut on `message` (a stand-in Message)."""
        return self.interact(
            {
                "type": "message_action",
                "callback_id": callback_id,
                "trigger_id": self.standin.new_trigger(),
                "response_url": self.standin.response_url(),
                "action_ts": str(time.time()),
                "message_ts": message.ts,
                "channel": {"id": message.channel, "name": self.channel["name"]},
                "message": message.as_payload(),
            }
        )

    def suggest(
        self, action_id: str, value: str, view: dict, block_id: str = "grid"
    ) -> httpx.Response:
        """Type `value` into an external select: Slack asks the bot for its options."""
        return self.interact(
            {
                "type": "block_suggestion",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "view": view,
                "container": {"type": "view", "view_id": view.get("id")},
            }
        )

    def submit(self, view: dict, values: dict[str, dict[str, Any]]) -> httpx.Response:
        """Submit a modal with `values` in Slack's view.state.values shape."""
        payload = {
            "type": "view_submission",
            "trigger_id": self.standin.new_trigger(),
            "view": {**view, "state": {"values": values}},
        }
        return self.interact(payload)


def _callback(callback_id: str) -> Callable[[dict], bool]:
    return lambda view: view.get("callback_id") == callback_id
