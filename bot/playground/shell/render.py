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


@dataclass
class Button:
    label: str
    action: dict[str, Any]  # what a click sends as the action
    message: Any = None  # the message it sits in (None for a modal)
    view: dict | None = None


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
    text = _LINK.sub(r"\2 (\1)", text)
    text = _BARE_LINK.sub(r"\1", text)
    text = _USER.sub(lambda m: "@" + name_of(m.group(1), names), text)
    text = _CHANNEL.sub(lambda m: "#" + name_of(m.group(1), names), text)
    return html.unescape(text)


def blocks_to_lines(
    blocks: list[dict],
    names: dict[str, str],
    buttons: list[Button] | None = None,
    message: Any = None,
    view: dict | None = None,
) -> list[str]:
    """Render blocks; every button found is appended to `buttons` (for pressing later)."""
    lines: list[str] = []
    labels = [e.get("text", {}).get("text", "?") for e in _buttons_in(blocks)]
    seen: dict[str, int] = {}

    def add_button(element: dict) -> str:
        label = element.get("text", {}).get("text", "?")
        if labels.count(label) > 1:  # "Run 1" … "Run 10", so each can be pressed by name
            seen[label] = seen.get(label, 0) + 1
            label = f"{label} {seen[label]}"
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


def _buttons_in(blocks: list[dict]) -> list[dict]:
    found = []
    for block in blocks:
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            found.append(accessory)
        if block.get("type") == "actions":
            found += [e for e in block.get("elements", []) if e.get("type") == "button"]
    return found
