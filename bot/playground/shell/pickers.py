"""The modal inputs that are more than typing: date pickers (`2026-12-01`), external
selects (type-ahead over the options the bot offers, as Slack asks it) and user selects
(`@ana, bob`). Each asks until the answer is one it can send, or the person cancels."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from bot.playground.shell.context import ShellContext
from bot.playground.shell.form import FormFiller, _pick
from bot.slack.text import squash


def ask_date(asker: FormFiller, block: dict, mark: str) -> dict[str, Any]:
    element, label = block["element"], block["label"]["text"]
    initial = element.get("initial_date") or ""
    prompt = f"│ {label}{mark} (YYYY-MM-DD){f' [{initial}]' if initial else ''}: "
    value = asker._answer(label, label, prompt).strip() or initial
    while value:
        try:
            return {"type": "datepicker", "selected_date": date.fromisoformat(value).isoformat()}
        except ValueError:
            if asker.answers:
                break
            asker.shell.say(f"│   “{value}” is not a date: type it as 2026-12-01.")
            value = asker._read(prompt).strip() or initial
    return {"type": "datepicker", "selected_date": None}


def ask_external(
    shell: ShellContext, asker: FormFiller, block: dict, view: dict, mark: str
) -> dict[str, Any]:
    """Type part of a name; the bot's own suggestions decide what it can be."""
    element, label = block["element"], block["label"]["text"]
    initial = element.get("initial_option")
    keep = f"Enter = {initial['text']['text']}" if initial else "Enter = none"
    prompt = f"│ {label}{mark} (type part of its name; {keep}): "
    typed = asker._answer(label, label, prompt).strip()
    while True:
        if not typed:
            return {"type": "external_select", "selected_option": initial}
        answer = shell.driver.suggest(element["action_id"], typed, view, block["block_id"])
        options = [
            o for o in json.loads(answer.text or "{}").get("options", []) if o.get("value")
        ]
        exact = [o for o in options if squash(o["text"]["text"]) == squash(typed)]
        if len(options) == 1 or exact:
            chosen = (exact or options)[0]
            shell.say(f"│   → {chosen['text']['text']}")
            return {"type": "external_select", "selected_option": chosen}
        names = ", ".join(o["text"]["text"] for o in options[:10])
        shell.say(f"│   Several match: {names}" if options else f"│   Nothing matches “{typed}”.")
        if asker.answers:
            return {"type": "external_select", "selected_option": initial}
        typed = asker._read(prompt).strip()


def ask_users(shell: ShellContext, asker: FormFiller, block: dict, mark: str) -> dict[str, Any]:
    element, label = block["element"], block["label"]["text"]
    kind = element["type"]
    many = kind == "multi_users_select"
    initial = element.get("initial_users") if many else [element.get("initial_user")]
    initial = [u for u in initial or [] if u]
    ids = _ask_names(shell, asker, label, mark, initial, "@names", lambda n: person(shell, n))
    if many:
        return {"type": kind, "selected_users": ids}
    return {"type": kind, "selected_user": ids[0] if ids else None}


def ask_places(shell: ShellContext, asker: FormFiller, block: dict, mark: str) -> dict[str, Any]:
    """Several channels ("#sales, #marketing"); Enter keeps the chosen ones, - none."""
    element, label = block["element"], block["label"]["text"]
    kind = element["type"]
    field = "conversations" if kind == "multi_conversations_select" else "channels"
    initial = [c for c in element.get(f"initial_{field}") or [] if c]
    ids = _ask_names(shell, asker, label, mark, initial, "#channels", shell.channel_named)
    return {"type": kind, f"selected_{field}": ids}


def _ask_names(
    shell: ShellContext,
    asker: FormFiller,
    label: str,
    mark: str,
    initial: list[str],
    what: str,
    resolve: Callable[[str], str],
) -> list[str]:
    """Ids for the names typed after `what`'s sign ("@ana, bob", "#sales"): Enter keeps
    `initial`, - means none."""
    sign = what[0]
    keep = ", ".join(sign + shell.names.get(i, i) for i in initial) or "none"
    prompt = f"│ {label}{mark} ({what}{', - for none' if initial else ''}; Enter = {keep}): "
    typed = asker._answer(label, label, prompt).strip()
    if typed == "-":
        return []
    if not typed:
        return initial
    return [resolve(n) for n in re.split(r"[,\s]+", typed) if n.strip(sign + " ")]


def person(shell: ShellContext, name: str) -> str:
    """A pretend person's id by name ('@bob' → U0BOB), known names first."""
    name = name.strip().lstrip("@")
    if re.fullmatch(r"U0[A-Z0-9]+|[UW][A-Z0-9]{8,}", name):  # typed as an id
        return name
    for uid, known in shell.names.items():
        if squash(known) == squash(name) and uid[:1] in "UW":
            return uid
    uid = "U0" + re.sub(r"[^A-Z0-9]", "", name.upper())[:10]
    shell.names[uid] = name
    return uid


def ask_choice(asker: FormFiller, block: dict, mark: str) -> dict[str, Any]:
    """A select, radio group or checkboxes by number or name. What is pre-selected is
    named (Enter keeps it); a required one cannot be passed over empty; a single checkbox
    ("Run all fresh") is a yes/no question."""
    element, label = block["element"], block["label"]["text"]
    kind = element["type"]
    options = element.get("options") or [
        o for g in element.get("option_groups", []) for o in g.get("options", [])
    ]
    many = kind in ("multi_static_select", "checkboxes")
    initial = element.get("initial_options" if many else "initial_option")
    chosen = (initial or []) if many else ([initial] if initial else [])
    if kind == "checkboxes" and len(options) == 1:
        return _ask_yes_no(asker, block, options[0], bool(chosen))
    listing = ", ".join(f"{i}) {o['text']['text']}" for i, o in enumerate(options, 1))
    asker.shell.say(f"│ {label}{mark}: {listing}")
    keep = ", ".join(o["text"]["text"] for o in chosen)
    hint = f"Enter = {keep}" if keep else "Enter = none"
    prompt = f"│   which? ({hint}{', - for none' if keep else ''}): "
    hint_text = (block.get("hint") or {}).get("text", "")
    required = not block.get("optional") or hint_text.startswith("Required")
    if required and not mark:
        asker.shell.say(f"│   ({label} is required)")
    value = asker._answer(label, label, prompt).strip()
    while not asker.answers:
        if value not in ("", "-") and _pick(value, options)[1]:
            unknown = _pick(value, options)[1][0]
            asker.shell.say(f"│   “{unknown}” is not one of them: pick by number or name.")
        elif required and (value == "-" or (not value and not chosen)):
            asker.shell.say(f"│   {label} is required: pick one by number or name.")
        else:
            break
        value = asker._read(prompt).strip()
    if value == "-":
        picked: list[dict] = []
    elif not value:
        picked = chosen
    else:
        picked = _pick(value, options)[0]
    if many:
        return {"type": kind, "selected_options": picked}
    return {"type": kind, "selected_option": picked[0] if picked else None}


def _ask_yes_no(asker: FormFiller, block: dict, option: dict, ticked: bool) -> dict[str, Any]:
    label = option["text"]["text"]
    hint = (block.get("hint") or {}).get("text") or option.get("description", {}).get("text")
    if hint:
        asker.shell.say(f"│ {label}: {hint}")
    prompt = f"│ {label}? ({'Y/n' if ticked else 'y/N'}): "
    value = asker._answer(block["label"]["text"], label, prompt).strip().lower()
    while value and value[:1] not in "yn" and value not in ("1", "-"):
        if asker.answers:
            break
        asker.shell.say("│   Type y or n.")
        value = asker._read(prompt).strip().lower()
    yes = ticked if not value else value[:1] == "y" or value == "1"
    return {"type": "checkboxes", "selected_options": [option] if yes else []}
