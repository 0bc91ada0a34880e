"""The batch form's steps as modals: upload (grid and file), column mapping, preview."""

from __future__ import annotations

import hashlib
import math

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    InputInteractiveElement,
    Option,
    StaticSelectElement,
)

from bot.batches.rows import Plan
from bot.grids.catalog import RunForm
from bot.slack.blocks.common import (
    CHECKBOX_GROUP,
    MAX_MODAL_BLOCKS,
    context,
    message_modal,
    modal,
    section,
)
from bot.slack.blocks.fields import grid_picker, output_checkboxes
from bot.slack.text import escape, humanize_key, plain, plural, truncate

UPLOAD_VIEW = "batch_upload"
MAP_VIEW = "batch_map"
PREVIEW_VIEW = "batch_preview"
FILE_BLOCK = "batch_file"
FILE_ACTION = "file"
GRID_BLOCK = "batch_grid"
MAP_ACTION = "header"
BATCH_OUTPUTS_ACTION = "batch_columns"
FRESH_BLOCK = "batch_fresh"  # the preview's "Run all fresh" choice
FRESH_ACTION = "batch_fresh"
MAX_HEADER_OPTIONS = 100  # Slack's limit of options in a select
MAX_SKIPPED_SHOWN = 40


class FileInputElement(InputInteractiveElement):
    """Slack's `file_input` element (slack_sdk has no model for it yet)."""

    type = "file_input"

    @property
    def attributes(self) -> set[str]:  # type: ignore[override]
        return {"type", "action_id", "filetypes", "max_files"}

    def __init__(
        self, *, action_id: str, filetypes: list[str] | None = None, max_files: int = 1
    ) -> None:
        super().__init__(type=self.type, action_id=action_id)
        self.filetypes = filetypes
        self.max_files = max_files


def map_block_id(key: str) -> str:
    return "map_" + hashlib.sha1(key.encode()).hexdigest()[:16]


# --- the forms -------------------------------------------------------------------------


def upload_modal(
    session: str,
    *,
    grid_name: str | None,
    description: str = "",
    file_name: str | None = None,
    problem: str | None = None,
) -> dict:
    """Step 1: the grid (a picker when none was named) and the file (an upload field, or
    the file a message shortcut brought)."""
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f"⚠️ {escape(problem)}"))
    if grid_name:
        blocks.append(
            section(
                f"Enrich a CSV with *{escape(truncate(grid_name, 200))}*"
                + (f"\n{escape(truncate(description, 400))}" if description else "")
            )
        )
    else:
        blocks.append(grid_picker(GRID_BLOCK))
    if file_name:
        blocks.append(section(f"📄 File: *{escape(truncate(file_name, 200))}*"))
    else:
        blocks.append(
            InputBlock(
                block_id=FILE_BLOCK,
                label="CSV file",
                element=FileInputElement(action_id=FILE_ACTION, filetypes=["csv"], max_files=1),
                hint="One CSV file with a header row; each row becomes one run.",
            )
        )
    blocks.append(context("Next you match the file's columns to the grid's inputs."))
    return modal(
        "Batch enrichment",
        blocks,
        submit="Next",
        close="Cancel",
        callback_id=UPLOAD_VIEW,
        private_metadata=session,
    )


def map_modal(
    form: RunForm,
    session: str,
    *,
    file_name: str,
    rows: int,
    headers: list[str],
    preselected: dict[str, str],
    checked: list[str] | None = None,
) -> dict:
    """Step 2: one column picker per input (pre-selected by the label rule) and outputs."""
    groups = math.ceil(len(form.outputs) / CHECKBOX_GROUP)
    if len(form.input_keys) + groups + 2 > MAX_MODAL_BLOCKS:
        return message_modal(
            f"*{escape(form.grid_name)}* needs {len(form.input_keys)} inputs, more than a "
            "Slack form can hold. Run it from BitScale instead."
        )
    shown = headers[:MAX_HEADER_OPTIONS]
    options = [Option(value=str(i), text=plain(h, 75)) for i, h in enumerate(shown)]
    blocks: list[Block] = [
        section(
            f"*{escape(truncate(file_name, 150))}* → *{escape(truncate(form.grid_name, 150))}*: "
            f"{plural(rows, 'row')}. Pick the column that holds each input."
            + (
                f"\nOnly the first {MAX_HEADER_OPTIONS} of {len(headers)} columns can be offered."
                if len(headers) > MAX_HEADER_OPTIONS
                else ""
            )
        )
    ]
    for key in form.input_keys:
        chosen = preselected.get(key)
        initial = options[shown.index(chosen)] if chosen in shown else None
        blocks.append(
            InputBlock(
                block_id=map_block_id(key),
                optional=True,  # checked on submit, with a clearer message than Slack's
                label=plain(humanize_key(key), 2000),
                # Every input needs a column: said before Preview, not only after it.
                hint=plain(f"Required · sent to BitScale as {key}", 2000),
                element=StaticSelectElement(
                    action_id=MAP_ACTION,
                    placeholder="Pick a column",
                    options=options,
                    initial_option=initial,
                ),
            )
        )
    blocks += output_checkboxes(
        form.outputs,
        checked,
        action_id=BATCH_OUTPUTS_ACTION,
        first_label="Outputs (added as columns)",
    )
    return modal(
        "Match columns",
        blocks,
        submit="Preview",
        close="Cancel",
        callback_id=MAP_VIEW,
        private_metadata=session,
    )


def preview_modal(
    session: str,
    *,
    grid_name: str,
    file_name: str,
    plan: Plan,
    credits_left: int | None,
    cost_per_run: float | None,
    refusal: str | None = None,
    approval: str | None = None,
) -> dict:
    """Step 3: what will run and what it may cost, then Start or Cancel. `refusal` (mrkdwn)
    is what Start would be refused with (a budget): then there is no Start; `approval`
    says the batch will wait for an admin."""
    lines = [
        f"*{escape(truncate(file_name, 150))}* → *{escape(truncate(grid_name, 150))}*",
        f"• Rows in the file: *{plan.rows_total:,}*",
        # Rows of the sheet, as the progress and the summary count them.
        f"• Rows that will run: *{plan.rows_total - plan.skipped:,}*"
        + (
            f", {plan.runs - plan.reused:,} of them sent to BitScale"
            if plan.reused or plan.duplicates
            else ""
        ),
    ]
    if plan.reused:
        lines.append(
            f"• Reused: *{plan.reused:,}* {_rows(plan.reused)} answered by an earlier run "
            "within the reuse window; they cost nothing and the file marks them `reused`, with the "
            "date of that run"
        )
    if plan.duplicates:
        lines.append(
            f"• Exact duplicates: *{plan.duplicates:,}* {_rows(plan.duplicates)} "
            f"{'repeats' if plan.duplicates == 1 else 'repeat'} an earlier row; each is run "
            "once and the copies get its result"
        )
    if plan.skipped:
        has = "has" if plan.skipped == 1 else "have"
        lines.append(f"• Skipped: *{plan.skipped:,}* {_rows(plan.skipped)} {has} an empty input")
    blocks: list[Block] = [section("\n".join(lines))]
    if plan.skipped_rows:
        shown = [
            f"{n} ({humanize_key(k) if k else 'empty row'})"
            for n, k in plan.skipped_rows[:MAX_SKIPPED_SHOWN]
        ]
        more = plan.skipped - len(shown)
        blocks.append(
            context(
                "Skipped rows (numbered as in your sheet, the header is row 1): "
                + escape(", ".join(shown))
                + (f", and {more:,} more" if more > 0 else "")
            )
        )
    estimate = None if cost_per_run is None else cost_per_run * (plan.runs - plan.reused)
    money = [
        f"• Credits left: *{credits_left:,}*"
        if credits_left is not None
        else "• Credits left: unknown (BitScale did not answer)"
    ]
    if estimate is None:
        money.append(
            "• Estimated cost: *unknown yet*. This grid's cost per row has not been measured; "
            "the bot measures it while a batch of this grid runs."
        )
    else:
        money.append(
            f"• Estimated cost: about *{math.ceil(estimate):,}* credits "
            f"({_per_run(cost_per_run)} per row, measured on this grid's recent runs)"
        )
    blocks.append(section("\n".join(money)))
    if estimate is not None and credits_left is not None and estimate > credits_left:
        blocks.append(
            section(
                "⚠️ The estimate is more than the credits left. The batch pauses when the "
                "credits run out; top up first, or start a smaller file."
            )
        )
    if plan.runs == 0:
        blocks.append(
            section(
                "Nothing to run: every row is skipped. Fill in the empty cells, "
                "or match other columns."
            )
        )
        return modal("Batch preview", blocks, close="Close", private_metadata=session)
    if refusal:
        blocks.append(section(f"🚫 *This batch cannot start:* {refusal}"))
        # callback_id kept: a Start pressed on an older copy of this form is refused too
        return modal(
            "Batch preview", blocks, close="Close", callback_id=PREVIEW_VIEW,
            private_metadata=session,
        )  # fmt: skip
    if approval:
        blocks.append(section(approval))
    blocks.append(
        context("Each row adds a row to the grid and spends credits. Progress is posted here.")
    )
    if plan.reused:
        blocks.append(fresh_choice(plan.reused))
    return modal(
        "Batch preview",
        blocks,
        submit="Start",
        close="Cancel",
        callback_id=PREVIEW_VIEW,
        private_metadata=session,
    )


def fresh_choice(reused: int) -> InputBlock:
    """Ignore earlier results for this batch: every row is sent (and spends credits)."""
    more = "row" if reused == 1 else f"{reused:,} rows"
    return InputBlock(
        block_id=FRESH_BLOCK,
        label=plain("Earlier results", 2000),
        optional=True,
        element=CheckboxesElement(
            action_id=FRESH_ACTION,
            options=[
                Option(
                    value="fresh",
                    label="Run all fresh",
                    description=truncate(f"Send the {more} too and spend credits on them", 75),
                )
            ],
        ),
    )


def _rows(count: int) -> str:
    return "row" if count == 1 else "rows"


def _per_run(cost: float | None) -> str:
    if cost is None:
        return "?"
    return f"{cost:,.1f}".rstrip("0").rstrip(".") + (" credit" if cost == 1 else " credits")


# --- the channel messages -----------------------------------------------------------------
