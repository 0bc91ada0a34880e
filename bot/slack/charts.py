"""Charts in Slack: the PNG uploaded with files_upload_v2 (to no channel: the bot's own file)
and shown by an image block that names it (`slack_file`), under the chart's sentence. If
the drawing or the upload fails, the sentence stands alone; a message whose image Slack
will not show yet (`invalid_blocks` right after an upload) is sent again without it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import Block, ImageBlock

from bot.insight.charts import Chart
from bot.slack.blocks.common import context
from bot.slack.text import escape, plain

log = logging.getLogger(__name__)

MAX_ALT = 2000


def upload(client: WebClient, chart: Chart) -> str | None:
    """The uploaded file's id, or None (no picture, or Slack refused it)."""
    if chart.png is None:
        return None
    try:
        answer = client.files_upload_v2(
            content=chart.png,
            filename=chart.name,
            title=chart.title,
            alt_txt=chart.line[:MAX_ALT],
        )
        return (answer.get("file") or {}).get("id")
    except (SlackClientError, URLError, OSError) as exc:
        log.warning("chart %s not uploaded: %s", chart.name, exc)
        return None


def chart_blocks(client: WebClient, chart: Chart) -> list[Block]:
    """The chart's sentence, and its picture when it could be uploaded."""
    blocks: list[Block] = [context(f"📊 {escape(chart.line)}")]
    file_id = upload(client, chart)
    if file_id:
        blocks.append(
            ImageBlock(
                slack_file={"id": file_id},
                alt_text=chart.line[:MAX_ALT],
                title=plain(chart.title, 2000),
            )
        )
    return blocks


def without_images(blocks: list[dict]) -> list[dict]:
    return [b for b in blocks if b.get("type") != "image"]


def post_with_charts(
    client: WebClient,
    send: Callable[[list[dict]], Any],
    blocks: list[dict],
    *,
    wait: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """`send(blocks)`; when Slack says the image is not ready, once more after `wait`, then
    without the pictures (their sentences are in the message already)."""
    for attempt in range(2):
        try:
            return send(blocks)
        except SlackApiError as exc:
            if exc.response.get("error") != "invalid_blocks" or not any(
                b.get("type") == "image" for b in blocks
            ):
                raise
            if attempt == 0:
                sleep(wait)
    log.warning("Slack would not show the charts; sending their sentences alone")
    return send(without_images(blocks))
