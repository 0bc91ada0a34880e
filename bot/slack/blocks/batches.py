"""Batch surfaces, one module each: the form's first steps (batch_forms.py), its preview
(batch_preview.py) and the channel messages (batch_messages.py). Imported together as `kit`
by the batch listeners."""

from bot.slack.blocks.batch_forms import (
    BATCH_OUTPUTS_ACTION,
    FILE_ACTION,
    FILE_BLOCK,
    GRID_BLOCK,
    MAP_ACTION,
    MAP_VIEW,
    MAX_HEADER_OPTIONS,
    UPLOAD_VIEW,
    FileInputElement,
    map_block_id,
    map_modal,
    upload_modal,
)
from bot.slack.blocks.batch_messages import (
    CANCEL_BATCH_ACTION,
    RESUME_BATCH_ACTION,
    batch_notice,
    pause_message,
    progress_message,
    summary_message,
)
from bot.slack.blocks.batch_preview import (
    FRESH_ACTION,
    FRESH_BLOCK,
    MAX_SKIPPED_SHOWN,
    PREVIEW_VIEW,
    fresh_choice,
    preview_modal,
)

__all__ = [
    "BATCH_OUTPUTS_ACTION",
    "CANCEL_BATCH_ACTION",
    "FILE_ACTION",
    "FILE_BLOCK",
    "FRESH_ACTION",
    "FRESH_BLOCK",
    "GRID_BLOCK",
    "MAP_ACTION",
    "MAP_VIEW",
    "MAX_HEADER_OPTIONS",
    "MAX_SKIPPED_SHOWN",
    "PREVIEW_VIEW",
    "RESUME_BATCH_ACTION",
    "UPLOAD_VIEW",
    "FileInputElement",
    "batch_notice",
    "fresh_choice",
    "map_block_id",
    "map_modal",
    "pause_message",
    "preview_modal",
    "progress_message",
    "summary_message",
    "upload_modal",
]
