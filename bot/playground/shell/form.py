"""The run form as prompts: outputs first (fewer outputs may need fewer inputs), then the
inputs (required ones marked, an empty one asked again), then where the result goes."""

from __future__ import annotations

import json
import re

from bot.playground.shell.context import ShellContext
from bot.playground.slack.form_fill import form_values
from bot.slack.text import squash

ANSWERS = " :: "
CANCEL = "cancel"
QUIT = ("quit", "exit")


class Cancelled(Exception):
    """The person typed cancel (or the input ended)."""


class Quit(Cancelled):
    """The person typed quit in a form: they meant to leave the shell, not to answer."""


class FormFiller:
    def __init__(self, shell: ShellContext, answers: dict[str, str]) -> None:
        self.shell = shell
        self.answers = answers  # given inline (`… :: key=value; …`): no questions asked

    def fill(self, view: dict) -> None:
        try:
            self._fill(view)
        except Cancelled as stop:
            self.shell.say("└ (cancelled)")
            if isinstance(stop, Quit):
                raise

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
                deliver = self._ask_choice(element, label)
            elif element["type"] == "conversations_select":
                # Slack fills this picker with the conversation the shortcut was used in.
                here = self.shell.names[self.shell.channel_id]
                value = self._answer(
                    "post_in", label, f"│ Post the result in (#channel, Enter = #{here}, dm): "
                ).strip()
                if value.lower() in ("dm", "-", "none"):
                    channel = None
                else:
                    channel = self.shell.channel_named(value) if value else self.shell.channel_id

        while True:
            self.shell.say("└ [Run]")
            answer = self.shell.driver.submit(
                view, form_values(view, inputs, outputs, channel, deliver)
            )
            errors = read_answer(self.shell, answer.text, view)
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
        # Enter sends the form as it is: Edit and run again ticks the outputs used before.
        ticked = [
            str(i)
            for i, o in enumerate(options, 1)
            for b in _inputs(view)
            if b["element"]["type"] == "checkboxes"
            and o["value"] in [t["value"] for t in b["element"].get("initial_options") or []]
        ]
        keep = f"{','.join(ticked)} as ticked" if 0 < len(ticked) < len(options) else "all"
        prompt = f"│   keep which? (Enter = {keep}, or e.g. 1,3): "
        value = self._answer("outputs", "Outputs", prompt)
        while True:
            chosen, unknown = _pick(value, options)
            if unknown:
                problem = f"“{unknown[0]}” is not an output: pick by number or name"
            elif not chosen:
                problem = "Pick at least one output, by number or name"
            else:
                picked = [o["value"] for o in chosen]
                return None if len(picked) == len(options) else picked
            if self.answers:  # inline answers: never run something else than was asked
                self.shell.say(f"│   {problem}.")
                raise Cancelled
            # Anything else (a command typed too early) is asked again, never half-taken.
            self.shell.say(f"│   {problem} (type cancel to stop).")
            value = self._read(prompt)

    def _ask_choice(self, element: dict, label: str) -> str | None:
        """A radio choice by number or by words; Enter keeps the pre-chosen one. An
        answer that is none of them is asked again: "dm" must never mean the channel."""
        options = element["options"]
        initial = element.get("initial_option") or options[0]
        default = next((i for i, o in enumerate(options, 1) if o["value"] == initial["value"]), 1)
        listing = "  ".join(f"{i}) {o['text']['text']}" for i, o in enumerate(options, 1))
        self.shell.say(f"│ {label}: {listing}")
        prompt = f"│   which? (Enter = {default}): "
        value = self._answer("to", label, prompt)
        while True:
            if not value.strip():
                return None  # the pre-chosen option
            chosen = _choose(value, options)
            if chosen is not None:
                return chosen
            numbers = ", ".join(str(i) for i in range(1, len(options)))
            problem = (
                f"“{value.strip()}” is not one of the choices: type {numbers} or {len(options)}"
            )
            if self.answers:
                self.shell.say(f"│   {problem}.")
                raise Cancelled
            self.shell.say(f"│   {problem} (type cancel to stop).")
            value = self._read(prompt)

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
        if value.strip().lower() in QUIT:
            raise Quit
        if not self.shell.live:
            self.shell.say(f"{prompt}{value}")
        return value


def read_answer(shell: ShellContext, text: str, view: dict) -> dict[str, str]:
    """The bot's answer to a submission: the errors by block id; a view it answers with
    (Saved, a refusal, Loading…) replaces the form, as in Slack, and is shown."""
    try:
        answer = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    if answer.get("response_action") in ("update", "push") and answer.get("view"):
        shell.show_view({**answer["view"], "id": view.get("id")})
    return answer.get("errors") or {} if answer.get("response_action") == "errors" else {}


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
    """One radio option's value by number, by the start of its text or by one of its
    words ('me', 'channel'); None when the answer fits no option, or more than one."""
    text = text.strip().casefold()
    if text.isdigit():
        return options[int(text) - 1]["value"] if 1 <= int(text) <= len(options) else None
    words = text.split()
    fits = [
        o
        for o in options
        if o["value"] == text
        or o["text"]["text"].casefold().startswith(text)
        or (words and _has_words(o["text"]["text"], words))
    ]
    return fits[0]["value"] if len(fits) == 1 else None


def _has_words(label: str, words: list[str]) -> bool:
    """'only me' in 'Only me (a direct message …)': each typed word starts a word there."""
    theirs = re.findall(r"\w+", label.casefold())
    return all(any(w.startswith(word) for w in theirs) for word in words)


def _pick(text: str, options: list[dict]) -> tuple[list[dict], list[str]]:
    """The outputs named (numbers, or names separated by commas), and what named none."""
    if not text.strip():
        return options, []
    chosen: list[dict] = []
    unknown: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if re.fullmatch(r"[\d\s]+", part):  # '1,3' or '1 3'
            for number in map(int, part.split()):
                if 1 <= number <= len(options):
                    chosen.append(options[number - 1])
                else:
                    unknown.append(str(number))
            continue
        named = [
            o for o in options if squash(o["text"]["text"]) == squash(part) or o["value"] == part
        ]
        if not named:
            unknown.append(part)
        chosen += named
    return [o for o in options if o in chosen], unknown
