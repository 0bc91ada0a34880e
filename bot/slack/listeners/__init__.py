"""Bolt listeners, one module per kind of entry point. Each has `register(app, services)`;
they stay thin: ack first, then hand the work to the core through `Services`."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import (
    actions,
    admin,
    api_key,
    approvals,
    batches,
    commands,
    events,
    functions,
    leads,
    options,
    pages,
    quick,
    records,
    shortcuts,
    status,
    views,
    watches,
)
from bot.slack.services import Services


def register_listeners(app: App, services: Services) -> None:
    # events first: its middleware drops Slack's redelivered events before any listener.
    for kind in (
        events,
        commands,
        actions,
        options,
        shortcuts,
        views,
        quick,
        pages,
        batches,
        functions,
        leads,
        admin,
        api_key,
        approvals,
        records,
        status,
        watches,
    ):
        kind.register(app, services)
