"""The admin form's API key buttons, Set API key and Rotate API key, and their modals:
admin-checked on the click and on the submission, since a crafted payload can skip the
button."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.governance.keys import RedactSecrets, rotate, set_key
from bot.slack.blocks import api_key as kit
from bot.slack.forms import update_view
from bot.slack.listeners.admin_only import admin_submitter, open_admin_modal, policy_of
from bot.slack.services import Services

SET = "set the API key"
ROTATE = "rotate the API key"


def register(app: App, services: Services) -> None:
    @app.action(kit.SET_KEY_ACTION)
    def ask_for_key(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        open_admin_modal(services, client, body, SET, kit.set_key_modal)

    @app.view(kit.SET_KEY_VIEW)
    def key_given(ack: Ack, body: dict, client: WebClient) -> None:
        user_id = admin_submitter(services, ack, body, SET)
        if user_id is None:
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
        keys, audit = services.keys, policy_of(services).audit

        def check_and_store() -> None:
            sentence = set_key(services.bitscale, keys, audit, user_id, key)
            update_view(client, view_id, kit.set_key_result_modal(sentence))

        services.later(check_and_store)

    @app.action(kit.ROTATE_ACTION)
    def ask_to_rotate(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        open_admin_modal(services, client, body, ROTATE, kit.rotate_confirm_modal)

    @app.view(kit.ROTATE_VIEW)
    def rotate_now(ack: Ack, body: dict, client: WebClient) -> None:
        user_id = admin_submitter(services, ack, body, ROTATE)
        if user_id is None:
            return
        ack(response_action="update", view=kit.rotating_modal())
        view_id = (body.get("view") or {}).get("id") or ""
        assert services.keys is not None
        if not services.keys.claim_confirmation(view_id):
            return  # a second press of the same confirmation: the first one rotates
        services.later(lambda: _rotate(client, services, view_id, user_id))


def _rotate(client: WebClient, services: Services, view_id: str, user_id: str) -> None:
    assert services.keys is not None
    result = rotate(services.bitscale, services.keys, policy_of(services).audit, user_id)
    if result.ok and result.new_key:
        update_view(client, view_id, kit.new_key_modal(result.new_key))
    else:
        update_view(client, view_id, kit.rotation_failed_modal(result.sentence, result.new_key))
