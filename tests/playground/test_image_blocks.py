"""The Slack stand-in checks image blocks as Slack does: alt text, one source, and a
slack_file that names an image file the bot may see."""

from __future__ import annotations

import pytest

from bot.playground.slack.images import check_images
from bot.playground.slack.records import SlackError

FILES = {
    "F0000000001": {"filename": "chart.png", "content": b"\x89PNG", "uploaded_by_bot": True},
    "F0000000002": {"filename": "leads.csv", "content": b"a,b", "uploaded_by_bot": True},
    "F0000000003": {"filename": "other.png", "content": b"\x89PNG", "shared": False},
}


def image(**fields):
    return [{"type": "image", "alt_text": "Credits left", **fields}]


def test_an_uploaded_image_by_id_or_an_image_url_is_accepted():
    check_images(image(slack_file={"id": "F0000000001"}), FILES)
    check_images(image(image_url="https://example.com/a.png"), FILES)


@pytest.mark.parametrize(
    "blocks",
    [
        image(slack_file={"id": "F01"}),  # not an id Slack would make
        image(slack_file={"id": "F0000000009"}),  # no such file
        image(slack_file={"id": "F0000000002"}),  # not an image
        image(slack_file={"id": "F0000000003"}),  # someone else's, not shared
        image(slack_file={"id": "F0000000001", "url": "x"}),  # two sources in one
        image(slack_file={"id": "F0000000001"}, image_url="https://example.com/a.png"),
        image(),  # no source at all
        [{"type": "image", "slack_file": {"id": "F0000000001"}}],  # no alt text
    ],
)
def test_anything_else_is_invalid_blocks(blocks):
    with pytest.raises(SlackError) as raised:
        check_images(blocks, FILES)
    assert raised.value.error == "invalid_blocks"
