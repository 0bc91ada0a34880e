"""The admin form's API key screens. Rotate API key: the warning, then the new key, shown
once to the admin who rotated it. Set API key: how an admin gives the bot a key from
BitScale's settings (after a rotation whose answer was lost) without shell access; the key
is typed once into that modal and never shown again anywhere."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, InputBlock, PlainTextInputElement

from bot.providers.bitscale.key_check import KEYS_PAGE
from bot.slack.blocks.common import button, context, message_modal, modal, section
from bot.slack.text import escape, plain

ROTATE_ACTION = "admin_rotate_key"
ROTATE_VIEW = "rotate_key_view"
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


def rotate_confirm_modal() -> dict:
    return modal(
        "Rotate API key",
        [
            section(
                "⚠️ *Rotating the BitScale API key stops every other integration that uses "
                "the current key at once* (scripts, CI, MCP clients, other tools). The bot "
                "switches to the new key by itself, without a restart.\n\n"
                "The new key is shown to you once, on the next screen. Store it in your "
                "password manager, then give it to the other integrations."
            )
        ],
        submit="Rotate now",
        callback_id=ROTATE_VIEW,
        close="Cancel",
    )


def rotating_modal() -> dict:
    return message_modal("⏳ Rotating the key…", "Rotate API key")


def new_key_modal(key: str) -> dict:
    """The only place the key is ever shown: this modal, to the admin who rotated it."""
    return modal(
        "New API key",
        [
            section("✅ The key was rotated. The bot already uses the new key."),
            section(f"```{key}```"),
            context(
                "⚠️ Copy it now and store it safely: this is the only time it is shown. "
                "The old key no longer works anywhere. The bot keeps the key in its database, "
                "where it takes precedence over BITSCALE_API_KEY (see the README)."
            ),
        ],
    )


def rotation_failed_modal(sentence: str, key: str | None = None) -> dict:
    blocks: list[Block] = [section(f"⚠️ {escape(sentence)}")]
    if key:
        blocks.append(section(f"```{key}```"))
    return modal("Rotate API key", blocks)
