"""Block Kit → terminal text, for the shell: sections, fields, context, buttons as [Label]."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_DATE = re.compile(r"<!date\^(\d+)\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>")
_NUMBERED_LABEL = re.compile(r".* \d+")


@dataclass
class Button:
    label: str
    action: dict[str, Any]  # what a click sends as the action
    message: Any = None  # the message it sits in (None for a modal)
    view: dict | None = None
    url: str | None = None  # in the app's preview of this link (pressed as Slack sends it)


def local_time(epoch: int) -> str:
    """A Slack date token as Slack shows it: in the reader's own time zone (here, the
    terminal's), e.g. 'Nov 24 at 16:05 CET'."""
    moment = datetime.fromtimestamp(epoch).astimezone()
    return f"{moment:%b} {moment.day} at {moment:%H:%M %Z}".strip()


def name_of(slack_id: str, names: dict[str, str]) -> str:
    """A person or channel as the reader knows it. The playground's pretend ids are made
    from names (U0BOB is bob, C0MARKETING is marketing), so even one not met yet has a name."""
    if slack_id in names:
        return names[slack_id]
    if re.fullmatch(r"[UC]0[A-Z0-9]+", slack_id):
        return slack_id[2:].lower()
    return slack_id


def mrkdwn(text: str, names: dict[str, str]) -> str:
    """Slack's mrkdwn made readable; entities decoded last so escaped text stays text."""
    text = _DATE.sub(lambda m: local_time(int(m.group(1))), text)
    text = _LINK.sub(_link, text)
    text = _BARE_LINK.sub(r"\1", text)
    text = _USER.sub(lambda m: "@" + name_of(m.group(1), names), text)
    text = _CHANNEL.sub(lambda m: "#" + name_of(m.group(1), names), text)
    return html.unescape(text)


def _link(match: re.Match[str]) -> str:
    """<url|label> as 'label (url)'; a label that is the URL itself is shown once."""
    url, label = match.group(1), match.group(2)
    same = html.unescape(label).rstrip("/") in (
        url.rstrip("/"),
        url.split("://", 1)[-1].rstrip("/"),
    )
    return label if same else f"{label} ({url})"


def blocks_to_lines(
    blocks: list[dict],
    names: dict[str, str],
    buttons: list[Button] | None = None,
    message: Any = None,
    view: dict | None = None,
    earlier: list[Button] | None = None,
) -> list[str]:
    """Render blocks; every button found is appended to `buttons` (for pressing later).
    `earlier`: the buttons this message showed before it was redrawn (see numbered)."""
    lines: list[str] = []
    names_of = numbered(_buttons_in(blocks), earlier or [])
    places = iter(range(len(names_of)))  # buttons are drawn in the order _buttons_in finds

    def add_button(element: dict) -> str:
        label = names_of[next(places)]
        if buttons is not None:
            buttons.append(
                Button(
                    label,
                    {k: element.get(k) for k in ("action_id", "value", "type", "block_id")},
                    message,
                    view,
                )
            )
        return f"[{label}]"

    for block in blocks:
        kind = block.get("type")
        if kind in ("section", "header"):
            text = block.get("text", {}).get("text", "")
            if text:
                lines += mrkdwn(text, names).splitlines() or [""]
            for f in block.get("fields") or []:
                lines.append("  " + mrkdwn(f.get("text", ""), names))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                lines[-1] = f"{lines[-1] if lines else ''}  {add_button(accessory)}"
        elif kind == "context":
            parts = [
                mrkdwn(e.get("text", ""), names)
                for e in block.get("elements", [])
                if isinstance(e, dict) and "text" in e
            ]
            lines.append("  · " + " ".join(parts))
        elif kind == "actions":
            lines.append(
                "  "
                + " ".join(
                    add_button(e) for e in block.get("elements", []) if e.get("type") == "button"
                )
            )
        elif kind == "divider":
            lines.append("  ─────")
    return lines


def numbered(elements: list[dict], earlier: list[Button]) -> dict[int, str]:
    """Each button's label by its place; a label shown more than once is numbered ("Run
    1" … "Run 10") so each can be pressed by name. A redrawn message keeps the numbers
    it showed: a button that pressed the same thing before keeps its number, a new one
    takes a number never shown, so "run 7" never comes to mean another grid."""
    texts = [e.get("text", {}).get("text", "?") for e in elements]
    before = {_what(b.action): b.label for b in earlier}
    labels: dict[int, str] = {}
    taken = set()
    for i, (element, text) in enumerate(zip(elements, texts, strict=True)):
        kept = before.get(_what(element), "")
        if _NUMBERED_LABEL.fullmatch(kept) and kept.startswith(text + " "):
            labels[i] = kept
            taken.add(kept)
    shown = set(before.values()) | taken
    count: dict[str, int] = {}
    for i, text in enumerate(texts):
        if i in labels:
            continue
        if texts.count(text) == 1:
            labels[i] = text
            continue
        while True:
            count[text] = count.get(text, 0) + 1
            label = f"{text} {count[text]}"
            if label not in shown:
                break
        labels[i] = label
        shown.add(label)
    return labels


def _what(action: dict) -> tuple[Any, Any]:
    """What a button does when pressed (its action and value), whatever its place."""
    return action.get("action_id"), action.get("value")


def _buttons_in(blocks: list[dict]) -> list[dict]:
    found = []
    for block in blocks:
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            found.append(accessory)
        if block.get("type") == "actions":
            found += [e for e in block.get("elements", []) if e.get("type") == "button"]
    return found
