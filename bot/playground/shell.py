"""`bitscale-bot shell`: the whole bot in a terminal, Slack played by a stand-in.

What you type goes to the real Bolt app as signed Slack requests; what the bot posts is
printed as text; modals become prompts; buttons are pressed by typing their label.
"""

from __future__ import annotations

import json
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from bot.playground.render import Button, blocks_to_lines
from bot.playground.slack_driver import form_values
from bot.playground.slack_standin import BOT_USER
from bot.playground.stack import LocalStack
from bot.slack.text import squash

ANSWERS = " :: "
SHELL_HELP = """\
Type what you would type in Slack, for example:
  /bitscale grids                       list grids (press [Next ▶] by typing: next)
  /bitscale run Company Enrichment      opens the run form; you'll be asked for each input
  /bitscale credits                     the workspace's credits
Press a button by typing its label (run 2, next, run again). Other words:
  wait    wait until every run has posted its result
  help    this text
  quit    leave (Ctrl-D works too)
In scripts, answer a form inline:
  /bitscale run Person Lookup :: full_name=Ada; company_domain=ex.com
"""


class Shell:
    def __init__(
        self,
        stack: LocalStack,
        out: TextIO,
        read_line: Callable[[str], str | None],
        *,
        user: str,
        channel: str,
        live: bool,
    ) -> None:
        self.stack = stack
        self.out = out
        self.read_line = read_line
        self.live = live  # interactive: print bot messages the moment they arrive
        self.user_id = "U0" + re.sub(r"[^A-Z0-9]", "", user.upper())[:10]
        self.channel_id = "C0" + re.sub(r"[^A-Z0-9]", "", channel.upper())[:10]
        self.names = {
            self.user_id: user,
            self.channel_id: channel,
            BOT_USER: "BitScale",
            "D" + self.user_id[1:]: "DM",
        }
        driver = stack.driver
        assert driver is not None
        self.driver = driver
        driver.user.update(id=self.user_id, username=user, name=user)
        driver.channel.update(id=self.channel_id, name=channel)
        self.buttons: list[Button] = []
        self.prompt = f"#{channel} > "
        self.waiting_for_input = False
        self.form: dict | None = None  # the run form waiting to be filled in
        self.events: queue.Queue = queue.Queue()
        self.last_event = time.monotonic()
        self.lock = threading.Lock()
        stack.standin.on_event(self._on_event)
        if live:
            threading.Thread(target=self._print_forever, daemon=True).start()

    # --- output -------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        with self.lock:
            print(text, file=self.out, flush=True)

    def say_meanwhile(self, text: str) -> None:
        """Print while the person may be typing: clear their line, print, then redraw the
        prompt and what they had typed so far."""
        try:
            import readline

            typed = readline.get_line_buffer()
        except ImportError:
            typed = ""
        with self.lock:
            self.out.write(f"\r\033[K{text}\n{self.prompt}{typed}")
            self.out.flush()

    def _on_event(self, kind: str, item: Any) -> None:
        self.last_event = time.monotonic()
        self.events.put((kind, item))

    def _print_forever(self) -> None:
        while True:
            kind, item = self.events.get()
            if self.waiting_for_input:
                self._show(kind, item, meanwhile=True)
            else:
                self._show(kind, item)

    def drain(self) -> None:
        while True:
            try:
                kind, item = self.events.get_nowait()
            except queue.Empty:
                return
            self._show(kind, item)

    def settle(self, quiet: float = 0.4, longest: float = 10.0) -> None:
        """Wait until the bot has been quiet for a moment (it answers asynchronously)."""
        start = time.monotonic()
        time.sleep(0.05)
        while time.monotonic() - start < longest:
            if self.events.empty() and time.monotonic() - self.last_event >= quiet:
                break
            if not self.live:
                self.drain()
            time.sleep(0.05)
        if not self.live:
            self.drain()

    def _lines(
        self, blocks: list[dict], text: str, message: Any = None, view: dict | None = None
    ) -> list[str]:
        return blocks_to_lines(blocks, self.names, self.buttons, message, view) or [text]

    def _show(self, kind: str, item: Any, meanwhile: bool = False) -> None:
        say = self.say_meanwhile if meanwhile else self.say
        if kind == "message":
            where = self._where(item.channel)
            if item.thread_ts:
                head, indent = f"    ↳ BitScale, in the thread in {where}:", "      "
            else:
                head, indent = f"{where} · BitScale:", "  "
            body = self._lines(item.blocks, item.text, message=item)
            say("\n".join([head, *[indent + line for line in body]]))
        elif kind == "update":
            first = self._lines(item.blocks, item.text, message=item)[0]
            say(f"{self._where(item.channel)} · (BitScale updated its message) {first}")
        elif kind == "response":
            self._show_ephemeral(item)
        elif kind == "file":
            size = len(item.get("content") or b"")
            say(f"      📎 {item.get('filename')} attached ({size:,} bytes)")
        elif kind == "view":
            self._show_view(item)

    def _show_ephemeral(self, payload: dict) -> None:
        if not payload.get("blocks") and not payload.get("text"):
            return
        body = self._lines(payload.get("blocks") or [], payload.get("text") or "")
        self.say("\n".join(["BitScale (only you can see this):", *["  " + b for b in body]]))

    def _show_view(self, view: dict) -> None:
        title = view.get("title", {}).get("text", "")
        if view.get("callback_id") == "run_view":
            self.form = view
            intro = blocks_to_lines(view.get("blocks", [])[:1], self.names)
            self.say("\n".join([f"┌ {title}", *["│ " + line for line in intro]]))
            return
        body = self._lines(view.get("blocks", []), "", view=view)
        self.say("\n".join([f"┌ {title}", *["│ " + line for line in body], "└"]))

    def _where(self, channel: str) -> str:
        name = self.names.get(channel)
        if name == "DM":
            return "DM"
        return "#" + (name or channel)

    # --- input --------------------------------------------------------------------------

    def run(self) -> None:
        self.say(
            f"bitscale-bot shell — you are @{self.names[self.user_id]} in "
            f"#{self.names[self.channel_id]}. Type help for help, quit to leave."
        )
        while True:
            self.waiting_for_input = True
            line = self.read_line(self.prompt)
            self.waiting_for_input = False
            if line is None:
                break
            line = line.strip()
            if not line or line.startswith("#!"):
                continue
            if not self.live:
                self.say(f"#{self.names[self.channel_id]} > {line}")
            if line.lower() in ("quit", "exit"):
                break
            self.handle(line)
        if not self.live:
            self.wait_idle()

    def handle(self, line: str) -> None:
        if line.lower() == "help":
            self.say(SHELL_HELP)
            return
        if line.lower() == "wait":
            self.wait_idle()
            return
        line, _, inline = line.partition(ANSWERS)
        answers = _parse_answers(inline)
        if line.startswith("/"):
            command, _, text = line.partition(" ")
            self.form = None
            answer, _, _ = self.driver.command(text, command=command)
            if answer.status_code != 200:
                self.say(f"(the bot answered HTTP {answer.status_code})")
            elif answer.text.strip():
                self._show_ephemeral(json.loads(answer.text))
        elif not self.press(line):
            self.say(f"I don't see a button called “{line}”. Type help for help.")
            return
        self.settle()
        if self.form is not None:
            view, self.form = self.form, None
            self.fill(view, answers)

    def press(self, label: str) -> bool:
        wanted = label.strip("[] ").casefold()
        for button in reversed(self.buttons):
            shown = button.label.casefold()
            if shown == wanted or (wanted and shown.startswith(wanted)):
                self.form = None
                self.driver.click(button.action, message=button.message, view=button.view)
                return True
        return False

    def fill(self, view: dict, answers: dict[str, str]) -> None:
        """Outputs first (fewer outputs may need fewer inputs), then inputs, then channel."""
        outputs = self._ask_outputs(view, answers)
        if outputs is False:
            return self._cancelled()
        if outputs is not None:
            view = self._narrow(view, outputs)
        inputs: dict[str, str] = {}
        channel: str | None = None
        deliver: str | None = None
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element, label = block["element"], block["label"]["text"]
            if element["type"] == "plain_text_input":
                key = label  # the label rule: squashed, a label equals its key
                default = element.get("initial_value") or ""
                value = self._answer(
                    answers, key, label, f"│ {label}{f' [{default}]' if default else ''}: "
                )
                if value is None:
                    return self._cancelled()
                inputs[key] = value or default
            elif element["type"] == "radio_buttons":
                options = element["options"]
                listing = "  ".join(
                    f"{i}) {o['text']['text']}" for i, o in enumerate(options, 1)
                )
                self.say(f"│ {label}: {listing}")
                value = self._answer(answers, "to", label, "│   which? (Enter = 1): ")
                if value is None:
                    return self._cancelled()
                deliver = _choose(value, options)
            elif element["type"] == "conversations_select":
                value = self._answer(
                    answers, "post_in", label, "│ Post the result in (#channel, Enter = DM): "
                )
                if value is None:
                    return self._cancelled()
                channel = self._channel_id(value) if value.strip() else None
        self.say("└ [Run]")
        answer = self.driver.submit(view, form_values(view, inputs, outputs, channel, deliver))
        if answer.text.strip():
            errors = json.loads(answer.text).get("errors", {})
            for message in errors.values():
                self.say(f"  ⚠️ {message}")
            if errors:
                self.say("  The form was not sent; run the command again to fix it.")
                return
        self.settle()

    def _ask_outputs(self, view: dict, answers: dict[str, str]) -> list[str] | None | bool:
        """The chosen output ids; None for all of them; False when cancelled."""
        options = [
            o
            for b in view.get("blocks", [])
            if b.get("type") == "input" and b["element"]["type"] == "checkboxes"
            for o in b["element"]["options"]
        ]
        if not options:
            return None
        listing = ", ".join(f"{i}) {o['text']['text']}" for i, o in enumerate(options, 1))
        self.say(f"│ Outputs: {listing}")
        value = self._answer(
            answers, "outputs", "Outputs", "│   keep which? (Enter = all, or e.g. 1,3): "
        )
        if value is None:
            return False
        picked = [o["value"] for o in _pick(value, options)]
        return None if len(picked) == len(options) else picked

    def _narrow(self, view: dict, outputs: list[str]) -> dict:
        """Tick the chosen outputs in the form, the way Slack reports a checkbox change,
        and wait for the bot to update the form with the inputs they need."""
        values = form_values(view, outputs=outputs)
        groups = [
            b
            for b in view["blocks"]
            if b.get("type") == "input" and b["element"]["type"] == "checkboxes"
        ]
        self.form = None
        self.driver.click(
            {
                "action_id": groups[0]["element"]["action_id"],
                "block_id": groups[0]["block_id"],
                "type": "checkboxes",
            },
            view={**view, "state": {"values": values}},
        )
        self.settle(quiet=0.3, longest=5.0)
        narrowed, self.form = self.form, None
        return narrowed or view

    def _answer(self, answers: dict[str, str], key: str, label: str, prompt: str) -> str | None:
        for name in (key, label):
            if squash(name) in answers:
                value = answers[squash(name)]
                self.say(f"{prompt}{value}")
                return value
        if answers:  # answered inline: whatever was left out keeps its default
            self.say(prompt)
            return ""
        value = self.read_line(prompt)
        if value is not None and not self.live:
            self.say(f"{prompt}{value}")
        if value is not None and value.strip().lower() == "cancel":
            return None
        return value

    def _cancelled(self) -> None:
        self.say("└ (cancelled)")

    def _channel_id(self, text: str) -> str:
        name = text.strip().lstrip("#")
        for cid, known in self.names.items():
            if known == name:
                return cid
        cid = "C0" + re.sub(r"[^A-Z0-9]", "", name.upper())[:10]
        self.names[cid] = name
        return cid

    def wait_idle(self, timeout: float = 300.0) -> None:
        """Wait until every run has finished and its result reached the thread."""
        store = self.stack.bot.store if self.stack.bot else None
        deadline = time.monotonic() + timeout
        while store is not None and time.monotonic() < deadline:
            owed = store.count_runs("notified_at IS NULL AND notify_error IS NULL")
            if owed == 0:
                break
            if not self.live:
                self.drain()
            time.sleep(0.1)
        self.settle()


def _parse_answers(text: str) -> dict[str, str]:
    answers = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            answers[squash(key)] = value.strip()
    return answers


def _choose(text: str, options: list[dict]) -> str | None:
    """One radio option's value by number or by the start of its words; None = default."""
    text = text.strip().casefold()
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]["value"]
    for option in options:
        if text and (
            option["text"]["text"].casefold().startswith(text) or option["value"] == text
        ):
            return option["value"]
    return None


def _pick(text: str, options: list[dict]) -> list[dict]:
    if not text.strip():
        return options
    chosen = []
    for token in re.split(r"[,\s]+", text.strip()):
        if token.isdigit() and 1 <= int(token) <= len(options):
            chosen.append(options[int(token) - 1])
        else:
            chosen += [
                o
                for o in options
                if squash(o["text"]["text"]) == squash(token) or o["value"] == token
            ]
    return chosen


def run_shell(
    db_path: str | None = None,
    script: str | None = None,
    user: str = "ana",
    channel: str = "sales",
    out: TextIO = sys.stdout,
) -> int:
    lines: list[str] | None = None
    if script == "-" or (script is None and not sys.stdin.isatty()):
        lines = sys.stdin.read().splitlines()
    elif script:
        with open(script, encoding="utf-8") as f:
            lines = f.read().splitlines()

    if lines is None:
        try:
            import readline  # noqa: F401 - line editing and history for input()
        except ImportError:
            pass

    def read_line(prompt: str) -> str | None:
        if lines is not None:
            return lines.pop(0) if lines else None
        try:
            return input(prompt)
        except EOFError:
            return None

    real_key = os.environ.get("BITSCALE_API_KEY")
    if real_key:
        url = os.environ.get("BITSCALE_API_URL", "https://api.bitscale.ai/api/v1")
        print(
            f"Using the BitScale API at {url} with your BITSCALE_API_KEY: runs spend real "
            "credits and add real rows.",
            file=out,
        )
        stack = LocalStack(db_path, bitscale_url=url, bitscale_key=real_key)
    else:
        stack = LocalStack(db_path)
    with stack:
        Shell(stack, out, read_line, user=user, channel=channel, live=lines is None).run()
    return 0
