"""Shared pieces: limits, action ids, small block helpers and the modal frame.

Built with `slack_sdk.models`, whose `to_dict()` refuses most of Slack's limits; the limits
it does not check (50 blocks a message, 100 a modal, 3,000 characters of private
metadata) are checked here, so a violation fails in a test instead of in front of a user.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.text import escape, format_value, humanize_key, plain, truncate

MAX_MESSAGE_BLOCKS = 50


MAX_MODAL_BLOCKS = 100


MAX_SECTION_TEXT = 3000


MAX_METADATA = 3000


MAX_INPUT_CHARS = 2000  # longer input values are refused inside the modal


VALUE_PREVIEW_CHARS = 700  # longer outputs are cut in the thread; the file has them whole


MAX_OUTPUT_SECTIONS = 40


CHECKBOX_GROUP = 10  # Slack's limit of options per checkbox group


GRIDS_PER_PAGE = 10


# action and callback ids, shared with the listeners
RUN_GRID_ACTION = "run_grid"


GRIDS_PAGE_ACTION = "grids_page"


RUN_AGAIN_ACTION = "run_again"


WATCH_RUN_ACTION = "watch_run"  # under a run's result: watch these inputs


WATCH_BATCH_ACTION = "watch_batch"  # under a batch's summary: watch these rows


RUN_STATUS_ACTION = "run_status"  # a Status button in /bitscale runs and on Home


RUN_FRESH_ACTION = "run_fresh"  # under a reused result: one real run, credits spent


PICK_GRID_ACTION = "pick_grid"


OUTPUTS_ACTION = "columns"


RUN_VIEW = "run_view"


SHORTCUT_VIEW = "pick_view"


POST_IN_BLOCK = "post_in"


DELIVER_BLOCK = "deliver_to"  # the result goes to the channel (default) or only to me


DELIVER_ACTION = "choice"


STATE_EMOJI = {
    "queued": "⏳",
    "submitting": "⏳",
    "running": "⏳",
    "completed": "✅",
    "failed": "❌",
    "expired": "⌛",
    "interrupted": "⚠️",
    "reused": "♻️",
}


STATE_WORDS = {
    "queued": "waiting to start",
    "submitting": "running",
    "running": "running",
    "completed": "completed",
    "failed": "failed",
    "expired": "expired",
    "interrupted": "interrupted",
    "reused": "reused an earlier result, no credits spent",
}


def md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT))


def section(text: str, accessory: Any = None, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=md(text), accessory=accessory, block_id=block_id)


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[md(text)])


def button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=plain(label, 75), action_id=action_id, value=value, style=style)


def render(blocks: Sequence[Block], limit: int = MAX_MESSAGE_BLOCKS) -> list[dict]:
    if len(blocks) > limit:
        raise ValueError(f"{len(blocks)} blocks is over Slack's limit of {limit}")
    return [b.to_dict() for b in blocks]


def when(epoch: float | None) -> str:
    """A Slack date token: each reader sees it in their own time zone."""
    if not epoch:
        return "—"
    fallback = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(epoch)}^{{date_short_pretty}} {{time}}|{fallback}>"


def day(epoch: float | None) -> str:
    """A Slack date token for a day ("Nov 12, 2026" in the reader's own time zone)."""
    if not epoch:
        return "—"
    fallback = datetime.fromtimestamp(epoch, timezone.utc).strftime("%d %b %Y")
    return f"<!date^{int(epoch)}^{{date_short}}|{fallback}>"


# Inputs never echoed into a channel: contact details and free text a rep may not mean
# the whole channel to read.
SENSITIVE_WORDS = (
    "email", "phone", "mobile", "note", "comment", "message", "address", "password",
    "secret", "token", "apikey", "ssn", "birth", "salary", "private", "personal",
)


# Contact details by their look, whatever the grid calls the input ('lead', 'contact').
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[\d\s().\-/]{7,}")


def is_sensitive(key: str, value: Any = None) -> bool:
    squashed = "".join(ch for ch in key.lower() if ch.isalnum())
    if any(word in squashed for word in SENSITIVE_WORDS):
        return True
    text = str(value or "").strip()
    phone = _PHONE.fullmatch(text) and sum(ch.isdigit() for ch in text) >= 7
    return bool(_EMAIL.search(text) or phone)


def summary(inputs: dict[str, Any], shown: int = 2, value_chars: int = 30) -> str:
    """A short, safe line about a run's inputs for its announcement: the first one or two
    inputs that are not contact details or notes, values cut short, the rest counted."""
    if not inputs:
        return "no inputs"
    safe = _announced(inputs, shown)
    parts = [f"{humanize_key(k)}: {truncate(format_value(v), value_chars)}" for k, v in safe]
    rest = len(inputs) - len(safe)
    if rest:
        parts.append(f"+{rest} more input{'s' if rest != 1 else ''}")
    return escape(" · ".join(parts))


def _announced(inputs: dict[str, Any], shown: int) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in inputs.items() if not is_sensitive(k, v)][:shown]


def announced_inputs(
    inputs: dict[str, Any], shown: int = 2, value_chars: int = 30
) -> dict[str, Any]:
    """The inputs a run's announcement showed in full (`summary`'s, not cut short): all
    that someone other than the requester may have pre-filled by Edit and run again."""
    return {
        k: v
        for k, v in _announced(inputs or {}, shown)
        if truncate(format_value(v), value_chars) == format_value(v)
    }


def error_blocks(sentence: str) -> list[dict]:
    return render([section(f"⚠️ {escape(sentence)}")])


def notice_blocks(text_mrkdwn: str) -> list[dict]:
    return render([section(text_mrkdwn)])


def modal(
    title: str,
    blocks: Sequence[Block],
    *,
    submit: str | None = None,
    callback_id: str | None = None,
    private_metadata: str | None = None,
    close: str = "Close",
) -> dict:
    if private_metadata and len(private_metadata) > MAX_METADATA:
        raise ValueError("private_metadata is over Slack's 3,000 characters")
    if len(blocks) > MAX_MODAL_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks is over a modal's limit of {MAX_MODAL_BLOCKS}")
    view = View(
        type="modal",
        title=plain(title, 24),
        blocks=list(blocks),
        submit=plain(submit, 24) if submit else None,
        close=plain(close, 24),
        callback_id=callback_id,
        private_metadata=private_metadata,
    )
    return view.to_dict()


def loading_modal(what: str = "the grid") -> dict:
    return modal("BitScale", [section(f"⏳ Loading {escape(what)}…")])


def loading_grid_modal(grid_name: str | None = None) -> dict:
    """Shown while a grid's form loads; names the grid when it is known."""
    what = f"*{escape(truncate(grid_name, 150))}*" if grid_name else "the grid"
    return modal("BitScale", [section(f"⏳ Loading {what}…")])


def looking_modal(query: str) -> dict:
    """Shown while the grid someone named is looked up."""
    return modal("BitScale", [section(f"⏳ Looking for “{escape(truncate(query, 150))}”…")])


def message_modal(text_mrkdwn: str, title: str = "BitScale") -> dict:
    return modal(title, [section(text_mrkdwn)])


def error_modal(sentence: str) -> dict:
    return message_modal(f"⚠️ {escape(sentence)}")


def bar(part: int, total: int, width: int = 20) -> str:
    """A gauge whose filled share is `part` of `total` (callers pass what is left)."""
    if total <= 0:
        return "░" * width
    filled = max(0, min(width, round(width * part / total)))
    return "█" * filled + "░" * (width - filled)


def date(value: str | None) -> str:
    return escape(value[:10]) if value else "—"
