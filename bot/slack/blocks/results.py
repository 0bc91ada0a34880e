"""Run messages: the announcement and the thread result (status and the runs list are in
status.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
)

from bot.providers.base import ResultView
from bot.slack.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    MAX_OUTPUT_SECTIONS,
    RUN_AGAIN_ACTION,
    STATE_EMOJI,
    STATE_WORDS,
    VALUE_PREVIEW_CHARS,
    WATCH_RUN_ACTION,
    button,
    context,
    render,
    section,
    summary,
)
from bot.slack.blocks.failures import failure_blocks
from bot.slack.blocks.reused import fresh_actions, fresh_hint, provenance, provenance_plain
from bot.slack.text import (
    channel_link,
    escape,
    format_value,
    full_value,
    humanize_key,
    is_user_id,
    mention,
    truncate,
)
from bot.store.run_record import Run


def requester(run: Run) -> str:
    """Who asked: a mention, or "A workflow" for a step that names no person."""
    if run.source == "workflow" and not is_user_id(run.user_id):
        return "A workflow"
    return mention(run.user_id)


def announcement(
    run: Run, fallback_reason: str | None = None, progress: str | None = None
) -> tuple[str, list[dict]]:
    """The channel message a run's thread hangs from; `progress` ("still running · 1 min
    20 s") is shown while it runs."""
    emoji = STATE_EMOJI.get(run.state, "⏳")
    who = requester(run)
    grid = f"*{escape(truncate(run.grid_name, 150))}*"
    if run.state in ("queued", "submitting", "running"):
        headline = f"{emoji} {who} started {grid}" + (f" — {progress}" if progress else "")
    elif run.reused:
        headline = f"{emoji} {who} asked {grid} — answered {provenance(run)}; see the thread"
    elif run.state == "completed":
        where = "below" if run.post_thread_ts else "in the thread"
        headline = f"{emoji} {who} ran {grid} — done, result {where}"
    else:
        where = "below" if run.post_thread_ts else "in the thread"
        headline = f"{emoji} {who} ran {grid} — {STATE_WORDS[run.state]}, details {where}"
    blocks: list[Block] = [
        section(headline),
        context(f"{summary(run.inputs)} · Ref `{run.ref}`"),
    ]
    blocks += _waiting_notes(run)
    if fallback_reason and run.channel_id:
        blocks.append(
            context(
                f"I couldn't post in {channel_link(run.channel_id)} "
                f"({escape(fallback_reason)}), so I'm keeping you posted here."
            )
        )
    elif not run.channel_id:
        blocks.append(
            context("🔒 Only you get this run's messages: nothing was posted in a channel.")
        )
    # The top-level text is what notifications show: escaped like the blocks.
    text = f"{emoji} {escape(run.grid_name)}: {STATE_WORDS.get(run.state, run.state)}"
    if run.reused:
        text = f"{emoji} {escape(run.grid_name)}: reused, {provenance_plain(run)}"
    return text, render(blocks)


def _waiting_notes(run: Run) -> list[Block]:
    """Why an unfinished run has not gone out yet: it waits on another request for the
    same thing, or on the service's rate limit (and then until when)."""
    if run.finished:
        return []
    if run.joined_to:  # `reused_from_at`: when the question it shares was asked
        ago = run.created_at - (run.reused_from_at or run.created_at)
        asked = f"asked {duration(ago)} ago" if ago >= 1 else "asked just now"
        return [
            context(f"The same question is already running ({asked}); you'll get its answer here.")
        ]
    # `counted_from` is set past creation only when a provider's budget holds the run back.
    if run.state == "queued" and (run.counted_from or 0) > run.created_at + 1:
        at = datetime.fromtimestamp(run.counted_from or 0, tz=timezone.utc)
        if run.error_message:  # the provider's own sentence says which limit, and when
            return [context(f"⏳ {escape(truncate(run.error_message, 500))}")]
        return [context(f"⏳ Queued behind the service's rate limit: goes in at {at:%H:%M} UTC.")]
    return []


@dataclass
class ResultMessage:
    text: str
    blocks: list[dict]
    attachment: str | None  # the full result as text, when the thread shows a cut version
    attachment_title: str = "full result"


def still_running(elapsed: float, usual: float | None) -> str:
    """'still running · 1 min 20 s (usually about 2 min)'."""
    text = f"still running · {duration(elapsed)}"
    if usual:
        text += f" (usually about {duration(usual, rough=True)})"
    return text


def duration(seconds: float, rough: bool = False) -> str:
    """'45 s', '1 min 20 s', '2 h 5 min'; `rough` rounds to the largest unit or two."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        if rough:
            return f"{minutes + (1 if secs >= 30 else 0)} min"
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _late_note(run: Run) -> list[Block]:
    """A real answer that came after the bot had given up on the run."""
    if not run.late_after:
        return []
    said = STATE_WORDS.get(run.late_after, run.late_after)
    return [context(f"The answer came after all, after I had told you the run was {said}.")]


def result_message(
    run: Run, view: ResultView | None = None, fresh_by: str | None = None
) -> ResultMessage:
    """The thread reply. `view` is the provider's rendering of the result (completed or
    reused runs). A reused answer says where it came from and offers Run fresh
    (`fresh_by`: who already pressed it)."""
    who = requester(run)
    grid = escape(truncate(run.grid_name, 150))
    view = view or ResultView()
    if run.reused:
        blocks = [section(f"♻️ {who} *{grid}*: {provenance(run)}.")]
        blocks += _output_blocks(view, MAX_OUTPUT_SECTIONS - 4)
        blocks += [fresh_hint(), fresh_actions(run, fresh_by), reference(run)]
        attachment = _attachment(run, view, MAX_OUTPUT_SECTIONS - 4)
        text = f"♻️ {escape(run.grid_name)}: {provenance_plain(run)}"
        return ResultMessage(text, render(blocks), attachment, view.attachment_title)
    if run.state == "completed":
        blocks = [section(f"✅ {who} *{grid}* is done."), *_late_note(run)]
        blocks += _output_blocks(view)
        blocks = [*blocks[: MAX_MESSAGE_BLOCKS - 2], reference(run), again_actions(run)]
        return ResultMessage(
            f"✅ {escape(run.grid_name)} is done",
            render(blocks),
            _attachment(run, view),
            view.attachment_title,
        )
    return _problem_message(run, who, grid)


def plain_result_message(run: Run) -> ResultMessage:
    """The reply when the result itself cannot be drawn: the run is still accounted for,
    and the rep is told where to see it (posted once, never retried for ever)."""
    grid = escape(truncate(run.grid_name, 150))
    state = STATE_WORDS.get(run.state, run.state)
    blocks = [
        section(
            f"{requester(run)} *{grid}*: {state}. The result could not be shown in Slack; "
            "open the grid in BitScale to see it."
        ),
        reference(run),
    ]
    return ResultMessage(f"{escape(run.grid_name)}: {state}", render(blocks), None)


def reference(run: Run) -> ContextBlock:
    """The run's short reference, and how to look it up again."""
    text = f"Ref `{run.ref}` · `/bitscale status {run.ref}` shows this run again"
    if run.request_id:
        text += f" · request id `{escape(truncate(run.request_id, 100))}`"
    return context(text)


def again_actions(run: Run) -> ActionsBlock:
    """Edit and run again: the form comes back filled in with this run's inputs. Watch:
    the watch form, with these inputs as its one row."""
    return ActionsBlock(elements=[
        button("Edit and run again", RUN_AGAIN_ACTION, run.id),
        button("Watch", WATCH_RUN_ACTION, run.id),
    ])


def _was_cut(view: ResultView, limit: int = MAX_OUTPUT_SECTIONS) -> bool:
    return len(view.items) > limit or any(
        len(format_value(item.value)) > VALUE_PREVIEW_CHARS for item in view.items
    )


def _attachment(run: Run, view: ResultView, limit: int = MAX_OUTPUT_SECTIONS) -> str | None:
    """The provider's own file when it has one, else the full text when values were cut."""
    if view.attachment is not None:
        return view.attachment
    return full_result_text(run, view) if _was_cut(view, limit) else None


def _output_blocks(view: ResultView, limit: int = MAX_OUTPUT_SECTIONS) -> list[Block]:
    """The overall picture, one section per item (values cut to a preview), the
    provider's notes, and a note when anything was cut."""
    blocks: list[Block] = []
    if view.summary:
        blocks.append(section(escape(truncate("\n".join(view.summary), 2900))))
    cut = False
    items = view.items
    for item in items[:limit]:
        name = escape(truncate(str(item.label or humanize_key(item.key or "")), 200))
        shown = format_value(item.value)
        if len(shown) > VALUE_PREVIEW_CHARS:
            shown, cut = truncate(shown, VALUE_PREVIEW_CHARS), True
        blocks.append(section(f"*{name}*\n{escape(shown)}"))
    if len(items) > limit:
        cut = True
        blocks.append(context(f"…and {len(items) - limit} more outputs in the attached file."))
    if not items and not view.summary:
        blocks.append(context(escape(view.empty)))
    for note in view.notes[:3]:
        blocks.append(context(escape(truncate(note, 2900))))
    if cut and view.attachment is None:
        blocks.append(context("Long values are cut here; the attached file has the full result."))
    return blocks


def _problem_message(run: Run, who: str, grid: str) -> ResultMessage:
    emoji = STATE_EMOJI.get(run.state, "❌")
    headline = {
        "failed": f"{emoji} {who} *{grid}* failed.",
        "expired": f"{emoji} {who} *{grid}* did not finish in time.",
        "interrupted": f"{emoji} {who} *{grid}* was interrupted.",
    }.get(run.state, f"{emoji} {who} *{grid}*: {escape(run.state)}.")
    detail = escape(run.error_message or "No details were given.")
    blocks = [section(headline), *_late_note(run), section(f"*What happened:* {detail}")]
    blocks += [*failure_blocks(run), reference(run), again_actions(run)]
    return ResultMessage(
        f"{emoji} {escape(run.grid_name)}: {STATE_WORDS.get(run.state, run.state)}",
        render(blocks),
        None,
    )


def full_result_text(run: Run, view: ResultView) -> str:
    lines = [f"{run.grid_name} — result of run {run.id}", ""]
    lines += [f"{humanize_key(k)}: {v}" for k, v in run.inputs.items()]
    lines.append("")
    lines += [*view.summary, ""] if view.summary else []
    for item in view.items:
        lines += [f"## {item.label or item.key}", full_value(item.value), ""]
    return "\n".join(lines)
