"""Admin checks for listeners: the polite refusal (audited), and the two shapes an admin-only
entry takes in a modal, the button that opens it and the submission of it. Each is checked
where it arrives, since a crafted payload can skip the button."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.governance.policy import Policy
from bot.slack.blocks import admin as kit
from bot.slack.services import Services


def policy_of(services: Services) -> Policy:
    assert services.policy is not None
    return services.policy


def refuse_non_admin(services: Services, user_id: str, what: str) -> str | None:
    """None for an admin; otherwise the polite answer (and an audit entry)."""
    policy = policy_of(services)
    if policy.is_admin(user_id):
        return None
    policy.audit.record(user_id, "refused", entry="admin", outcome="not_admin", why=what)
    return kit.not_admin_text(policy.admins(), what)


def open_admin_modal(
    services: Services, client: WebClient, body: dict, what: str, modal: Callable[[], dict]
) -> None:
    """A button's click (already acked): `modal()` for an admin, the refusal for anyone else;
    pushed over the modal the button is in, or opened on its own."""
    user_id = (body.get("user") or {}).get("id") or ""
    refused = refuse_non_admin(services, user_id, what)
    view = kit.refused_admin_modal(refused) if refused else modal()
    trigger = body.get("trigger_id") or ""
    if (body.get("view") or {}).get("id"):
        services.later(lambda: client.views_push(trigger_id=trigger, view=view))
    else:
        services.later(lambda: client.views_open(trigger_id=trigger, view=view))


def admin_submitter(services: Services, ack: Ack, body: dict, what: str) -> str | None:
    """A modal's submission: the admin's user id, not yet acked; for anyone else None, and
    the modal is already acked to show the refusal."""
    user_id = (body.get("user") or {}).get("id") or ""
    refused = refuse_non_admin(services, user_id, what)
    if refused:
        ack(response_action="update", view=kit.refused_admin_modal(refused))
        return None
    return user_id
