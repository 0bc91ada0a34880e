"""The `/bitscale` router: parse the text, ack at once, then do the work."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.bitscale import BitScaleError, Priority
from bot.bitscale.errors import explain
from bot.slack import blocks as kit
from bot.slack.modals import open_run_form
from bot.slack.services import Services

log = logging.getLogger(__name__)

COMMAND = "/bitscale"
SUBCOMMANDS = ("help", "grids", "run", "status", "runs", "credits")
ALIASES = {
    "": "help",
    "?": "help",
    "-h": "help",
    "--help": "help",
    "list": "grids",
    "grid": "grids",
    "credit": "credits",
    "balance": "credits",
    "history": "runs",
}
MAX_ARG = 500
BUSY = "I'm handling a lot of requests right now. Please try again in a minute."
TRIGGER_EXPIRED = (
    "Slack only lets a form open within 3 seconds of the command, and that "
    "window passed while I was busy. Please run the command again."
)


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # one of SUBCOMMANDS, or "unknown"
    arg: str  # the rest of the text; for "unknown", the word that was not understood


def parse_command(text: str | None) -> ParsedCommand:
    parts = (text or "").split(maxsplit=1)
    word = parts[0] if parts else ""
    arg = parts[1].strip() if len(parts) > 1 else ""
    name = ALIASES.get(word.lower(), word.lower())
    if name not in SUBCOMMANDS:
        return ParsedCommand("unknown", word)
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "\"'“”":
        arg = arg[1:-1].strip()
    elif len(arg) >= 2 and arg[0] == "“" and arg[-1] == "”":
        arg = arg[1:-1].strip()
    return ParsedCommand(name, arg[:MAX_ARG])


def register(app: App, services: Services) -> None:
    @app.command(COMMAND)
    def bitscale_command(ack: Ack, body: dict, respond: Respond, client: WebClient) -> None:
        handle_command(ack, body, respond, client, services)


def handle_command(
    ack: Ack, body: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    parsed = parse_command(body.get("text"))
    user_id = body.get("user_id", "")
    if parsed.name == "help":
        ack(text="BitScale for Slack: help", blocks=kit.help_blocks())
        return
    if parsed.name == "unknown":
        ack(text=f"I don't know {parsed.arg}", blocks=kit.unknown_command_blocks(parsed.arg))
        return
    if parsed.name == "runs":
        ack(
            text="Your recent runs",
            blocks=kit.runs_list_blocks(services.store.recent_runs(user_id, 10)),
        )
        return
    if parsed.name in ("run", "status") and not parsed.arg:
        usage = {
            "run": "`/bitscale run <grid name or id>` — for example "
            "`/bitscale run Company Enrichment`.",
            "status": "`/bitscale status <request id>` — the request id is shown under "
            "a run's result, or in `/bitscale runs`.",
        }[parsed.name]
        ack(text=usage, blocks=kit.notice_blocks(f"Which one? {usage}"))
        return
    ack()
    services.later(
        lambda: _answer(parsed, body, respond, client, services), busy=lambda: respond(text=BUSY)
    )


def _answer(
    parsed: ParsedCommand, body: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    """The part of a command that waits on BitScale, after the ack."""
    try:
        if parsed.name == "run":
            open_run_form(
                client,
                services,
                body["trigger_id"],
                query=parsed.arg,
                channel_id=body.get("channel_id"),
                user_id=body.get("user_id", ""),
            )
        elif parsed.name == "grids":
            page = services.catalog.page(parsed.arg or None, 1)
            respond(text="BitScale grids", blocks=kit.grids_page_blocks(page, parsed.arg or None))
        elif parsed.name == "status":
            respond(**status_reply(services, parsed.arg))
        elif parsed.name == "credits":
            workspace = services.catalog.workspace()
            respond(text="BitScale credits", blocks=kit.credits_blocks(workspace))
    except BitScaleError as error:
        respond(text=explain(error), blocks=kit.error_blocks(explain(error)))
    except SlackApiError as error:
        log.warning("/bitscale %s: Slack said %s", parsed.name, error.response.get("error"))
        respond(
            text=TRIGGER_EXPIRED
            if "trigger" in str(error.response.get("error"))
            else "Slack refused to show that. Please try again in a minute."
        )
    except Exception:  # noqa: BLE001 - the user gets an answer, the log gets the trace
        log.exception("/bitscale %s failed", parsed.name)
        respond(text="Something went wrong on my side. Please try again in a minute.")


def status_reply(services: Services, ident: str) -> dict:
    """A run we know (by request id or run id) from SQLite; otherwise ask BitScale."""
    run = services.store.run_by_request_id(ident) or services.store.get_run(ident)
    if run is not None:
        return {"text": f"{run.grid_name}: {run.state}", "blocks": kit.status_blocks(run)}
    try:
        result = services.bitscale.run_status(ident, priority=Priority.INTERACTIVE)
    except BitScaleError as error:
        if error.code == "REQUEST_NOT_FOUND":
            text = (
                f"I know no run with the id `{ident[:100]}`, and neither does BitScale. "
                "Check the id in `/bitscale runs`."
            )
            return {"text": text, "blocks": kit.notice_blocks(kit.escape(text))}
        raise
    outputs = {k: v.model_dump() for k, v in (result.outputs or {}).items()}
    message = result.failure_message if result.status == "failed" else None
    return {
        "text": f"Run {ident}: {result.status}",
        "blocks": kit.remote_status_blocks(ident, result.status, outputs, message),
    }
