"""The batch forms: upload (grid and file) → match columns → preview → start.

All three steps are one modal (one view id), so submitting the same form twice starts one
batch. Slow work (downloading, checking, counting) runs after the ack, and the modal is
updated in place; a bad file brings the upload step back with the problem at the top.
Each step lives in its own module; this one names the entry points the listeners use.
"""

from bot.slack.batch_mapping import handle_map
from bot.slack.batch_preview import handle_preview, show_preview
from bot.slack.batch_session import EXPIRED
from bot.slack.batch_upload import handle_upload, open_batch_form, read_file

__all__ = [
    "EXPIRED",
    "handle_map",
    "handle_preview",
    "handle_upload",
    "open_batch_form",
    "read_file",
    "show_preview",
]
