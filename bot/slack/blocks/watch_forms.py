"""The watch form's screens: the form (rows, outputs to compare, schedule, where digests
go), the cost before saving, and the answer once saved. watch_form.py and watch_save.py
run the steps and read the submitted state back by these block ids."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ConversationSelectElement,
    InputBlock,
    Option,
    StaticSelectElement,
    TimePickerElement,
)

from bot.grids.catalog import Column
from bot.slack.blocks.batch_forms import FileInputElement
from bot.slack.blocks.common import OUTPUTS_ACTION, context, modal, section
from bot.slack.blocks.fields import output_checkboxes
from bot.slack.blocks.watches import describe_watch
from bot.slack.text import escape, plain, plural, truncate
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
