"""Sends the weekly digest (insight/weekly.py decides when): one message to the alert
channel or the admin's DM, with one picture, credits left over 90 days and the forecast,
uploaded and shown by an image block. A chart that cannot be drawn or uploaded leaves its
sentence; the digest is sent all the same."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.governance.approvals import Approvals
from bot.insight.digest import DigestFacts, WaitingBatch
from bot.insight.digest_sends import DigestSends
from bot.insight.service import Insight
from bot.insight.weekly import WeeklyDigest
from bot.slack.blocks.common import context
from bot.slack.blocks.digest import digest_message
from bot.slack.charts import chart_blocks, post_with_charts
from bot.slack.delivery import slack_call
from bot.slack.directory import Person

log = logging.getLogger(__name__)


class SlackDigestSender:
    def __init__(
        self, client: WebClient, insight: Insight, person: Callable[[str], Person]
    ) -> None:
        self.client = client
        self.insight = insight
        self.person = person
        self._call = slack_call

    def _chart(self, locale: str) -> list[Block]:
        try:
            return chart_blocks(self.client, self.insight.remaining_chart(locale))
        except Exception:  # noqa: BLE001 - the digest goes without its picture
            log.exception("the digest's chart failed")
            return [context("📊 The chart of credits left could not be drawn this week.")]

    def __call__(self, reader: str, admin: str, facts: DigestFacts) -> None:
        locale = self.person(admin).locale
        text, blocks = digest_message(facts, self._chart(locale), locale)
        channel = reader
        if reader == admin:  # no alert channel: the admin's DM
            opened = self._call(lambda: self.client.conversations_open(users=admin))
            channel = opened["channel"]["id"]
        post_with_charts(
            self.client,
            lambda b: self._call(
                lambda: self.client.chat_postMessage(channel=channel, text=text, blocks=b)
            ),
            blocks,
        )


def weekly_digest(
    client: WebClient,
    insight: Insight,
    *,
    admins: Callable[[], list[str]],
    channel: Callable[[], str | None],
    person: Callable[[str], Person],
    approvals: Approvals | None,
) -> WeeklyDigest:
    """The weekly digest over Slack: admins' time zones from users.info, the batches (and
    watches) waiting for approval from the approvals table."""

    def waiting() -> list[WaitingBatch]:
        pending = approvals.pending() if approvals is not None else []
        return [WaitingBatch(a.requester, a.grid_name, a.rows, a.created_at) for a in pending]

    return WeeklyDigest(
        DigestSends(insight.store, insight.clock),
        insight.prefs,
        facts=lambda: insight.digest_facts(waiting()),
        send=SlackDigestSender(client, insight, person),
        admins=admins,
        channel=channel,
        tz_of=lambda user_id: person(user_id).tz,
        clock=insight.clock,
    )
