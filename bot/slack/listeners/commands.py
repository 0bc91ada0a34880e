"""The `/bitscale` router: parse the text, ack at once, then do the work.

Each subcommand is a `Subcommand` in `SUBCOMMANDS`. A feature adds its words by calling
`subcommand(...)` from its own listener module, so the router itself never grows a branch.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.governance.visibility import may_see
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.slack import blocks as kit
from bot.slack.forms import open_run_form
from bot.slack.services import Services
from bot.slack.text import escape
from bot.slack.unavailable import database_unavailable

log = logging.getLogger(__name__)

COMMAND = "/bitscale"
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
MAX_WORD = 60  # an unknown first word is echoed back this long at most
BUSY = "I'm handling a lot of requests right now. Please try again in a minute."
TRIGGER_EXPIRED = (
    "Slack only lets a form open within 3 seconds of the command, and that "
    "window passed while I was busy. Please run the command again."
)


@dataclass(frozen=True)
class CommandCall:
    """One `/bitscale` invocation, as a subcommand's handler sees it."""

    arg: str
    body: dict[str, Any]
    respond: Respond
    client: WebClient
    services: Services

    @property
    def user_id(self) -> str:
        return self.body.get("user_id", "")

    @property
    def channel_id(self) -> str | None:
        return self.body.get("channel_id")

    @property
    def trigger_id(self) -> str:
        return self.body.get("trigger_id", "")


@dataclass(frozen=True)
class Subcommand:
    name: str
    # Runs after the ack, off Bolt's thread: anything that waits on BitScale or Slack.
    answer: Callable[[CommandCall], None] | None = None
    # Answers inside the ack (fast, local work only): returns the reply's text and blocks,
    # or None to leave this call to `answer`.
    instant: Callable[[CommandCall], dict[str, Any] | None] | None = None
    # When set, an empty argument is answered with this usage line instead.
    usage_when_empty: str | None = None


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(
    name: str,
    *,
    answer: Callable[[CommandCall], None] | None = None,
    instant: Callable[[CommandCall], dict[str, Any] | None] | None = None,
    usage_when_empty: str | None = None,
    aliases: tuple[str, ...] = (),
) -> None:
    """Add a word to `/bitscale`. Help lines live with the builders (blocks/help.py)."""
    SUBCOMMANDS[name] = Subcommand(name, answer, instant, usage_when_empty)
    for alias in aliases:
        ALIASES[alias] = name


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # one of SUBCOMMANDS, or "unknown"
    arg: str  # the rest of the text; for "unknown", the word that was not understood
    rest: str = ""  # for "unknown": what followed the word


def suggest(word: str) -> str | None:
    """The subcommand a mistyped word most likely meant (`rnu` → `run`), if any."""
    words = [w for w in (*SUBCOMMANDS, *ALIASES) if w and w[0].isalpha()]
    close = difflib.get_close_matches(word.lower(), words, n=1, cutoff=0.6)
    return ALIASES.get(close[0], close[0]) if close else None


def parse_command(text: str | None) -> ParsedCommand:
    parts = (text or "").split(maxsplit=1)
    word = parts[0] if parts else ""
    arg = parts[1].strip() if len(parts) > 1 else ""
    name = ALIASES.get(word.lower(), word.lower())
    if name not in SUBCOMMANDS:
        # The word is echoed back: bounded, so 200 KB in is not 200 KB out.
        return ParsedCommand("unknown", word[:MAX_WORD], arg[:MAX_ARG])
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
    if parsed.name == "unknown":
        guess = suggest(parsed.arg)
        hint = f"{COMMAND} {guess} {parsed.rest}".strip() if guess else None
        ack(
            text=escape(
                f"I don't know {parsed.arg}" + (f". Did you mean {hint}?" if hint else "")
            ),
            blocks=kit.unknown_command_blocks(parsed.arg, hint),
        )
        return
    sub = SUBCOMMANDS[parsed.name]
    call = CommandCall(parsed.arg, body, respond, client, services)
    if sub.usage_when_empty and not parsed.arg:
        usage = sub.usage_when_empty
        ack(text=usage, blocks=kit.notice_blocks(f"Which one? {usage}"))
        return
    if sub.instant is not None:
        reply = sub.instant(call)
        if reply is not None:  # None: not answerable at once, go on to `answer`
            ack(**reply)
            return
    ack()
    answer = sub.answer
    if answer is not None:
        services.later(lambda: _guarded(parsed.name, answer, call), busy=lambda: respond(text=BUSY))


def _guarded(name: str, answer: Callable[[CommandCall], None], call: CommandCall) -> None:
    """Every subcommand's slow part: the user always gets an answer, the log the trace."""
    try:
        answer(call)
    except BitScaleError as error:
        call.respond(text=explain(error), blocks=kit.error_blocks(explain(error)))
    except SlackApiError as error:
        log.warning("/bitscale %s: Slack said %s", name, error.response.get("error"))
        call.respond(
            text=TRIGGER_EXPIRED
            if "trigger" in str(error.response.get("error"))
            else "Slack refused to show that. Please try again in a minute."
        )
    except Exception as error:  # noqa: BLE001 - the user gets an answer, the log the trace
        if (unavailable := database_unavailable(error)) is not None:
            log.warning("/bitscale %s: the database did not answer (%s)", name, unavailable.cause)
            call.respond(text=str(unavailable))
            return
        log.exception("/bitscale %s failed", name)
        call.respond(text="Something went wrong on my side. Please try again in a minute.")


# --- the core words -----------------------------------------------------------------------


def _help(call: CommandCall) -> dict[str, Any]:
    return {"text": "BitScale for Slack: help", "blocks": kit.help_blocks()}


def _runs(call: CommandCall) -> dict[str, Any]:
    runs = call.services.store.recent_runs(call.user_id, 10)
    return {"text": "Your recent runs", "blocks": kit.runs_list_blocks(runs)}


def _run(call: CommandCall) -> None:
    open_run_form(
        call.client,
        call.services,
        call.trigger_id,
        query=call.arg,
        channel_id=call.channel_id,
        user_id=call.user_id,
    )


def _grids(call: CommandCall) -> None:
    page = call.services.catalog.page(call.arg or None, 1)
    show_grids(call.services, call.respond, call.user_id, page, call.arg or None)


def show_grids(
    services: Services,
    respond: Respond,
    user_id: str,
    page: Any,
    search: str | None,
    replace: bool = False,
) -> None:
    """Show a page of grids at once, then make sure grids without an API source show no
    Run button: what the cache does not know is asked in the background, and the list is
    redrawn when it finds one."""
    runnable = runnable_ids(services, user_id, page)
    ids = [g.id for g in page.grids]
    known = services.catalog.sourceless(ids)

    def blocks(sourceless: set[str]) -> list[dict]:
        return kit.grids_page_blocks(page, search, runnable, sourceless)

    respond(text="BitScale grids", blocks=blocks(known), replace_original=replace)
    found = services.catalog.check_sources(ids)
    if found - known:
        respond(text="BitScale grids", blocks=blocks(known | found), replace_original=True)


def runnable_ids(services: Services, user_id: str, page: Any) -> set[str]:
    """The grids on `page` this person may run (the others show no Run button)."""
    assert services.policy is not None
    return services.policy.runnable(user_id, [g.id for g in page.grids])


def _status(call: CommandCall) -> None:
    call.respond(**status_reply(call.services, call.arg, call.user_id, call.channel_id))


def _credits(call: CommandCall) -> None:
    workspace = call.services.catalog.workspace()
    insight = call.services.insight
    forecast = insight.forecast() if insight is not None else None
    locale = call.services.locale_of(call.user_id)
    call.respond(text="BitScale credits", blocks=kit.credits_blocks(workspace, forecast, locale))


def status_reply(
    services: Services, ident: str, user_id: str, channel_id: str | None = None
) -> dict:
    """A stored run, by its ref, run id or request id, for someone who may see it (its
    requester, or someone in the conversation it was posted in). Anything else gets the
    same answer as an unknown id, and nothing is asked of BitScale on anyone's behalf."""
    run = services.store.find_run(ident)
    if run is not None and may_see(run, user_id, channel_id):
        return {
            "text": f"{escape(run.grid_name)}: {run.state}",
            "blocks": kit.status_blocks(run, services.runs.providers.view(run)),
        }
    shown = ident.strip().strip("`#").strip()[:100]
    text = (
        f"I know no run you can see with the reference `{shown}`. `/bitscale runs` lists "
        "your runs with their references and a Status button; runs posted in a channel "
        "can be looked up from that channel."
    )
    return {"text": escape(text), "blocks": kit.notice_blocks(escape(text))}


subcommand("help", instant=_help)
subcommand("grids", answer=_grids)
subcommand(
    "run",
    answer=_run,
    usage_when_empty="`/bitscale run <grid name or id>` — for example "
    "`/bitscale run Company Enrichment`.",
)
subcommand(
    "status",
    answer=_status,
    usage_when_empty="`/bitscale status <ref>` — a run's short reference is shown under "
    "its result and in `/bitscale runs` (a BitScale request id works too).",
)
subcommand("runs", instant=_runs)
subcommand("credits", answer=_credits)
