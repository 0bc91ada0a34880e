"""A run's status (from `/bitscale status`, the runs list or the Home tab) and the list of
a rep's recent runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot.providers.base import ResultView
from bot.slack.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    MAX_MODAL_BLOCKS,
    MAX_OUTPUT_SECTIONS,
    RUN_STATUS_ACTION,
    STATE_EMOJI,
    STATE_WORDS,
    VALUE_PREVIEW_CHARS,
    button,
    day,
    modal,
    render,
    section,
    when,
)
from bot.slack.blocks.results import result_message
from bot.slack.blocks.reused import provenance
from bot.slack.text import escape, format_value, mention, truncate
from bot.store.run_record import Run


def status_blocks(run: Run, view: ResultView | None = None) -> list[dict]:
    emoji = STATE_EMOJI.get(run.state, "•")
    lines = [
        f"{emoji} *{escape(run.grid_name)}* — {STATE_WORDS.get(run.state, run.state)}",
        f"{'Asked' if run.reused else 'Started'} {when(run.created_at)} by {mention(run.user_id)}",
    ]
    if run.reused:
        lines.append(f"Answered {provenance(run)} (run `{escape(run.reused_from or '?')}`)")
    if not run.finished:  # a finished run's result below carries its references
        lines.append(f"Ref `{run.ref}`")
        if run.request_id:
            lines.append(f"Request id `{escape(run.request_id)}`")
    if run.permalink:
        lines.append(f"<{run.permalink}|Open the thread>")
    blocks = render([section("\n".join(lines))])
    if run.finished:
        blocks += [_no_file_here(b) for b in result_message(run, view).blocks[1:]]
    return blocks[:MAX_MESSAGE_BLOCKS]


# The result's own words point at the file attached to it in the thread; this answer
# carries no file, so they point there instead.
_FILE_WORDS = (("the attached file", "the file attached to the result in its thread"),
               ("The attached file", "The file attached to the result in its thread"))  # fmt: skip


def _no_file_here(block: dict) -> dict:
    def reword(text: Any) -> Any:
        if isinstance(text, dict) and isinstance(text.get("text"), str):
            words = text["text"]
            for said, meant in _FILE_WORDS:
                words = words.replace(said, meant)
            return {**text, "text": words}
        return text

    changed = {**block}
    if "text" in block:
        changed["text"] = reword(block["text"])
    if block.get("type") == "context":
        changed["elements"] = [reword(e) for e in block.get("elements") or []]
    return changed


def remote_status_blocks(
    request_id: str, status: str, outputs: dict[str, Any] | None, message: str | None
) -> list[dict]:
    emoji = STATE_EMOJI.get(status, "•")
    blocks: list[Block] = [section(f"{emoji} Run `{escape(request_id)}` is *{escape(status)}*.")]
    for key, out in list((outputs or {}).items())[:MAX_OUTPUT_SECTIONS]:
        blocks.append(
            section(
                f"*{escape(out.get('name') or key)}*\n"
                f"{escape(truncate(format_value(out.get('value')), VALUE_PREVIEW_CHARS))}"
            )
        )
    if message:
        blocks.append(section(escape(message)))
    return render(blocks)


def runs_list_blocks(runs: Sequence[Run]) -> list[dict]:
    if not runs:
        return render(
            [section("You have no runs yet. Start one with `/bitscale run <grid name>`.")]
        )
    heading = "Your most recent run" if len(runs) == 1 else f"Your {len(runs)} most recent runs"
    blocks: list[Block] = [section(f"*{heading}*")]
    for run in runs[: MAX_MESSAGE_BLOCKS - 1]:
        link = f" · <{run.permalink}|thread>" if run.permalink else ""
        if run.reused:
            link = f" · from a run on {day(run.reused_from_at)}{link}"
        line = (
            f"{STATE_EMOJI.get(run.state, '•')} *{escape(truncate(run.grid_name, 80))}*"
            f" — {STATE_WORDS.get(run.state, run.state)} · {when(run.created_at)}{link}"
            f"\nRef `{run.ref}`"
        )
        blocks.append(section(line, accessory=button("Status", RUN_STATUS_ACTION, run.id)))
    return render(blocks)


def status_modal(blocks: list[dict]) -> dict:
    """A run's status where there is no conversation to answer in (the Home tab)."""
    return modal("Run status", [Block.parse(b) for b in blocks[:MAX_MODAL_BLOCKS]])
