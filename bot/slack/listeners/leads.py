"""Leads where they appear: link_shared (LinkedIn previews), reaction_added (🔎), message
events (opt-in detection), the buttons on previews and offers, and `/bitscale detect` and
`/bitscale previews`. Each listener acks at once and hands the work to Services.later:
nothing here waits on BitScale on the request's thread."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.leads.extract import Found
from bot.previews.rules import LEVEL_WORDS, Level, effective_level, parse_level
from bot.slack import blocks as kit
from bot.slack.blocks import unfurls as cards
from bot.slack.detection import decline_offer, enrich_offer, handle_message
from bot.slack.lead_runs import Tell, private_answer
from bot.slack.listeners.admin_only import refuse_non_admin
from bot.slack.listeners.commands import CommandCall, subcommand
from bot.slack.reactions import handle_reaction
from bot.slack.services import Services
from bot.slack.text import channel_link
from bot.slack.unfurl_clicks import enrich_pressed, grid_picked
from bot.slack.unfurls import handle_link_shared

DETECT_USAGE = "`/bitscale detect on` or `/bitscale detect off` (admins), in the channel."
PREVIEWS_USAGE = (
    "`/bitscale previews off|button|name|full` sets this channel's LinkedIn previews "
    "(admins); `/bitscale previews mute` or `unmute` is for your own links."
)


def _action(body: dict) -> dict:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _presser(body: dict) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _channel(body: dict) -> str:
    return str(
        (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or ""
    )


def _respond_tell(respond: Respond) -> Tell:
    """A private answer through the press's response_url: works in channels the bot is not
    a member of (a preview is often there)."""
    return lambda text, blocks: respond(
        text=text, blocks=blocks, response_type="ephemeral", replace_original=False
    )


def register(app: App, services: Services) -> None:
    @app.event("link_shared")
    def link_shared(event: dict, body: dict, client: WebClient) -> None:
        external = bool(body.get("is_ext_shared_channel"))
        services.later(
            lambda: handle_link_shared(client, services, event, shared_externally=external)
        )

    @app.event("reaction_added")
    def reaction_added(event: dict, client: WebClient) -> None:
        if str(event.get("reaction") or "") != services.reaction_emoji:
            return
        services.later(lambda: handle_reaction(client, services, event))

    @app.event("message")
    def message(event: dict, client: WebClient, context: dict) -> None:
        bot_user = context.get("bot_user_id")
        # Every message of every channel comes here: when the bot is overloaded, an offer
        # nobody asked for is the first thing to drop (busy does nothing).
        services.later(lambda: handle_message(client, services, event, bot_user), busy=_skip)

    @app.action(re.compile(f"^({cards.UNFURL_ENRICH_ACTION}|{cards.UNFURL_ALL_ACTION})$"))
    def enrich(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        card_id, user = str(_action(body).get("value") or ""), _presser(body)
        services.later(
            lambda: enrich_pressed(client, services, card_id, user, _respond_tell(respond))
        )

    @app.action(cards.UNFURL_PICK_ACTION)
    def pick(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        value = str((_action(body).get("selected_option") or {}).get("value") or "")
        services.later(lambda: grid_picked(client, services, value))

    @app.action(cards.OPEN_PICKER_ACTION)
    def open_picker(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        token = str(_action(body).get("value") or "")
        session = services.store.load_session(token)
        if session is None:
            tell = private_answer(client, _channel(body), _presser(body))
            services.later(lambda: tell(*_expired()))
            return
        found = Found.from_dict(session.get("found"))
        trigger = body["trigger_id"]
        services.later(
            lambda: client.views_open(
                trigger_id=trigger, view=kit.enrich_picker_modal(token, found, None)
            )
        )

    @app.action(cards.DETECT_ENRICH_ACTION)
    def detect_enrich(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        offer_id, user = str(_action(body).get("value") or ""), _presser(body)

        def enrich_it() -> None:
            line = enrich_offer(services, offer_id, user, _respond_tell(respond))
            if line:
                respond(text=line, replace_original=True)

        services.later(enrich_it)

    @app.action(cards.DETECT_DECLINE_ACTION)
    def detect_decline(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        line = decline_offer(services, str(_action(body).get("value") or ""), _presser(body))
        if line:
            services.later(lambda: respond(text=line, replace_original=True))


def _skip() -> None:
    return None


def _expired() -> tuple[str, list[dict]]:
    text = "This button has expired. React again, or use *Enrich with BitScale* on the message."
    return text, kit.notice_blocks(text)


# --- /bitscale detect and /bitscale previews ----------------------------------------------


def _say(call: CommandCall, text: str) -> None:
    call.respond(text=text, blocks=kit.notice_blocks(text))


def _detect(call: CommandCall) -> None:
    services, channel = call.services, call.channel_id or ""
    assert services.previews is not None
    word = call.arg.strip().lower()
    if word not in ("on", "off"):
        state = "on" if services.previews.channel(channel).detect else "off"
        _say(call, f"Detection is *{state}* in {channel_link(channel)}. {DETECT_USAGE}")
        return
    refused = refuse_non_admin(services, call.user_id, "turn detection on or off")
    if refused:
        _say(call, refused)
        return
    services.previews.set_detect(channel, word == "on", call.user_id)
    if word == "off":
        _say(call, f"Detection is off in {channel_link(channel)}: I offer nothing here.")
        return
    default = services.defaults.get(channel) if services.defaults else None
    text = (
        f"Detection is on in {channel_link(channel)}: when someone posts a company's domain or "
        "an email here, I offer them, and only them, to enrich it. Nothing runs without a press."
    )
    if default is None:
        text += (
            " This channel has no default grid yet, so I offer nothing until an admin sets "
            "one: `/bitscale default <grid>`."
        )
    _say(call, text)


def _previews(call: CommandCall) -> None:
    services, channel = call.services, call.channel_id or ""
    assert services.previews is not None
    word = call.arg.strip().lower()
    if word in ("mute", "unmute"):
        services.previews.mute(call.user_id, word == "mute")
        _say(
            call,
            "LinkedIn links you post get no preview from me now."
            if word == "mute"
            else "LinkedIn links you post get previews again, as each channel's level says.",
        )
        return
    level = parse_level(word)
    if level is None:
        chosen = services.previews.channel(channel).level
        shown = effective_level(chosen, shared_externally=False)
        muted = (
            " You muted previews of your own links."
            if services.previews.muted(call.user_id)
            else ""
        )
        _say(
            call,
            f"LinkedIn previews in {channel_link(channel)}: *{LEVEL_WORDS[shown]}*"
            f"{'' if chosen else ' (the default)'}.{muted} {PREVIEWS_USAGE}",
        )
        return
    refused = refuse_non_admin(services, call.user_id, "set this channel's previews")
    if refused:
        _say(call, refused)
        return
    services.previews.set_level(channel, level, call.user_id)
    note = (
        " In channels shared with other companies a card never shows more than the button."
        if level in (Level.NAME, Level.FULL)
        else ""
    )
    _say(
        call, f"LinkedIn previews in {channel_link(channel)} are now *{LEVEL_WORDS[level]}*.{note}"
    )


subcommand("detect", answer=_detect)
subcommand("previews", answer=_previews, aliases=("preview", "unfurls"))
