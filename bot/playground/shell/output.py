"""What the shell prints: the bot's messages, updates, ephemeral answers, files, modals and
the Home tab as text, each with its buttons on the board (pressed by typing a label)."""

from __future__ import annotations

import itertools
import json
import queue
import re
import threading
import time
from collections.abc import Hashable
from typing import Any, TextIO

from bot.playground.rigs.stack import LocalStack
from bot.playground.shell import extras
from bot.playground.shell.attachments import files_folder, save_attachment
from bot.playground.shell.buttons import ButtonBoard
from bot.playground.shell.render import Button, blocks_to_lines, mrkdwn
from bot.slack.form_outputs import NOTE_BLOCK


class ShellOutput:
    """The printing half of the shell; `Shell` adds the typing half."""

    stack: LocalStack
    out: TextIO
    live: bool  # interactive: print bot messages the moment they arrive
    names: dict[str, str]  # Slack ids → the names the person knows them by
    prompt: str
    form: dict | None  # the run form waiting to be filled in
    picker: dict | None  # a grid picker (shortcuts) waiting for a grid
    other_form: dict | None  # any other modal waiting to be filled in

    def _start_output(self) -> None:
        self.board = ButtonBoard()
        self.pressed: Hashable | None = None  # the message whose button was pressed last
        self._ephemeral = itertools.count(1)
        self.last_ephemeral: Hashable | None = None
        self.loading = False  # the newest modal says "⏳ Loading…"
        self.home_asked = False  # `home` was typed: print the Home tab when it comes
        self.events: queue.Queue = queue.Queue()
        self.last_event = time.monotonic()
        self.lock = threading.Lock()
        self.stack.standin.on_event(self._on_event)
        if self.live:
            threading.Thread(target=self._print_forever, daemon=True).start()

    def say(self, text: str = "") -> None:
        with self.lock:
            print(text, file=self.out, flush=True)

    def _on_event(self, kind: str, item: Any) -> None:
        self.last_event = time.monotonic()
        self.events.put((kind, item))

    def _print_forever(self) -> None:
        while True:
            kind, item = self.events.get()
            self._show(kind, item)  # at a terminal, printed above the prompt

    def drain(self) -> None:
        while True:
            try:
                kind, item = self.events.get_nowait()
            except queue.Empty:
                return
            self._show(kind, item)

    def settle(
        self,
        quiet: float = 0.4,
        longest: float = 10.0,
        expect: bool = False,
        since: float | None = None,
    ) -> None:
        """Wait until the bot has been quiet for a moment (it answers asynchronously);
        with `expect`, until it has said something first (a slow answer is still shown
        under the command that asked for it). `since`: when the request was sent (an
        answer may come before this call)."""
        start = time.monotonic()
        asked = start if since is None else since
        time.sleep(0.05)
        while time.monotonic() - start < longest:
            heard = not expect or self.last_event > asked
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
        earlier = self.board.buttons_of(key)  # a redrawn message keeps its numbers
        lines = blocks_to_lines(blocks, self.names, found, message, view, earlier)
        lines = lines or mrkdwn(text, self.names).splitlines() or [""]  # a text-only message
        self.board.show(key, found)
        return lines

    def _show(self, kind: str, item: Any) -> None:
        say = self.say
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
            content = item.get("content") or b""
            try:
                folder = files_folder(self.stack.db_path)
                path = save_attachment(folder, item.get("filename"), content)
                where = f", saved as {path}"
            except OSError as exc:
                where = f"; it could not be saved ({exc.strerror or exc})"
            say(f"      📎 {item.get('filename')} attached ({len(content):,} bytes){where}")
        elif kind == "unfurl":
            self._show_previews(*item)
        elif kind == "view":
            self.show_view(item)
        elif kind == "home":
            # Printed when asked for (home); a later refresh is one line, and its buttons
            # stay where they were instead of becoming the newest.
            asked, self.home_asked = self.home_asked, False
            found: list[Button] = []
            earlier = self.board.buttons_of(("home",))
            body = blocks_to_lines(item.get("blocks", []), self.names, found, None, item, earlier)
            self.board.show(("home",), found, newest=asked)
            if asked:
                say("\n".join(["┌ BitScale · Home", *["│ " + line for line in body], "└"]))
            else:
                say("(BitScale updated the Home tab; type home to see it.)")

    def _show_previews(self, channel: str, ts: str, previews: dict[str, dict]) -> None:
        """The app's previews of links in a message (chat.unfurl), with their buttons."""
        message = self.stack.standin.message(channel, ts)
        for url, preview in previews.items():
            key = ("unfurl", channel, ts, url)
            body = self.lines(preview.get("blocks") or [], preview.get("text") or url, key, message)
            for button in self.board.buttons_of(key):
                button.url = url
            head = f"{self._where(channel)} · BitScale's preview of {url}:"
            self.say("\n".join([head, *["  " + line for line in body]]))

    def _thread_of(self, message: Any) -> str:
        """Which run's thread a reply is in, so two runs in flight never look alike."""
        where = self._where(message.channel)
        parent = self.stack.standin.message(message.channel, message.thread_ts)
        if parent is None or not (parent.blocks or parent.text):
            return f"in the thread in {where}"
        # a person's message (a 🔎 on it) has text only
        headline = blocks_to_lines(parent.blocks[:1], self.names) or [
            mrkdwn(parent.text, self.names).replace("\n", " ")
        ]
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

    def show_view(self, view: dict) -> None:
        self.last_event = time.monotonic()  # also a view the bot answered a submission with
        title = view.get("title", {}).get("text", "")
        key = ("view", view.get("id"))
        # "⏳ Loading…" is replaced by the form when BitScale answers: wait for it.
        self.loading = "⏳ Lo" in json.dumps(view.get("blocks", [])[:1], ensure_ascii=False)
        if view.get("callback_id") == "run_view":
            self.form, self.picker = view, None
            self.board.forget(key)
            note = form_note(view)
            if note:  # the form says it is checking, or could not check, its inputs
                self.say(f"│ {note}")
                return
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


def form_note(view: dict) -> str:
    """The run form's note under its outputs ("⏳ Checking which inputs…"), or ""."""
    for block in view.get("blocks") or []:
        if block.get("block_id") == NOTE_BLOCK:
            return " ".join(e.get("text", "") for e in block.get("elements") or [])
    return ""
