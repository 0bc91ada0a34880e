"""Watches in Block Kit: the form, the cost before saving, the list with its buttons, the
watch's own message, the digest (within 50 blocks: long lists cut, the file has them all)
and the pause notice."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    CheckboxesElement,
    ConfirmObject,
    ConversationSelectElement,
    InputBlock,
    Option,
    StaticSelectElement,
    TimePickerElement,
)

from bot.grids.catalog import Column
from bot.slack.blocks.batch_forms import FileInputElement
from bot.slack.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    OUTPUTS_ACTION,
    button,
    context,
    modal,
    render,
    section,
    when,
)
from bot.slack.blocks.common import WATCH_BATCH_ACTION as WATCH_BATCH_ACTION
from bot.slack.blocks.common import WATCH_RUN_ACTION as WATCH_RUN_ACTION
from bot.slack.blocks.fields import output_checkboxes
from bot.slack.text import channel_link, escape, mention, plain, plural, truncate
from bot.watches.digest import Digest
from bot.watches.schedule import FREQUENCIES, WEEKDAYS, Schedule, ordinal
from bot.watches.service import Cost
from bot.watches.store import Watch

FORM_VIEW = "watch_form"
CONFIRM_VIEW = "watch_confirm"
EDIT_VIEW = "watch_edit"
FILE_BLOCK, FILE_ACTION = "watch_file", "file"
EVERY_BLOCK, WEEKDAY_BLOCK, DAY_BLOCK, TIME_BLOCK = (
    "watch_every", "watch_weekday", "watch_day", "watch_time")
CHANNEL_BLOCK, OPTIONS_BLOCK = "watch_channel", "watch_options"
ONLY_ME, ONLY_CHANGES = "only_me", "only_changes"
PAUSE_ACTION, RESUME_ACTION = "watch_pause", "watch_resume"
EDIT_ACTION, RUN_NOW_ACTION, DELETE_ACTION = "watch_edit", "watch_run_now", "watch_delete"
DIGEST_EVENT = "bitscale_watch_digest"
MAX_CHANGE_LINES = 30
MAX_FAILURE_LINES = 10
MAX_LISTED = 20  # watches in one /bitscale watches answer (2 blocks each)
STATE_WORDS = {
    "awaiting_approval": "⏳ waiting for an admin's approval",
    "active": "👀 on",
    "paused": "⏸️ paused",
}


# --- the form --------------------------------------------------------------------------


def watch_form(
    session: str,
    *,
    grid_name: str,
    outputs: Sequence[Column],
    rows_text: str | None,
    schedule: Schedule | None = None,
    checked: list[str] | None = None,
    channel_id: str | None = None,
    only_me: bool = False,
    only_changes: bool = False,
    problem: str | None = None,
    title: str = "Watch a grid",
    callback_id: str = FORM_VIEW,
) -> dict:
    """The rows (a file, or the rows a button brought), the outputs to compare, the
    schedule and where digests go."""
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f"⚠️ {escape(problem)}"))
    blocks.append(section(
        f"Re-run *{escape(truncate(grid_name, 200))}* on a schedule and get one message with "
        "what changed."))
    if rows_text is None:
        blocks.append(InputBlock(
            block_id=FILE_BLOCK, label="Rows (a CSV file)",
            element=FileInputElement(action_id=FILE_ACTION, filetypes=["csv"], max_files=1),
            hint="A header row, then one row per account; columns named like the grid's "
                 "inputs are matched to them.",
        ))
    else:
        blocks.append(section(f"📄 Rows: {rows_text}"))
    blocks += output_checkboxes(outputs, checked, action_id=OUTPUTS_ACTION,
                                first_label="Outputs to compare")
    blocks += schedule_fields(schedule)
    blocks += delivery_fields(channel_id, only_me, only_changes)
    return modal(title, blocks, submit="Next", close="Cancel", callback_id=callback_id,
                 private_metadata=session)


def schedule_fields(schedule: Schedule | None) -> list[Block]:
    schedule = schedule or Schedule("weekly", "09:00", "UTC", weekday=0)
    every = [Option(value=f, text=plain(f.capitalize(), 75)) for f in FREQUENCIES]
    days = [Option(value=str(i), text=plain(d, 75)) for i, d in enumerate(WEEKDAYS)]
    dates = [Option(value=str(d), text=plain(ordinal(d), 75)) for d in range(1, 32)]
    return [
        InputBlock(block_id=EVERY_BLOCK, label="How often", element=StaticSelectElement(
            action_id="every", options=every,
            initial_option=every[FREQUENCIES.index(schedule.every)])),
        InputBlock(block_id=WEEKDAY_BLOCK, label="On (weekly)", optional=True,
                   element=StaticSelectElement(
                       action_id="weekday", options=days,
                       initial_option=days[schedule.weekday or 0])),
        InputBlock(block_id=DAY_BLOCK, label="On the (monthly)", optional=True,
                   element=StaticSelectElement(action_id="day", options=dates,
                                               initial_option=dates[(schedule.day or 1) - 1]),
                   hint="Past a month's end (the 31st in April), it runs on the last day."),
        InputBlock(block_id=TIME_BLOCK, label="At", element=TimePickerElement(
            action_id="time", initial_time=schedule.at),
            hint="In your Slack time zone; it follows daylight-saving changes."),
    ]


def delivery_fields(channel_id: str | None, only_me: bool, only_changes: bool) -> list[Block]:
    options = [
        Option(value=ONLY_ME, text=plain("Only me (digests by direct message)", 75)),
        Option(value=ONLY_CHANGES, text=plain("Only when something changes", 75)),
    ]
    ticked = [o for o, on in zip(options, (only_me, only_changes), strict=True) if on]
    select = ConversationSelectElement(action_id="conversation", initial_conversation=channel_id) \
        if channel_id else ConversationSelectElement(action_id="conversation",
                                                     default_to_current_conversation=True)
    return [
        InputBlock(block_id=CHANNEL_BLOCK, label="Post digests in", optional=True,
                   element=select, hint="Leave empty, or tick Only me, for a direct message."),
        InputBlock(block_id=OPTIONS_BLOCK, label="Options", optional=True,
                   element=CheckboxesElement(action_id="options", options=options,
                                             initial_options=ticked or None)),
    ]


def cost_lines(cost: Cost) -> list[str]:
    per = "unknown yet (this grid has not been measured)" if cost.per_row is None \
        else f"{cost.per_row:,.1f} credits"
    lines = [f"Rows: *{cost.rows:,}* × credits per row: *{per}* × firings a month: "
             f"*{cost.per_month:,.2f}*"]
    if cost.monthly is not None:
        lines.append(f"About *{cost.monthly:,.0f}* credits a month (an estimate).")
    if cost.credits_left is not None:
        lines.append(f"Credits left: *{cost.credits_left:,}*"
                     + (" — less than a month of this watch." if cost.monthly is not None
                        and cost.monthly > cost.credits_left else ""))
    if cost.budget_problem:
        lines.append(f"⚠️ Budgets: {cost.budget_problem} A firing over a budget does not "
                     "start: the watch pauses and you are told.")
    elif budgets := budget_words(cost):
        lines.append(f"Budgets: {plural(cost.rows, 'row')} a firing, against {budgets}; "
                     "each firing fits today's and is checked again before it starts.")
    else:
        lines.append("Budgets: none set; each firing is checked again before it starts.")
    if cost.needs_approval:
        lines.append("⏳ This many rows need an admin's approval: the watch starts once an "
                     "admin approves it.")
    return lines


def budget_words(cost: Cost) -> str:
    """"your 500 rows a day and the workspace's 5,000 rows a day" (the budgets set)."""
    named = []
    if cost.person_budget is not None:
        named.append(f"your {plural(cost.person_budget, 'row')} a day")
    if cost.workspace_budget is not None:
        named.append(f"the workspace's {plural(cost.workspace_budget, 'row')} a day")
    return " and ".join(named)


def confirm_modal(session: str, *, what: str, cost: Cost) -> dict:
    blocks: list[Block] = [section(what), section("\n".join(cost_lines(cost)))]
    blocks.append(context("Each firing runs every row fresh and spends credits."))
    return modal("Save the watch", blocks, submit="Save watch", close="Back",
                 callback_id=CONFIRM_VIEW, private_metadata=session)


def saved_modal(watch: Watch) -> dict:
    if watch.state == "awaiting_approval":
        text = "⏳ Saved. It waits for an admin's approval; you'll hear in its thread."
    else:
        text = f"👀 Saved. {escape(describe_watch(watch))}"
    return modal("Watch saved", [section(text)])


# --- words -----------------------------------------------------------------------------


def where(watch: Watch) -> str:
    return channel_link(watch.channel_id) if watch.channel_id else "a direct message (Only me)"


def describe_watch(watch: Watch) -> str:
    noun = "row" if watch.rows == 1 else "rows"
    return (f"{watch.rows:,} {noun} of {watch.grid_name}, {watch.schedule.describe()}; "
            f"digests in {'direct messages' if not watch.channel_id else 'the channel'}")


def summary_line(watch: Watch, *, with_owner: bool = False) -> str:
    grid = f"*{escape(truncate(watch.grid_name, 120))}*"
    parts = [f"{STATE_WORDS.get(watch.state, watch.state)} {grid}",
             plural(watch.rows, "row"), escape(watch.schedule.describe())]
    if with_owner:
        parts.append(f"by {mention(watch.owner)}")
    lines = [" · ".join(parts)]
    nxt = when(watch.next_at) if watch.state == "active" else "—"
    last = escape(watch.last_result) if watch.last_result else "no firing yet"
    money = "unknown yet" if watch.monthly_credits is None \
        else f"about {watch.monthly_credits:,.0f} credits"
    lines.append(f"Next: {nxt} · Last: {last} · Cost a month: {money} · Digests: "
                 f"{where(watch)}")
    if watch.state == "paused" and watch.pause_reason:
        lines.append(f"Paused: {escape(truncate(watch.pause_reason, 300))}")
    return "\n".join(lines)


# --- the list ----------------------------------------------------------------------------


def list_blocks(watches: Sequence[Watch], *, everyone: bool) -> list[dict]:
    if not watches:
        return render([section(
            "No watches yet. `/bitscale watch <grid>` re-runs a grid on your rows on a "
            "schedule and posts only what changed.")])
    title = "All watches (you are an admin)" if everyone else "Your watches"
    blocks: list[Block] = [section(f"*{title}*")]
    for watch in watches[:MAX_LISTED]:
        blocks.append(section(summary_line(watch, with_owner=everyone), block_id=f"w:{watch.id}"))
        blocks.append(ActionsBlock(elements=controls(watch)))
    if len(watches) > MAX_LISTED:
        blocks.append(context(f"…and {len(watches) - MAX_LISTED} more."))
    return render(blocks)


def controls(watch: Watch) -> list:
    toggle = (button("Resume", RESUME_ACTION, watch.id, "primary") if watch.state == "paused"
              else button("Pause", PAUSE_ACTION, watch.id))
    delete = button("Delete", DELETE_ACTION, watch.id, "danger")
    delete.confirm = ConfirmObject(title="Delete this watch?", text=(
        "It stops firing. Its past digests stay in their thread."), confirm="Delete",
        deny="Keep it", style="danger")
    items = [button("Edit", EDIT_ACTION, watch.id), button("Run now", RUN_NOW_ACTION, watch.id),
             delete]
    return ([toggle] if watch.state != "awaiting_approval" else []) + items


# --- the thread --------------------------------------------------------------------------


def thread_message(watch: Watch, fallback_reason: str | None = None) -> tuple[str, list[dict]]:
    grid = escape(truncate(watch.grid_name, 150))
    text = (f"👀 {mention(watch.owner)} is watching {plural(watch.rows, 'row')} of *{grid}* "
            f"{escape(watch.schedule.describe())}. Each firing's digest arrives in this thread.")
    blocks: list[Block] = [section(text)]
    if fallback_reason:
        blocks.append(context(f"Posted here because {escape(fallback_reason)}."))
    blocks.append(context("`/bitscale watches` to pause, edit, run now or delete it."))
    return text, render(blocks)


def digest_message(
    watch: Watch, digest: Digest, *, late: str | None, scheduled: float
) -> tuple[str, list[dict]]:
    """One message for one firing. No change: one short line. Long lists are cut here;
    the attached CSV has every row."""
    headline = digest.headline()
    if digest.quiet and not digest.first:
        line = f"✅ No change in {digest.total:,} {digest.noun} ({when(scheduled)})."
        if late:
            line += f" {escape(late)}"
        return f"No change in {digest.total:,} {digest.noun}", render([section(line)])
    blocks: list[Block] = [section(f"🔔 *{escape(headline)}* · {when(scheduled)}")]
    if late:
        blocks.append(context(f"⏰ {escape(late)}"))
    blocks += _lines_blocks(digest.lines(), MAX_CHANGE_LINES, "changed rows")
    if digest.failing:
        blocks.append(section(f"*Failing now ({len(digest.failing):,})*"))
        blocks += _lines_blocks(digest.failure_lines(), MAX_FAILURE_LINES, "failing rows")
    blocks.append(context("The attached CSV has the full diff and the whole current table."))
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    return f"{headline} ({watch.grid_name})", render(blocks)


def _lines_blocks(lines: list[str], limit: int, what: str) -> list[Block]:
    """Lines packed into sections under Slack's 3,000 characters each, at most `limit`
    lines; the rest counted."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines[:limit]:
        text = "• " + escape(truncate(line, 600))
        if chunk and size + len(text) + 1 > MAX_SECTION_TEXT - 100:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(text)
        size += len(text) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if len(lines) > limit:
        blocks.append(context(f"…and {len(lines) - limit:,} more {what} in the attached file."))
    return blocks


def paused_message(watch: Watch) -> tuple[str, list[dict]]:
    why = escape(truncate(watch.pause_reason or "it could not run", 1500))
    text = (f"⏸️ {mention(watch.owner)}, this watch paused and will not fire until it is "
            f"resumed: {why}")
    blocks: list[Block] = [
        section(text),
        context("When the budget or credits allow it again, press Resume (or use "
                "`/bitscale watches`); it fires again at its next time."),
        ActionsBlock(elements=[button("Resume", RESUME_ACTION, watch.id, "primary")]),
    ]
    return text, render(blocks)


def home_lines(watches: Sequence[Watch], limit: int = 5) -> list[str]:
    return [summary_line(w) for w in watches[:limit]]
