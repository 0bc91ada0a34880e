"""Set API key (the admin form's button and its modal): admin-checked on the click and on
the submission, since a crafted payload can skip the button."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.governance.keys import RedactSecrets, set_key
from bot.slack.blocks import admin as admin_kit
from bot.slack.blocks import api_key as kit
from bot.slack.forms import update_view
from bot.slack.listeners.admin import _policy, refuse_non_admin
from bot.slack.services import Services

WHAT = "set the API key"


def register(app: App, services: Services) -> None:
    @app.action(kit.SET_KEY_ACTION)
    def ask_for_key(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        user_id = (body.get("user") or {}).get("id") or ""
        refused = refuse_non_admin(services, user_id, WHAT)
        view = admin_kit.refused_admin_modal(refused) if refused else kit.set_key_modal()
        trigger = body.get("trigger_id") or ""
        if (body.get("view") or {}).get("id"):
            services.later(lambda: client.views_push(trigger_id=trigger, view=view))
        else:
            services.later(lambda: client.views_open(trigger_id=trigger, view=view))

    @app.view(kit.SET_KEY_VIEW)
    def key_given(ack: Ack, body: dict, client: WebClient) -> None:
        user_id = (body.get("user") or {}).get("id") or ""
        refused = refuse_non_admin(services, user_id, WHAT)
        if refused:
            ack(response_action="update", view=admin_kit.refused_admin_modal(refused))
            return
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        key = ((values.get(kit.KEY_BLOCK) or {}).get(kit.VALUE) or {}).get("value") or ""
        key = key.strip()
        if not key:
            ack(response_action="errors", errors={kit.KEY_BLOCK: "Paste the key here."})
            return
        RedactSecrets.secrets.add(key)
        ack(response_action="update", view=kit.checking_modal())
        view_id = (body.get("view") or {}).get("id") or ""
        assert services.keys is not None
        keys, audit = services.keys, _policy(services).audit

        def check_and_store() -> None:
            sentence = set_key(services.bitscale, keys, audit, user_id, key)
            update_view(client, view_id, kit.set_key_result_modal(sentence))

        services.later(check_and_store)
