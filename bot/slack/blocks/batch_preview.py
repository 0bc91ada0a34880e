"""The batch form's last step as a modal: the preview (rows, runs, reused answers, credits),
then Start or Cancel."""

from __future__ import annotations

import math

from slack_sdk.models.blocks import Block, CheckboxesElement, InputBlock, Option

from bot.batches.rows import Plan
from bot.slack.blocks.common import context, modal, section
from bot.slack.text import escape, humanize_key, plain, truncate

PREVIEW_VIEW = "batch_preview"
FRESH_BLOCK = "batch_fresh"  # the preview's "Run all fresh" choice
FRESH_ACTION = "batch_fresh"
MAX_SKIPPED_SHOWN = 40


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
