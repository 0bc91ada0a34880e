"""Type-ahead suggestions for external selects (the grid picker)."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.providers.bitscale import BitScaleError
from bot.slack import blocks as kit
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    @app.options(kit.PICK_GRID_ACTION)
    def grid_suggestions(ack: Ack, body: dict) -> None:
        try:
            grids = services.catalog.search(str(body.get("value") or ""))
        except BitScaleError:
            grids = []
        ack(options=kit.grid_options(grids))
