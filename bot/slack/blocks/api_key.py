"""Set API key, in the admin form: how an admin gives the bot a key from BitScale's
settings (after a rotation whose answer was lost) without shell access. The key is typed
once into this modal and never shown again anywhere."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, InputBlock, PlainTextInputElement

from bot.providers.bitscale.key_check import KEYS_PAGE
from bot.slack.blocks.common import button, context, message_modal, modal, section
from bot.slack.text import escape, plain

SET_KEY_ACTION = "admin_set_key"
SET_KEY_VIEW = "set_key_view"
KEY_BLOCK = "api_key"
VALUE = "value"
TITLE = "Set API key"


def set_key_button() -> ActionsBlock:
    """Under the key line of the admin form, beside Rotate."""
    return ActionsBlock(elements=[button("Set API key…", SET_KEY_ACTION, "set")])


def set_key_modal() -> dict:
    return modal(
        TITLE,
        [
            section(
                f"Paste a key from *{KEYS_PAGE}*. The bot checks it with BitScale, then uses "
                "it at once and after restarts, in place of BITSCALE_API_KEY. Use this when "
                "a rotation's answer was lost and the bot's key no longer works."
            ),
            InputBlock(
                block_id=KEY_BLOCK,
                label=plain("API key", 2000),
                element=PlainTextInputElement(action_id=VALUE, placeholder=plain("bsk_…", 150)),
            ),
            context("The key is stored like a rotated key and is never shown again."),
        ],
        submit="Set key",
        callback_id=SET_KEY_VIEW,
        close="Cancel",
    )


def checking_modal() -> dict:
    return message_modal("⏳ Checking the key with BitScale…", TITLE)


def set_key_result_modal(sentence: str) -> dict:
    return message_modal(escape(sentence), TITLE)
