"""The shell's session: what the person types becomes signed Slack requests to the real
Bolt app (slash commands, button presses, forms filled in from prompts)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import TextIO

from bot.playground.rigs.stack import LocalStack
from bot.playground.shell import extras
from bot.playground.shell.form import ANSWERS, FormFiller, Quit, parse_answers
from bot.playground.shell.help import SHELL_HELP
from bot.playground.shell.output import ShellOutput, form_note
from bot.playground.shell.render import name_of
from bot.playground.shell.views import fill_view
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import BOT_USER
from bot.slack.text import plural
from bot.store.database import Store

ALERT_CHANNEL = ("C0CREDITALERT", "credit-alerts")


def user_id(name: str) -> str:
    """The pretend Slack user id of the person typing."""
    return "U0" + re.sub(r"[^A-Z0-9]", "", name.upper())[:10]


class Shell(ShellOutput):
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
        self.prompt = f"#{channel} > "
        self.form: dict | None = None
        self.picker: dict | None = None
        self.other_form: dict | None = None
        self.warned_quit = False
        self._start_output()

    # --- input --------------------------------------------------------------------------

    def run(self) -> None:
        self.say(
            f"bitscale-bot shell — you are @{self.names[self.user_id]} in "
            f"#{self.names[self.channel_id]}, {self._admin_word()}. "
            "Type help for help, quit to leave."
        )
        while True:
            line = self.read_line(self.prompt)
            if line is None:  # Ctrl-D or Ctrl-C at the prompt: as quit
                if not self.live or self._may_leave():
                    break
                continue
            line = line.strip()
            if not line or line.startswith("#!"):
                continue
            if not self.live:
                self.say(f"#{self.names[self.channel_id]} > {line}")
            if line.lower() in ("quit", "exit"):
                if self._may_leave():
                    break
                continue
            try:
                self.handle(line)
            except Quit:  # typed in a form: leave the form and the shell
                break
            except KeyboardInterrupt:
                self.say("(stopped; type quit to leave)")
        if not self.live:
            self.wait_idle()

    def _admin_word(self) -> str:
        admins = self.stack.settings.admin_ids
        if self.user_id in admins:
            return "an admin of the bot (BITSCALE_BOT_ADMINS)"
        named = ", ".join("@" + name_of(a, self.names) for a in admins[:5]) or "nobody"
        return f"not an admin (the admins: {named}; --user picks who you are)"

    def _may_leave(self) -> bool:
        """Quitting with work in flight: say where its results will go; without --db
        they would be lost, so ask for a second quit (a script waits for them anyway)."""
        store = self.stack.bot.store if self.stack.bot else None
        owed = owed_to_slack(store) if store is not None and self.live else ""
        if not owed or self.warned_quit:
            return True
        self.warned_quit = True
        if self.stack.keeps_state:
            self.say(
                f"({owed} still under way: the results are posted when you start the shell "
                "again with the same --db. Type wait to see them now.)"
            )
            return True
        self.say(
            f"({owed} still under way, and this session keeps nothing (no --db): leaving "
            "loses the results. Type wait to see them, or quit again to leave anyway.)"
        )
        return False

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
        sent = time.monotonic()  # the bot may answer before the shell starts listening
        if line.startswith("/"):
            asked_bot = self._slash(line)
        elif not extras.handle(self, line, answers) and not self.press(line):
            if not self.board.looks_like_a_label(line):
                if extras.post_message(self, line):  # a link: its preview comes
                    self.settle(expect=True, longest=5.0, since=sent)
                return
            newest = " ".join(f"[{label}]" for label in self.board.newest())
            hint = f" The newest buttons: {newest}." if newest else ""
            self.say(f"I don't see a button called “{line}”.{hint} Type help for help.")
            return
        self.settle(expect=asked_bot, since=sent)
        self._wait_while_loading()
        if self.picker is not None and self.form is None:
            picker, self.picker = self.picker, None
            extras.pick_grid(self, picker, answers)
        if self.form is not None:
            view, self.form = self.form, None
            FormFiller(self, answers).fill(view)
        for _ in range(8):  # a form may lead to the next (upload → columns → preview)
            self._wait_while_loading()
            if self.other_form is None:
                break
            view, self.other_form = self.other_form, None
            sent = time.monotonic()
            fill_view(self, view, answers)
            self.settle(expect=True, longest=15.0, since=sent)

    def _wait_while_loading(self, longest: float = 20.0) -> None:
        """A modal that says "⏳ Loading…" is replaced by the real one in a moment."""
        deadline = time.monotonic() + longest
        while (
            self.loading
            and self.form is None
            and self.other_form is None
            and time.monotonic() < deadline
        ):
            self.settle(longest=1.0)

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
        if button.url:  # a button in the app's preview of a link
            self.driver.click_in_preview(button.message, button.url, button.action)
            return True
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
        sent = time.monotonic()
        self.driver.click(
            {
                "action_id": groups[0]["element"]["action_id"],
                "block_id": groups[0]["block_id"],
                "type": "checkboxes",
            },
            view={**view, "state": {"values": values}},
        )
        self.settle(quiet=0.3, longest=4.0, expect=True, since=sent)
        # "⏳ Checking which inputs…": the form comes when BitScale has answered.
        deadline = time.monotonic() + 30.0
        while self.form and form_note(self.form).startswith("⏳"):
            if time.monotonic() > deadline:
                self.form = None
                break
            self.settle(quiet=0.1, longest=1.0)
        narrowed, self.form = self.form, None
        return narrowed or view

    def channel_named(self, text: str) -> str:
        """The id of the channel typed as `#name` (a new pretend channel if unknown)."""
        name = text.strip().lstrip("#")
        for cid, known in self.names.items():
            if known == name:
                return cid
        cid = "C0" + re.sub(r"[^A-Z0-9]", "", name.upper())[:10]
        self.names[cid] = name
        return cid

    def wait_idle(self, timeout: float = 300.0) -> None:
        """Wait until every run has posted its result and every batch has finished. Batch
        rows are reported by their batch, never one by one, so they are not waited for;
        a paused batch waits for a person, so neither is it."""
        store = self.stack.bot.store if self.stack.bot else None
        deadline = time.monotonic() + timeout
        owed = ""
        while store is not None and time.monotonic() < deadline:
            owed = owed_to_slack(store)
            if not owed:
                break
            if not self.live:
                self.drain()
            time.sleep(0.1)
        self.settle()
        if owed:
            self.say(f"(Stopped waiting after {timeout:g} s: {owed} still under way.)")


def owed_to_slack(store: Store) -> str:
    """What the bot still owes the channel: '2 runs, 1 batch'; '' when nothing."""
    runs = store.count_runs(
        "notified_at IS NULL AND notify_error IS NULL AND COALESCE(quiet, 0) = 0"
        " AND batch_id IS NULL"
    )
    batches = int(
        store.sql.scalar(
            "SELECT COUNT(*) AS n FROM batches WHERE state IN ('preparing', 'running') OR "
            "(state IN ('done', 'cancelled') AND reply_posted_at IS NULL)"
        )
    )
    parts = [plural(runs, "run"), plural(batches, "batch", "batches")]
    return ", ".join(part for part, count in zip(parts, (runs, batches), strict=True) if count)
