"""The run form as prompts: outputs first (fewer outputs may need fewer inputs), then the
inputs (required ones marked, an empty one asked again), then where the result goes."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from bot.playground.slack_driver import form_values
from bot.slack.text import squash

if TYPE_CHECKING:
    from bot.playground.shell_session import Shell

ANSWERS = " :: "
CANCEL = "cancel"


class Cancelled(Exception):
    """The person typed cancel (or the input ended)."""


class FormFiller:
    def __init__(self, shell: Shell, answers: dict[str, str]) -> None:
        self.shell = shell
        self.answers = answers  # given inline (`… :: key=value; …`): no questions asked

    def fill(self, view: dict) -> None:
        try:
            self._fill(view)
        except Cancelled:
            self.shell.say("└ (cancelled)")

    def _fill(self, view: dict) -> None:
        outputs = self._ask_outputs(view)
        if outputs is not None:
            view = self.shell.narrow(view, outputs)
        inputs: dict[str, str] = {}
        channel: str | None = None
        deliver: str | None = None
        for block in _inputs(view):
            element, label = block["element"], block["label"]["text"]
            if element["type"] == "plain_text_input":
                inputs[label] = self._ask_text(block)
            elif element["type"] == "radio_buttons":
                options = element["options"]
                listing = "  ".join(f"{i}) {o['text']['text']}" for i, o in enumerate(options, 1))
                self.shell.say(f"│ {label}: {listing}")
                deliver = _choose(self._answer("to", label, "│   which? (Enter = 1): "), options)
            elif element["type"] == "conversations_select":
                # Slack fills this picker with the conversation the shortcut was used in.
                here = self.shell.names[self.shell.channel_id]
                value = self._answer(
                    "post_in", label, f"│ Post the result in (#channel, Enter = #{here}, dm): "
                ).strip()
                if value.lower() in ("dm", "-", "none"):
                    channel = None
                else:
                    channel = self.shell.channel_id(value) if value else self.shell.channel_id

        while True:
            self.shell.say("└ [Run]")
            answer = self.shell.driver.submit(
                view, form_values(view, inputs, outputs, channel, deliver)
            )
            errors = json.loads(answer.text).get("errors", {}) if answer.text.strip() else {}
            if not errors:
                break
            # Slack keeps the form open with the errors under their fields: ask again for
            # those fields only, keeping every other answer.
            for block in _inputs(view):
                message = errors.get(block.get("block_id"))
                if message is None:
                    continue
                self.shell.say(f"  ⚠️ {message}")
                if self.answers or block["element"]["type"] != "plain_text_input":
                    self.shell.say("  The form was not sent; run the command again to fix it.")
                    return
                inputs[block["label"]["text"]] = self._ask_text(block, again=True)
        self.shell.settle()

    def _ask_text(self, block: dict, again: bool = False) -> str:
        """One text input; a required one left empty (with nothing pre-filled) is asked
        again, so one empty field never throws the other answers away."""
        element, label = block["element"], block["label"]["text"]
        default = element.get("initial_value") or ""
        required = not block.get("optional")
        mark = " (required)" if required else ""
        prompt = f"│ {label}{mark}{f' [{default}]' if default else ''}: "
        while True:
            value = (self._answer(label, label, prompt) if not again else self._read(prompt)) or ""
            value = value.strip() or default
            if value or not required or self.answers:
                return value
            self.shell.say(f"│   {label} is required (type cancel to stop).")
            again = True

    def _ask_outputs(self, view: dict) -> list[str] | None:
        """The chosen output ids; None for all of them."""
        options = [
            o
            for b in _inputs(view)
            if b["element"]["type"] == "checkboxes"
            for o in b["element"]["options"]
        ]
        if not options:
            return None
        listing = ", ".join(f"{i}) {o['text']['text']}" for i, o in enumerate(options, 1))
        self.shell.say(f"│ Outputs: {listing}")
        prompt = "│   keep which? (Enter = all, or e.g. 1,3): "
        value = self._answer("outputs", "Outputs", prompt)
        picked = [o["value"] for o in _pick(value, options)]
        while not picked and not self.answers:
            self.shell.say("│   Pick at least one output, by number or name (type cancel to stop).")
            picked = [o["value"] for o in _pick(self._read(prompt), options)]
        return None if len(picked) == len(options) else picked

    def _answer(self, key: str, label: str, prompt: str) -> str:
        for name in (key, label):
            if squash(name) in self.answers:
                value = self.answers[squash(name)]
                self.shell.say(f"{prompt}{value}")
                return value
        if self.answers:  # answered inline: whatever was left out keeps its default
            self.shell.say(prompt)
            return ""
        return self._read(prompt)

    def _read(self, prompt: str) -> str:
        value = self.shell.read_line(prompt)
        if value is None or value.strip().lower() == CANCEL:
            raise Cancelled
        if not self.shell.live:
            self.shell.say(f"{prompt}{value}")
        return value


def _inputs(view: dict) -> list[dict]:
    return [b for b in view.get("blocks", []) if b.get("type") == "input"]


def parse_answers(text: str) -> dict[str, str]:
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
