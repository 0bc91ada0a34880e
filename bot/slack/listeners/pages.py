"""`/bitscale score <url>` and `/bitscale rewrite <url>`: a page through Bittlebits."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import blocks as kit
from bot.slack.listeners.commands import CommandCall, subcommand
from bot.slack.pages import BAD_URL, NOT_SET_UP, enabled, parse_url, start_page_run
from bot.slack.services import Services

log = logging.getLogger(__name__)


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
    """The words above join the /bitscale router on import; here, the message shortcut's
    Score page / Rewrite suggestions buttons."""

    def choose(kind: str):
        def handler(ack: Ack, body: dict, client: WebClient) -> None:
            ack()
            services.later(lambda: _page_from_message(services, client, body, kind))

        return handler

    app.action(kit.PAGE_SCORE_ACTION)(choose("score"))
    app.action(kit.PAGE_REWRITE_ACTION)(choose("rewrite"))


def _page_from_message(services: Services, client: WebClient, body: dict, kind: str) -> None:
    view = body.get("view") or {}
    action = (body.get("actions") or [{}])[0]
    session = services.store.load_session(view.get("private_metadata") or "") or {}
    url = parse_url(str(action.get("value") or ""))
    user_id = (body.get("user") or {}).get("id") or session.get("user_id") or ""
    if url is None or not session:
        text = "That form has expired. Use the shortcut on the message again."
    else:
        text = start_page_run(
            services,
            kind,
            url,
            user_id=user_id,
            channel_id=session.get("channel_id"),
            thread_ts=session.get("thread_ts"),
            source="shortcut",
            # The same form's button pressed twice asks once.
            dedupe_key=f"page:{view.get('id')}:{kind}",
        ).text
    try:
        client.views_update(view_id=view.get("id"), view=kit.message_modal(text, "Bittlebits"))
    except SlackApiError as exc:
        log.info("could not update the shortcut form: %s", exc.response.get("error"))
