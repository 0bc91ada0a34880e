"""Insight's messages to people: the credit alerts (the alerts channel, or each admin by DM
for the forecast alert when no channel is set), in each reader's locale."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient

from bot.insight.credits import CreditAlert
from bot.slack.blocks.credits import credit_alert_message
from bot.slack.delivery import slack_call
from bot.slack.directory import Person

log = logging.getLogger(__name__)


class InsightNotifier:
    def __init__(
        self,
        client: WebClient,
        *,
        alert_channel: Callable[[], str | None],
        admins: Callable[[], list[str]],
        person: Callable[[str], Person],
    ) -> None:
        self.client = client
        self.alert_channel = alert_channel
        self.admins = admins
        self.person = person
        self._call = slack_call

    def credit_alert(self, alert: CreditAlert) -> None:
        """Raises when nobody could be told (the monitor then tries again next check)."""
        channel = self.alert_channel()
        if channel:
            text, blocks = credit_alert_message(alert)
            self._call(
                lambda: self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
            )
            return
        if alert.kind != "forecast":
            return  # threshold alerts need a channel, as always
        told = 0
        for admin in self.admins():
            try:
                self.dm(admin, *credit_alert_message(alert, self.person(admin).locale))
                told += 1
            except Exception as exc:  # noqa: BLE001 - the other admins are still told
                log.warning("forecast alert not sent to %s: %s", admin, exc)
        if self.admins() and not told:
            raise RuntimeError("no admin could be sent the forecast alert")

    def dm(self, user_id: str, text: str, blocks: list[dict]) -> dict:
        opened = self._call(lambda: self.client.conversations_open(users=user_id))
        channel = opened["channel"]["id"]
        return self._call(
            lambda: self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        )
