"""`/bitscale score <url>` and `/bitscale rewrite <url>`: a page through Bittlebits."""

from __future__ import annotations

from slack_bolt import App

from bot.slack import blocks as kit
from bot.slack.listeners.commands import CommandCall, subcommand
from bot.slack.pages import BAD_URL, NOT_SET_UP, enabled, parse_url, start_page_run
from bot.slack.services import Services


def _page(kind: str):
    def answer(call: CommandCall) -> None:
        if not enabled(call.services):
            call.respond(text=NOT_SET_UP, blocks=kit.notice_blocks(NOT_SET_UP))
            return
        url = parse_url(call.arg)
        if url is None:
            text = BAD_URL.format(kind=kind)
            call.respond(text=text, blocks=kit.notice_blocks(text))
            return
        reply = start_page_run(
            call.services,
            kind,
            url,
            user_id=call.user_id,
            channel_id=call.channel_id,
            team_id=call.body.get("team_id"),
        )
        call.respond(text=reply.text, blocks=kit.notice_blocks(reply.text))

    answer.__name__ = f"_{kind}"
    return answer


subcommand(
    "score",
    answer=_page("score"),
    usage_when_empty="`/bitscale score <page URL>` — for example "
    "`/bitscale score https://prospect.example/pricing`.",
)
subcommand(
    "rewrite",
    answer=_page("rewrite"),
    usage_when_empty="`/bitscale rewrite <page URL>` — for example "
    "`/bitscale rewrite https://prospect.example/pricing`.",
)


def register(app: App, services: Services) -> None:
    """The words above are registered with the /bitscale router on import."""
