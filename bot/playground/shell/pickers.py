"""The modal inputs that are more than typing: date pickers (`2026-12-01`), external
selects (type-ahead over the options the bot offers, as Slack asks it) and user selects
(`@ana, bob`). Each asks until the answer is one it can send, or the person cancels."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from bot.playground.shell.context import ShellContext
from bot.playground.shell.form import FormFiller
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
    keep = ", ".join("@" + shell.names.get(u, u) for u in initial) or "none"
    prompt = f"│ {label}{mark} (@names{', - for none' if initial else ''}; Enter = {keep}): "
    typed = asker._answer(label, label, prompt).strip()
    if typed == "-":
        ids: list[str] = []
    elif not typed:
        ids = initial
    else:
        ids = [person(shell, n) for n in re.split(r"[,\s]+", typed) if n.strip("@ ")]
    if many:
        return {"type": kind, "selected_users": ids}
    return {"type": kind, "selected_user": ids[0] if ids else None}


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
