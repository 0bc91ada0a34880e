"""Type-ahead suggestions for external selects (the grid picker)."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack import blocks as kit
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    @app.options(kit.PICK_GRID_ACTION)
    def grid_suggestions(ack: Ack, body: dict) -> None:
        # Never waits on BitScale: the cached list, or a background name search.
        found = services.catalog.suggest(str(body.get("value") or ""))
        assert services.policy is not None
        user_id = (body.get("user") or {}).get("id") or ""
        allowed = services.policy.runnable(user_id, [g.id for g in found.grids])
        grids = [g for g in found.grids if g.id in allowed]
        ack(options=kit.grid_options(grids, loading=found.loading))
