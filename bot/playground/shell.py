"""`bitscale-bot shell`: the whole bot in a terminal, Slack played by a stand-in.

What you type goes to the real Bolt app as signed Slack requests; what the bot posts is
printed as text; modals become prompts; buttons are pressed by typing their label.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TextIO

from bot.playground import shell_extras as extras
from bot.playground.buttons import ButtonBoard
from bot.playground.render import Button, blocks_to_lines
from bot.playground.shell_form import ANSWERS, FormFiller, parse_answers
from bot.playground.shell_views import fill_view
from bot.playground.slack_driver import form_values
from bot.playground.slack_standin import BOT_USER
from bot.playground.stack import LocalStack

ALERT_CHANNEL = ("C0CREDITALERT", "credit-alerts")
SHELL_HELP = """\
Type what you would type in Slack, for example:
  /bitscale grids                       list grids (press [Next ▶] by typing: next)
  /bitscale run Company Enrichment      opens the run form; you'll be asked for each input
  /bitscale runs                        your recent runs; status 1 shows the first one's status
  /bitscale credits                     the workspace's credits
  /bitscale score https://acme.example  a page's GEO scores from Bittlebits (simulated)
  /bitscale rewrite https://acme.example  Bittlebits' rewrite suggestions for the page
Press a button by typing its label, or its start (run 2, next, previous, run again): the
newest message's buttons come first. In a form, (required) marks what must be filled in;
Enter keeps a [pre-filled] value; type cancel to drop the form.
More of Slack:
  shortcut                the ⚡ Run a BitScale grid shortcut (pick a grid, then the form)
  enrich <message text>   post a message, then use Enrich with BitScale on it
  @BitScale <text>        mention the bot (help, or a quick run of the channel's default)
  home                    open the app's Home tab
  low-credits [N]         make the demo workspace's credits drop to N (an alert follows)
  workflow <grid> :: k=v  a workflow reaching the step Run a BitScale grid
  /bitscale batch <grid>  a CSV batch: the form asks for a file path on this computer
  /invite @BitScale       invite the bot to the channel
Other words:
  wait    wait until every run has posted its result
  help    this text
  quit    leave (Ctrl-D or Ctrl-C work too)
In scripts, answer a form inline:
  /bitscale run Person Lookup :: full_name=Ada; company_domain=ex.com
"""


def user_id(name: str) -> str:
    """The pretend Slack user id of the person typing."""
    return "U0" + re.sub(r"[^A-Z0-9]", "", name.upper())[:10]


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
        self.user_id = user_id(user)
        self.channel_id = "C0" + re.sub(r"[^A-Z0-9]", "", channel.upper())[:10]
        self.names = {
            self.user_id: user,
            self.channel_id: channel,
            BOT_USER: "BitScale",
            "D" + self.user_id[1:]: "DM",
            ALERT_CHANNEL[0]: ALERT_CHANNEL[1],
        }
        driver = stack.driver
        assert driver is not None
        self.driver = driver
        driver.user.update(id=self.user_id, username=user, name=user)
        driver.channel.update(id=self.channel_id, name=channel)
        self.board = ButtonBoard()
        self.pressed: Hashable | None = None  # the message whose button was pressed last
        self._ephemeral = itertools.count(1)
        self.last_ephemeral: Hashable | None = None
        self.prompt = f"#{channel} > "
        self.waiting_for_input = False
        self.form: dict | None = None  # the run form waiting to be filled in
        self.picker: dict | None = None  # a grid picker (shortcuts) waiting for a grid
        self.loading = False  # the newest modal says "⏳ Loading…"
        self.other_form: dict | None = None  # any other modal waiting to be filled in
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
            self._show(kind, item, meanwhile=self.waiting_for_input)

    def drain(self) -> None:
        while True:
            try:
                kind, item = self.events.get_nowait()
            except queue.Empty:
                return
            self._show(kind, item)

    def settle(self, quiet: float = 0.4, longest: float = 10.0, expect: bool = False) -> None:
        """Wait until the bot has been quiet for a moment (it answers asynchronously);
        with `expect`, until it has said something first (a slow answer is still shown
        under the command that asked for it)."""
        start = time.monotonic()
        time.sleep(0.05)
        while time.monotonic() - start < longest:
            heard = not expect or self.last_event > start
            if heard and self.events.empty() and time.monotonic() - self.last_event >= quiet:
                break
            if not self.live:
                self.drain()
            time.sleep(0.05)
        if not self.live:
            self.drain()

    def lines(
        self,
        blocks: list[dict],
        text: str,
        key: Hashable,
        message: Any = None,
        view: dict | None = None,
    ) -> list[str]:
        """Render blocks; their buttons replace whatever `key`'s message showed before."""
        found: list[Button] = []
        lines = blocks_to_lines(blocks, self.names, found, message, view) or [text]
        self.board.show(key, found)
        return lines

    def _show(self, kind: str, item: Any, meanwhile: bool = False) -> None:
        say = self.say_meanwhile if meanwhile else self.say
        if kind in ("message", "ephemeral"):
            key = ("msg", item.channel, item.ts)
            where = self._where(item.channel)
            if item.thread_ts:
                head, indent = f"    ↳ BitScale, {self._thread_of(item)}:", "      "
            elif kind == "ephemeral":
                head, indent = f"{where} · BitScale (only you can see this):", "  "
            else:
                head, indent = f"{where} · BitScale:", "  "
            body = self.lines(item.blocks, item.text, key, message=item)
            say("\n".join([head, *[indent + line for line in body]]))
        elif kind == "update":
            key = ("msg", item.channel, item.ts)
            first = self.lines(item.blocks, item.text, key, message=item)[0]
            say(f"{self._where(item.channel)} · (BitScale updated its message) {first}")
        elif kind == "response":
            self.show_ephemeral(item, replaces=bool(item.get("replace_original")))
        elif kind == "file":
            size = len(item.get("content") or b"")
            say(f"      📎 {item.get('filename')} attached ({size:,} bytes)")
        elif kind == "view":
            self._show_view(item)
        elif kind == "home":
            body = self.lines(item.get("blocks", []), "", ("home",), view=item)
            say("\n".join(["┌ BitScale · Home", *["│ " + line for line in body], "└"]))

    def _thread_of(self, message: Any) -> str:
        """Which run's thread a reply is in, so two runs in flight never look alike."""
        where = self._where(message.channel)
        parent = self.stack.standin.message(message.channel, message.thread_ts)
        if parent is None or not parent.blocks:
            return f"in the thread in {where}"
        headline = blocks_to_lines(parent.blocks[:1], self.names)
        ref = re.search(r"Ref `([0-9A-F]{6})`", json.dumps(parent.blocks))
        what = headline[0] if headline else parent.text
        what = what if len(what) <= 70 else what[:69] + "…"
        return f"in the thread of “{what}”{f' (Ref {ref.group(1)})' if ref else ''} in {where}"

    def show_ephemeral(self, payload: dict, replaces: bool = False) -> None:
        if not payload.get("blocks") and not payload.get("text"):
            return
        key: Hashable = ("eph", next(self._ephemeral))
        head = "BitScale (only you can see this):"
        if replaces:
            # The message the pressed button was on, else the newest one, is replaced.
            pressed = self.pressed if isinstance(self.pressed, tuple) else None
            key = pressed if pressed and pressed[0] == "eph" else (self.last_ephemeral or key)
            head = "BitScale (only you can see this; it replaced its message):"
        self.last_ephemeral = key
        body = self.lines(payload.get("blocks") or [], payload.get("text") or "", key)
        self.say("\n".join([head, *["  " + b for b in body]]))

    def _show_view(self, view: dict) -> None:
        title = view.get("title", {}).get("text", "")
        key = ("view", view.get("id"))
        # "⏳ Loading…" is replaced by the form when BitScale answers: wait for it.
        self.loading = "⏳ Lo" in json.dumps(view.get("blocks", [])[:1], ensure_ascii=False)
        if view.get("callback_id") == "run_view":
            self.form, self.picker = view, None
            self.board.forget(key)
            intro = blocks_to_lines(view.get("blocks", [])[:1], self.names)
            self.say("\n".join([f"┌ {title}", *["│ " + line for line in intro]]))
            return
        if extras.grid_picker(view) is not None:
            self.picker = view
        elif view.get("submit"):
            self.other_form = view  # the batch forms, the admin forms: asked as prompts
        body = self.lines(view.get("blocks", []), "", key, view=view)
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
            try:
                self.handle(line)
            except KeyboardInterrupt:
                self.say("(stopped; type quit to leave)")
        if not self.live:
            self.wait_idle()

    def handle(self, line: str) -> None:
        word = line.split(maxsplit=1)[0].lower()
        if word == "help":
            self.say(SHELL_HELP)
            return
        if word == "wait":
            self.wait_idle()
            return
        line, _, inline = line.partition(ANSWERS)
        answers = parse_answers(inline)
        asked_bot = True
        if line.startswith("/"):
            asked_bot = self._slash(line)
        elif not extras.handle(self, line, answers) and not self.press(line):
            newest = " ".join(f"[{label}]" for label in self.board.newest())
            hint = f" The newest buttons: {newest}." if newest else ""
            self.say(f"I don't see a button called “{line}”.{hint} Type help for help.")
            return
        self.settle(expect=asked_bot)
        deadline = time.monotonic() + 20
        while self.loading and self.form is None and time.monotonic() < deadline:
            self.settle(longest=1.0)
        if self.picker is not None and self.form is None:
            picker, self.picker = self.picker, None
            extras.pick_grid(self, picker, answers)
        if self.form is not None:
            view, self.form = self.form, None
            FormFiller(self, answers).fill(view)
        for _ in range(5):  # a form may lead to the next (upload → columns → preview)
            if self.other_form is None:
                break
            view, self.other_form = self.other_form, None
            fill_view(self, view, answers)
            self.settle(expect=True, longest=15.0)

    def _slash(self, line: str) -> bool:
        """Send a slash command; False when it was Slack's own, not the bot's."""
        command, _, text = line.partition(" ")
        self.form = None
        if command != "/bitscale":
            extras.other_command(self, command, text)
            return False
        answer, _, _ = self.driver.command(text, command=command)
        if answer.status_code != 200:
            self.say(f"(the bot answered HTTP {answer.status_code})")
        elif answer.text.strip():
            self.show_ephemeral(json.loads(answer.text))
            return False  # answered in the ack itself
        return True

    def press(self, label: str) -> bool:
        button = self.board.find(label.strip("[] "))
        if button is None:
            return False
        self.form = None
        self.pressed = self.board.key_of(button)
        self.driver.click(button.action, message=button.message, view=button.view)
        return True

    def narrow(self, view: dict, outputs: list[str]) -> dict:
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
        self.settle(quiet=0.3, longest=4.0, expect=True)
        narrowed, self.form = self.form, None
        return narrowed or view

    def channel_id(self, text: str) -> str:
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
            owed = store.count_runs(
                "notified_at IS NULL AND notify_error IS NULL AND COALESCE(quiet, 0) = 0"
            )
            if owed == 0:
                break
            if not self.live:
                self.drain()
            time.sleep(0.1)
        self.settle()


def run_shell(
    db_path: str | None = None,
    script: str | None = None,
    user: str = "ana",
    channel: str = "sales",
    out: TextIO = sys.stdout,
    quiet_after: bool = False,
) -> int:
    """`quiet_after`: leave logging off on return (the process is about to end, and its
    last threads would log connection errors that mean nothing to the person)."""
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
        except KeyboardInterrupt:  # Ctrl-C at the prompt: leave quietly
            print(file=out)
            return None

    # The person at the shell is the bot's admin too, so /bitscale admin can be tried.
    admin = {"BITSCALE_BOT_ADMINS": os.environ.get("BITSCALE_BOT_ADMINS") or user_id(user)}
    pages = True  # Bittlebits: the simulator, unless a real key is in the environment
    if os.environ.get("BITTLEBITS_API_KEY"):
        page_url = os.environ.get("BITTLEBITS_API_URL", "https://bittlebits.ai/api")
        print(f"Using Bittlebits at {page_url} with your BITTLEBITS_API_KEY.", file=out)
        pages = False
        admin["BITTLEBITS_API_KEY"] = os.environ["BITTLEBITS_API_KEY"]
        admin["BITTLEBITS_API_URL"] = page_url
    real_key = os.environ.get("BITSCALE_API_KEY")
    if real_key:
        url = os.environ.get("BITSCALE_API_URL", "https://api.bitscale.ai/api/v1")
        print(
            f"Using the BitScale API at {url} with your BITSCALE_API_KEY: runs spend real "
            "credits and add real rows.",
            file=out,
        )
        stack = LocalStack(
            db_path,
            bitscale_url=url,
            bitscale_key=real_key,
            credit_channel=ALERT_CHANNEL[0],
            settings=admin,
            bittlebits=pages,
        )
    else:
        stack = LocalStack(
            db_path, credit_channel=ALERT_CHANNEL[0], settings=admin, bittlebits=pages
        )
    try:
        with stack:
            shell = Shell(stack, out, read_line, user=user, channel=channel, live=lines is None)
            try:
                shell.run()
            except KeyboardInterrupt:
                print(file=out)
            # Whatever is still in flight when the stand-ins stop would log connection
            # errors that mean nothing to someone leaving the shell.
            logging.disable(logging.CRITICAL)
    except KeyboardInterrupt:
        pass
    finally:
        if not quiet_after:
            logging.disable(logging.NOTSET)
    return 0
