"""Approve and Deny on a batch approval request. The admin check happens here, so a
non-admin's crafted click is refused (and recorded), whoever sent the message."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack.approvals import decide
from bot.slack.blocks import approvals as kit
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    def on_click(approve: bool):
        def handler(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
            ack()
            user_id = (body.get("user") or {}).get("id") or ""
            approval_id = ((body.get("actions") or [{}])[0] or {}).get("value") or ""

            def work() -> None:
                answer = decide(client, services, user_id, approval_id, approve)
                if answer and body.get("response_url"):
                    respond(response_type="ephemeral", replace_original=False, text=answer)
                elif answer:  # clicked on the Home tab: no message to answer under
                    client.chat_postMessage(channel=user_id, text=answer)
                if services.home is not None:  # the Home tab drops the decided request
                    services.home.request(user_id)

            services.later(work)

        return handler

    app.action(kit.APPROVE_ACTION)(on_click(True))
    app.action(kit.DENY_ACTION)(on_click(False))
