"""The rest of Slack in the shell: shortcuts, mentions, the Home tab, /invite and a credit
drop, each as one typed word, so every entry point can be tried without Slack."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from bot.playground.shell.context import ShellContext
from bot.playground.shell.form import QUIT, Quit
from bot.playground.slack.records import BOT_USER
from bot.slack import blocks as kit


def event_id(prefix: str = "EvShell") -> str:
    """A fresh Slack event id: unique across sessions on one --db (the bot drops an id it
    has already seen, as it must for Slack's retries)."""
    return prefix + uuid.uuid4().hex[:16].upper()


def handle(shell: ShellContext, line: str, answers: dict[str, str]) -> bool:
    """Run a shell word that stands for something done in Slack; False if it is none."""
    word, _, rest = line.partition(" ")
    word = word.lower()
    if word == "home":
        home(shell)
    elif word == "shortcut":
        shell.driver.shortcut()
    elif word == "enrich" and not rest.strip() and shell.press("enrich"):
        pass  # the Enrich button of a link's preview
    elif word == "enrich":
        enrich(shell, rest)
    elif word in ("@bitscale", "@bot"):
        mention(shell, rest)
    elif word in ("low-credits", "lowcredits"):
        low_credits(shell, rest)
    elif word == "workflow":
        workflow(shell, rest, answers)
    elif word == "react":
        react(shell, rest)
    else:
        return False
    return True


def home(shell: ShellContext) -> None:
    shell.home_asked = True
    event = {"type": "app_home_opened", "user": shell.user_id, "tab": "home"}
    shell.driver.event(event, event_id())


def mention(shell: ShellContext, text: str) -> None:
    """Post `@BitScale text` in the channel as you, and deliver the app_mention event."""
    said = f"<@{BOT_USER}> {text}".strip()
    message = shell.stack.standin.add_message(shell.channel_id, said, user=shell.user_id)
    event = {
        "type": "app_mention",
        "user": shell.user_id,
        "channel": shell.channel_id,
        "ts": message.ts,
        "text": said,
        "team": "T0001",
    }
    shell.driver.event(event, event_id())


def post_message(shell: ShellContext, text: str) -> bool:
    """Text that is no command and no button: a message to the channel, as in Slack, which
    tells the bot (message.channels) and, for a LinkedIn link, asks for its preview."""
    standin = shell.stack.standin
    message = standin.add_message(shell.channel_id, text, user=shell.user_id)
    shell.say(
        f"#{shell.names[shell.channel_id]} · {shell.names[shell.user_id]}: {text}\n"
        "  (posted as a message; react 🔎 runs the channel's default grid on it)"
    )
    event = {"type": "message", "channel": message.channel, "user": message.user,
             "text": message.text, "ts": message.ts, "event_ts": message.ts,
             "channel_type": "channel"}  # fmt: skip
    shell.driver.event(event, event_id())
    shared = standin.share_links(message)
    if shared is not None:
        shell.driver.event(shared[1], event_id())
    return shared is not None  # the bot is asked for a preview


REACTIONS = {"🔎": "mag", "🔍": "mag_right", "mag": "mag", "mag_right": "mag_right"}


def react(shell: ShellContext, emoji: str) -> None:
    """A reaction (🔎 by default) on the newest message a person posted in the channel."""
    name = REACTIONS.get(emoji.strip().strip(":") or "🔎", emoji.strip().strip(":"))
    standin = shell.stack.standin
    posted = [m for m in standin.posts(shell.channel_id, top_level=True) if m.user != BOT_USER]
    if not posted:
        shell.say("There is no message to react to: type one first (any text is a message).")
        return
    message = posted[-1]
    shown = message.text if len(message.text) <= 60 else message.text[:59] + "…"
    shell.say(f"(you reacted :{name}: to “{shown}”)")
    shell.driver.event(standin.reaction_event(message, shell.user_id, name), event_id())


def enrich(shell: ShellContext, text: str) -> None:
    """Post `text` as you, then use the Enrich with BitScale message shortcut on it."""
    if not text.strip():
        shell.say("Type the message too, e.g.: enrich Met Kay Ng (kay@kay.dev) of Kay Labs")
        return
    message = shell.stack.standin.add_message(shell.channel_id, text, user=shell.user_id)
    shell.say(f"#{shell.names[shell.channel_id]} · {shell.names[shell.user_id]}: {text}")
    shell.driver.message_shortcut(message)


def low_credits(shell: ShellContext, arg: str) -> None:
    sim, bot = shell.stack.sim, shell.stack.bot
    if sim is None or bot is None:
        shell.say("low-credits works with the demo workspace only, not your real BitScale.")
        return
    left = int(arg) if arg.strip().isdigit() else max(0, shell.stack.credit_threshold - 1)
    sim.set_credits_remaining(left)
    shell.say(f"(The demo workspace now has {left:,} credits left; the bot checks them.)")
    bot.credits.check()


WORKFLOW_STEP = "run_bitscale_grid"  # the manifest's custom step (functions:)


def workflow(shell: ShellContext, grid: str, answers: dict[str, str]) -> None:
    """A workflow reaching the step Run a BitScale grid, with `grid` and the inline
    answers as the step's inputs; prints what the step hands to the next one."""
    if not grid.strip():
        shell.say("Name the grid: workflow Person Lookup :: full_name=Kay; company_domain=kay.dev")
        return
    step = {"callback_id": WORKFLOW_STEP, **_manifest_step()}
    inputs = {
        "grid": grid.strip(),
        "inputs": "\n".join(f"{k}: {v}" for k, v in answers.items()),
        "channel": shell.channel_id,
        # Slack fills a user_context input with whoever set the workflow off.
        "triggered_by": {"id": shell.user_id, "secret": "playground"},
    }
    execution = event_id("FxShell")
    shell.say(f"(A workflow runs the step Run a BitScale grid on {grid.strip()}…)")
    shell.driver.function_executed(step, inputs, execution)
    executions = shell.stack.standin.function_executions
    deadline = time.monotonic() + 300
    while executions[execution]["state"] == "running" and time.monotonic() < deadline:
        shell.settle(longest=1.0)
    done = executions[execution]
    shell.say(f"(The step {done['state']}; it hands on:)")
    for name, value in (done.get("outputs") or {}).items():
        shell.say(f"  {name}: {str(value)[:300]}")
    if done.get("error"):
        shell.say(f"  error: {done['error']}")


def _manifest_step() -> dict:
    """The step's definition from manifest.yml when this is a checkout with PyYAML."""
    try:
        import yaml
    except ImportError:
        return {}
    manifest = Path(__file__).parents[3] / "manifest.yml"
    if manifest.is_file():
        return (yaml.safe_load(manifest.read_text()).get("functions") or {}).get(
            WORKFLOW_STEP, {}
        )
    return {}


def other_command(shell: ShellContext, command: str, text: str) -> None:
    """Slash commands that are Slack's own, not the bot's."""
    if command == "/invite":
        if "bitscale" in text.lower():
            shell.stack.standin.channel_errors.pop(shell.channel_id, None)
            shell.say(
                f"(Slack) BitScale is in #{shell.names[shell.channel_id]}: it can post results "
                "here."
            )
        else:
            shell.say("(Slack) In the shell only @BitScale can be invited: /invite @BitScale")
        return
    shell.say(
        f"(Slack) {command} is not a command here. The bot's command is /bitscale; "
        "type help for the shell's words."
    )


def grid_picker(view: dict) -> dict | None:
    """The type-ahead grid select of a shortcut's picker, if the view has one."""
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        if element.get("action_id") == kit.PICK_GRID_ACTION and element.get("type") == (
            "external_select"
        ):
            return block
    return None


def pick_grid(shell: ShellContext, view: dict, answers: dict[str, str]) -> None:
    """Ask which grid (type part of its name), as Slack's type-ahead would, and choose it."""
    block = grid_picker(view)
    if block is None:
        return
    while True:
        typed = answers.get("grid")
        if typed is None:
            typed = shell.read_line("│ Grid (type part of its name, or cancel): ")
            if typed is not None and not shell.live:
                shell.say(f"│ Grid (type part of its name, or cancel): {typed}")
        else:
            shell.say(f"│ Grid: {typed}")
        if typed is None or typed.strip().lower() in ("cancel", *QUIT):
            shell.say("└ (cancelled)")
            if typed is not None and typed.strip().lower() in QUIT:
                raise Quit
            return
        answer = shell.driver.suggest(kit.PICK_GRID_ACTION, typed.strip(), view)
        options = json.loads(answer.text or "{}").get("options", [])
        names = [o["text"]["text"] for o in options]
        exact = [o for o in options if o["text"]["text"].lower() == typed.strip().lower()]
        if len(options) == 1 or exact:
            chosen = (exact or options)[0]
            break
        if "grid" in answers:  # answered inline: nothing more to ask
            shell.say(f"│ {len(options)} grids match; name one exactly.")
            return
        shell.say(f"│ Several match: {', '.join(names[:10])}" if options else "│ No grid matches.")
    shell.say(f"│ → {chosen['text']['text']}")
    shell.driver.click(
        {
            "action_id": kit.PICK_GRID_ACTION,
            "block_id": block.get("block_id", "grid"),
            "type": "external_select",
            "selected_option": chosen,
        },
        view=view,
    )
    shell.settle()


