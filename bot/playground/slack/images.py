"""Image blocks as Slack checks them: `alt_text` (at most 2,000 characters) and exactly one
source, an `image_url` or a `slack_file` naming exactly one of `url` or `id`. A `slack_file`
id looks like F + at least 8 capitals or digits and must be an image file the bot may see
(one it uploaded, or one shared with it); anything else is `invalid_blocks`, as in Slack."""

from __future__ import annotations

import re
from typing import Any

from bot.playground.slack.records import SlackError

FILE_ID = re.compile(r"^F[A-Z0-9]{8,}$")
IMAGE_TYPES = ("png", "jpg", "jpeg", "gif")


def check_images(blocks: Any, files: dict[str, dict]) -> None:
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") == "image":
            _check(block, files)


def _check(block: dict, files: dict[str, dict]) -> None:
    alt = block.get("alt_text")
    if not isinstance(alt, str) or not alt or len(alt) > 2000:
        raise SlackError("invalid_blocks")
    has_url, slack_file = "image_url" in block, block.get("slack_file")
    if has_url == (slack_file is not None):
        raise SlackError("invalid_blocks")
    if has_url:
        return
    if not isinstance(slack_file, dict) or ("id" in slack_file) == ("url" in slack_file):
        raise SlackError("invalid_blocks")
    if "url" in slack_file:
        record = next(
            (
                f
                for f in files.values()
                if slack_file["url"] in (f.get("url_private"), f.get("permalink"))
            ),
            None,
        )
    else:
        if not FILE_ID.match(str(slack_file["id"])):
            raise SlackError("invalid_blocks")
        record = files.get(slack_file["id"])
    if record is None or not record.get("content") or not is_image(record):
        raise SlackError("invalid_blocks")
    if not (record.get("uploaded_by_bot") or record.get("shared")):
        raise SlackError("invalid_blocks")


def is_image(record: dict) -> bool:
    name = str(record.get("filename") or record.get("name") or "").lower()
    return name.rsplit(".", 1)[-1] in IMAGE_TYPES or str(record.get("mimetype") or "").startswith(
        "image/"
    )
