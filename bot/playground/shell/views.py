"""Any other modal as prompts (the batch upload and column forms, the admin forms): one
question per input, Enter keeps what is pre-filled, then Submit as Slack would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.playground.shell import pickers
from bot.playground.shell.context import ShellContext
from bot.playground.shell.form import Cancelled, FormFiller, Quit, read_answer

# Modals whose dispatching select was just chosen, with what was answered so far: the bot
# redraws the modal for the choice, and Slack keeps what was typed in the fields that are
# still there (same block id), so the shell goes on from there without asking again.
_DISPATCHED: dict[str, dict[str, dict[str, Any]]] = {}
FILLED = ("plain_text_input", "number_input", "email_text_input", "url_text_input")
CHOSEN = ("static_select", "radio_buttons", "multi_static_select", "checkboxes")
PICKED = ("datepicker", "external_select", "users_select", "multi_users_select")
PLACES = ("conversations_select", "channels_select")
MANY_PLACES = ("multi_conversations_select", "multi_channels_select")
FILLABLE = (*FILLED, *CHOSEN, *PICKED, *PLACES, *MANY_PLACES, "file_input")


def fill_view(shell: ShellContext, view: dict, answers: dict[str, str]) -> None:
    """Ask for each input of `view` and submit it; errors ask again for their fields."""
    asker = FormFiller(shell, answers)
    values: dict[str, dict[str, Any]] = {}
    answered = _DISPATCHED.pop(view.get("id") or "", {})
    try:
        if not _inputs(view) and not answers:  # a confirmation: press its button or not
            submit = (view.get("submit") or {}).get("text", "Submit")
            asker._read(f"│ [{submit}]? (Enter presses it, cancel closes the form): ")
        for block in _inputs(view):
            if block["block_id"] in answered:
                values[block["block_id"]] = answered[block["block_id"]]
                _say_kept(shell, block, values[block["block_id"]])
                continue
            value = _ask(shell, asker, block, view)
            values[block["block_id"]] = {block["element"]["action_id"]: value}
            if block.get("dispatch_action") and value.get("selected_option") and (
                value["selected_option"] != block["element"].get("initial_option")
            ):
                # Slack tells the bot at once, and the bot redraws the form for the choice.
                _DISPATCHED[view.get("id") or ""] = values
                action = {**value, "action_id": block["element"]["action_id"]}
                shell.driver.click({**action, "block_id": block["block_id"]}, view=view)
                return
        while True:
            submit = (view.get("submit") or {}).get("text", "Submit")
            shell.say(f"└ [{submit}]")
            answer = shell.driver.submit(view, values)
            errors = read_answer(shell, answer.text, view)
            if not errors:
                return
            if answers or _unfillable(view, errors):
                # Asking again would get the same answer: say so once and stop.
                for message in errors.values():
                    shell.say(f"  ⚠️ {message}")
                shell.say("  The form was not sent.")
                return
            for block in _inputs(view):
                if block.get("block_id") in errors:
                    shell.say(f"  ⚠️ {errors[block['block_id']]}")
                    values[block["block_id"]] = {
                        block["element"]["action_id"]: _ask(shell, asker, block, view)
                    }
    except Cancelled as stop:
        shell.say("└ (cancelled)")
        if isinstance(stop, Quit):
            raise


def _say_kept(shell: ShellContext, block: dict, value: dict[str, Any]) -> None:
    value = next(iter(value.values()), {})
    place = value.get("selected_conversation") or value.get("selected_channel")
    shown = (
        (value.get("selected_option") or {}).get("text", {}).get("text")
        or value.get("value")
        or value.get("selected_date")
        or (f"#{shell.names.get(place, place)}" if place else "")
        or "(empty)"
    )
    shell.say(f"│ {block['label']['text']}: {shown}")


def _unfillable(view: dict, errors: dict) -> bool:
    """Whether an error sits on a field the shell cannot fill (asking again would loop)."""
    kinds = {b["block_id"]: b["element"]["type"] for b in _inputs(view)}
    return any(kinds.get(block_id) not in FILLABLE for block_id in errors)


def _inputs(view: dict) -> list[dict]:
    return [b for b in view.get("blocks", []) if b.get("type") == "input" and b.get("block_id")]


def _ask(shell: ShellContext, asker: FormFiller, block: dict, view: dict) -> dict[str, Any]:
    element, label = block["element"], block["label"]["text"]
    kind = element["type"]
    mark = "" if block.get("optional") else " (required)"
    if kind in FILLED:
        default = element.get("initial_value") or ""
        empties = default and block.get("optional")  # as deleting the text in Slack
        shown = f" [{default}{'; - empties it' if empties else ''}]" if default else ""
        value = asker._answer(label, label, f"│ {label}{mark}{shown}: ").strip() or default
        if empties and value == "-":
            value = ""
        return {"type": kind, "value": value or None}
    if kind in CHOSEN:
        return pickers.ask_choice(asker, block, mark)
    if kind == "file_input":
        path = asker._answer(label, label, f"│ {label}{mark} (path to a file on this computer): ")
        return {"type": kind, "files": _upload(shell, path.strip())}
    if kind == "datepicker":
        return pickers.ask_date(asker, block, mark)
    if kind == "external_select":
        return pickers.ask_external(shell, asker, block, view, mark)
    if kind in ("users_select", "multi_users_select"):
        return pickers.ask_users(shell, asker, block, mark)
    if kind in PLACES:
        field = "selected_conversation" if kind == "conversations_select" else "selected_channel"
        initial = element.get("initial_conversation") or element.get("initial_channel")
        if element.get("default_to_current_conversation"):
            initial = initial or shell.channel_id
        keep = f"#{shell.names.get(initial, initial)}" if initial else "none"
        none = ", - for none" if block.get("optional") else ""
        name = asker._answer(label, label, f"│ {label}{mark} (#channel{none}, Enter = {keep}): ")
        if none and name.strip().lower() in ("-", "none"):
            return {"type": kind, field: None}  # as clearing the picker in Slack
        return {"type": kind, field: shell.channel_named(name) if name.strip() else initial}
    if kind in MANY_PLACES:
        return pickers.ask_places(shell, asker, block, mark)
    shell.say(f"│ {label}: (the shell cannot fill this kind of field, {kind}; it stays empty)")
    return {"type": kind}


def _upload(shell: ShellContext, path: str) -> list[dict]:
    if not path:
        return []
    file = Path(path).expanduser()
    if not file.is_file():
        shell.say(f"│   There is no file at {file}; nothing was attached.")
        return []
    return [shell.stack.standin.add_file(file.read_bytes(), file.name)]
