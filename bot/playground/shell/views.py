"""Any other modal as prompts (the batch upload and column forms, the admin forms): one
question per input, Enter keeps what is pre-filled, then Submit as Slack would."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.playground.shell.context import ShellContext
from bot.playground.shell.form import Cancelled, FormFiller, Quit, _pick
from bot.slack.text import squash


def fill_view(shell: ShellContext, view: dict, answers: dict[str, str]) -> None:
    """Ask for each input of `view` and submit it; errors ask again for their fields."""
    asker = FormFiller(shell, answers)
    values: dict[str, dict[str, Any]] = {}
    try:
        if not _inputs(view) and not answers:  # a confirmation: press its button or not
            submit = (view.get("submit") or {}).get("text", "Submit")
            asker._read(f"│ [{submit}]? (Enter presses it, cancel closes the form): ")
        for block in _inputs(view):
            values[block["block_id"]] = {
                block["element"]["action_id"]: _ask(shell, asker, block)
            }
        while True:
            submit = (view.get("submit") or {}).get("text", "Submit")
            shell.say(f"└ [{submit}]")
            answer = shell.driver.submit(view, values)
            errors = json.loads(answer.text).get("errors", {}) if answer.text.strip() else {}
            if not errors:
                return
            if answers:
                for message in errors.values():
                    shell.say(f"  ⚠️ {message}")
                shell.say("  The form was not sent.")
                return
            for block in _inputs(view):
                if block.get("block_id") in errors:
                    shell.say(f"  ⚠️ {errors[block['block_id']]}")
                    values[block["block_id"]] = {
                        block["element"]["action_id"]: _ask(shell, asker, block)
                    }
    except Cancelled as stop:
        shell.say("└ (cancelled)")
        if isinstance(stop, Quit):
            raise


def _inputs(view: dict) -> list[dict]:
    return [b for b in view.get("blocks", []) if b.get("type") == "input" and b.get("block_id")]


def _ask(shell: ShellContext, asker: FormFiller, block: dict) -> dict[str, Any]:
    element, label = block["element"], block["label"]["text"]
    kind = element["type"]
    mark = "" if block.get("optional") else " (required)"
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        default = element.get("initial_value") or ""
        shown = f" [{default}]" if default else ""
        value = asker._answer(label, label, f"│ {label}{mark}{shown}: ").strip() or default
        return {"type": kind, "value": value or None}
    if kind in ("static_select", "radio_buttons", "multi_static_select", "checkboxes"):
        options = element.get("options") or [
            o for g in element.get("option_groups", []) for o in g.get("options", [])
        ]
        many = kind in ("multi_static_select", "checkboxes")
        initial = element.get("initial_options" if many else "initial_option")
        listing = ", ".join(f"{i}) {o['text']['text']}" for i, o in enumerate(options, 1))
        shell.say(f"│ {label}{mark}: {listing}")
        hint = "Enter keeps the ticked ones" if many else "Enter keeps the choice"
        prompt = f"│   which? ({hint}, - for none): "
        value = asker._answer(label, label, prompt).strip()
        while value not in ("", "-") and _pick(value, options)[1] and not asker.answers:
            unknown = _pick(value, options)[1][0]
            shell.say(f"│   “{unknown}” is not one of them: pick by number or name.")
            value = asker._read(prompt).strip()
        if value == "-":
            picked: list[dict] = []
        elif not value:
            picked = (initial or []) if many else ([initial] if initial else [])
        else:
            picked = _pick(value, options)[0]
        if many:
            return {"type": kind, "selected_options": picked}
        return {"type": kind, "selected_option": picked[0] if picked else None}
    if kind == "file_input":
        path = asker._answer(label, label, f"│ {label}{mark} (path to a file on this computer): ")
        return {"type": kind, "files": _upload(shell, path.strip())}
    if kind in ("users_select", "multi_users_select"):
        names = asker._answer(label, label, f"│ {label}{mark} (@names, Enter = none): ")
        ids = [_person(shell, n) for n in re.split(r"[,\s]+", names) if n.strip("@ ")]
        if kind == "users_select":
            return {"type": kind, "selected_user": ids[0] if ids else None}
        return {"type": kind, "selected_users": ids}
    if kind in ("conversations_select", "channels_select"):
        field = "selected_conversation" if kind == "conversations_select" else "selected_channel"
        initial = element.get("initial_conversation") or element.get("initial_channel")
        if element.get("default_to_current_conversation"):
            initial = initial or shell.channel_id
        keep = f"#{shell.names.get(initial, initial)}" if initial else "none"
        name = asker._answer(label, label, f"│ {label}{mark} (#channel, Enter = {keep}): ")
        return {"type": kind, field: shell.channel_id(name) if name.strip() else initial}
    shell.say(f"│ {label}: (the shell cannot fill a {kind}; it is left as it is)")
    return {"type": kind}


def _upload(shell: ShellContext, path: str) -> list[dict]:
    if not path:
        return []
    file = Path(path).expanduser()
    if not file.is_file():
        shell.say(f"│   There is no file at {file}; nothing was attached.")
        return []
    return [shell.stack.standin.add_file(file.read_bytes(), file.name)]


def _person(shell: ShellContext, name: str) -> str:
    name = name.strip().lstrip("@")
    for uid, known in shell.names.items():
        if squash(known) == squash(name) and uid[:1] in "UW":
            return uid
    uid = "U0" + re.sub(r"[^A-Z0-9]", "", name.upper())[:10]
    shell.names[uid] = name
    return uid
