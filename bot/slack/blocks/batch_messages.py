"""A batch's channel messages: the progress message it keeps editing, the pause notice and
the summary reply."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ConfirmObject

from bot.batches.progress import Progress, Report
from bot.batches.store import Batch
from bot.slack.blocks.common import (
    WATCH_BATCH_ACTION,
    bar,
    button,
    context,
    render,
    section,
)
from bot.slack.text import escape, mention, plural, truncate

CANCEL_BATCH_ACTION = "batch_cancel"
RESUME_BATCH_ACTION = "batch_resume"

def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def progress_message(
    batch: Batch, progress: Progress, fallback_reason: str | None = None
) -> tuple[str, list[dict]]:
    """The one message a batch keeps editing in the channel."""
    who = mention(batch.user_id)
    grid = f"*{escape(truncate(batch.grid_name, 150))}*"
    rows = plural(batch.rows_total, "row")
    if batch.state == "done":
        emoji = "✅" if progress.done else "❌"
        headline = f"{emoji} {who}'s batch of {grid} is done: {rows}. The file is in the thread."
    elif batch.state == "cancelled":
        headline = f"❌ {who}'s batch of {grid} was cancelled: {rows}. Details in the thread."
    elif batch.state == "paused":
        headline = f"⏸️ {who}'s batch of {grid} is paused: {rows}."
    elif batch.state == "denied":
        headline = f"🚫 {who}'s batch of {grid} was not approved: {rows}. Nothing was spent."
    elif batch.state == "awaiting_approval":
        headline = f"⏳ {who}'s batch of {grid} is waiting for approval: {rows}."
    else:
        headline = f"📦 {who} started a batch of {grid}: {rows}"
    counts = (
        f"`{bar(progress.finished, progress.runs_total)}` "
        f"{progress.finished:,} of {plural(progress.runs_total, 'row')}\n"
        f"✅ {progress.done:,} done · ❌ {progress.failed:,} failed · "
        f"⏳ {progress.waiting:,} waiting"
        + (f" · 🚫 {progress.cancelled:,} cancelled" if progress.cancelled else "")
    )
    blocks: list[Block] = [section(headline), section(counts)]
    pace = []
    if progress.rows_per_second:
        pace.append(f"{progress.rows_per_second:.1f} rows/s")
    if progress.eta_seconds is not None:
        pace.append(f"about {_duration(progress.eta_seconds)} left")
    extras = []
    if batch.rows_duplicate:
        extras.append(
            f"{plural(batch.rows_duplicate, 'duplicate row')} "
            f"{'shares' if batch.rows_duplicate == 1 else 'share'} a run"
        )
    if batch.rows_skipped:
        extras.append(f"{plural(batch.rows_skipped, 'row')} skipped (empty input)")
    if pace or extras:
        blocks.append(context(" · ".join(pace + extras)))
    if batch.state == "paused" and batch.pause_reason:
        blocks.append(section(f"⏸️ {escape(truncate(batch.pause_reason, 600))}"))
    if fallback_reason:
        blocks.append(
            context(f"I couldn't post in the channel ({escape(fallback_reason)}), so I'm "
                    "keeping you posted here.")
        )
    buttons = []
    if batch.state == "paused":
        buttons.append(button("Resume", RESUME_BATCH_ACTION, batch.id, style="primary"))
    if batch.state in ("preparing", "running", "paused"):
        cancel = button("Cancel batch", CANCEL_BATCH_ACTION, batch.id, style="danger")
        cancel.confirm = ConfirmObject(
            title="Cancel this batch?",
            text="Rows not yet sent are dropped; rows already at BitScale finish and are kept.",
            confirm="Cancel batch",
            deny="Keep going",
        )
        buttons.append(cancel)
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    text = (
        f"{escape(batch.grid_name)} batch: {progress.finished:,} of "
        f"{plural(progress.runs_total, 'row')}"
    )
    return text, render(blocks)


def pause_message(batch: Batch) -> tuple[str, list[dict]]:
    reason = escape(truncate(batch.pause_reason or "BitScale refused the batch's rows.", 1500))
    blocks: list[Block] = [
        section(f"⏸️ {mention(batch.user_id)} the batch is paused: {reason}"),
        context("Rows not yet sent are kept. Press Resume once it is fixed."),
        ActionsBlock(elements=[button("Resume", RESUME_BATCH_ACTION, batch.id, style="primary")]),
    ]
    return f"The {batch.grid_name} batch is paused", render(blocks)


def summary_message(batch: Batch, report: Report) -> tuple[str, list[dict]]:
    p = report.progress
    who = mention(batch.user_id)
    grid = escape(truncate(batch.grid_name, 150))
    if batch.state == "cancelled":
        by = f" by {mention(batch.cancelled_by)}" if batch.cancelled_by else ""
        if p.cancelled:
            stopped = (
                f"{plural(p.cancelled, 'row')} not yet sent {'was' if p.cancelled == 1 else 'were'}"
                " stopped; rows already sent finished and are in the file."
            )
        else:
            stopped = "Every row had already been sent, so nothing was stopped: all are in the "
            stopped += "file."
        head = f"🚫 {who} the batch of *{grid}* was cancelled{by}. {stopped}"
    else:
        head = f"{'✅' if p.done else '❌'} {who} the batch of *{grid}* is done."
    lines = [
        f"• Rows in the file: {batch.rows_total:,}",
        f"• Done: {p.done:,}",
        f"• Failed: {p.failed:,}",
    ]
    for reason, n in report.failures[:8]:
        lines.append(f"    ◦ {n:,} × {escape(truncate(reason, 200))}")
    if p.cancelled:
        lines.append(f"• Cancelled before they were sent: {p.cancelled:,}")
    if p.reused:
        lines.append(f"• Reused earlier results (no credits spent): {p.reused:,} of the done")
    lines.append(f"• Skipped (an input was empty): {batch.rows_skipped:,}")
    lines.append(
        f"• Duplicates (result copied from the same row above): {batch.rows_duplicate:,}"
    )
    blocks: list[Block] = [section(head), section("\n".join(lines))]
    blocks.append(
        context(
            "The enriched CSV is attached: your columns, then one per output, then "
            "`bitscale_reused_from_date`, `bitscale_status` and `bitscale_error`."
        )
    )
    if batch.state == "done":  # re-run these rows on a schedule, posting what changed
        blocks.append(ActionsBlock(elements=[
            button("Watch these rows", WATCH_BATCH_ACTION, batch.id)
        ]))
    return f"{batch.grid_name} batch: {p.done:,} done, {p.failed:,} failed", render(blocks)


def batch_notice(text_mrkdwn: str) -> list[dict]:
    return render([section(text_mrkdwn)])
