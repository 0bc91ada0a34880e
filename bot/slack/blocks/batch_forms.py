"""The batch form's first two steps as modals: upload (grid and file) and column mapping
(the last step, the preview, is in batch_preview.py)."""

from __future__ import annotations

import hashlib
import math

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    InputInteractiveElement,
    Option,
    StaticSelectElement,
)

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
FILE_BLOCK = "batch_file"
FILE_ACTION = "file"
GRID_BLOCK = "batch_grid"
MAP_ACTION = "header"
BATCH_OUTPUTS_ACTION = "batch_columns"
MAX_HEADER_OPTIONS = 100  # Slack's limit of options in a select


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
