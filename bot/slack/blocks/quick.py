"""Quick runs: the channel's default grid (`/bitscale default`) and the replies to a
mention that names a lead."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block

from bot.slack.blocks.common import button, context, render, section
from bot.slack.text import channel_link, escape, humanize_key, mention, truncate

OPEN_FORM_ACTION = "open_prefilled_form"
DEFAULT_USAGE = (
    "`/bitscale default <grid>` sets this channel's default grid, `/bitscale default` shows "
    "it and `/bitscale default off` clears it."
)


def _grid(name: str) -> str:
    return f"*{escape(truncate(name, 150))}*"


def default_set_text(grid_name: str, channel_id: str) -> str:
    return (
        f"{_grid(grid_name)} is now the default grid of {channel_link(channel_id)}. Mention me "
        "with a lead (for example `@BitScale acme.com`) and I'll run it, replying in the thread."
    )


def default_shown_text(grid_name: str | None, channel_id: str, set_by: str | None = None) -> str:
    if grid_name is None:
        return (
            f"{channel_link(channel_id)} has no default grid. Set one with "
            "`/bitscale default <grid>`, for example `/bitscale default Company Enrichment`."
        )
    who = f" (set by {mention(set_by)})" if set_by else ""
    return (
        f"The default grid of {channel_link(channel_id)} is {_grid(grid_name)}{who}. "
        "`/bitscale default off` clears it."
    )


def default_cleared_text(grid_name: str | None, channel_id: str) -> str:
    if grid_name is None:
        return f"{channel_link(channel_id)} had no default grid; nothing to clear."
    return (
        f"{channel_link(channel_id)} no longer has a default grid (it was {_grid(grid_name)})."
    )


def default_choices_text(query: str, names: list[str]) -> str:
    listed = ", ".join(_grid(n) for n in names[:10])
    return (
        f"Several grids match “{escape(truncate(query, 80))}”: {listed}. "
        "Say which with its full name or id: `/bitscale default <grid>`."
    )


def no_default_blocks() -> tuple[str, list[dict]]:
    text = (
        "This channel has no default grid, so I don't know which grid to run. Set one with "
        "`/bitscale default <grid>` (for example `/bitscale default Company Enrichment`), or "
        "open a form with `/bitscale run <grid>`."
    )
    return text, render([section(text)])


def open_form_blocks(
    grid_name: str, filled: list[str], missing: list[str], session: str
) -> tuple[str, list[dict]]:
    """A mention that could not fill every input: offer the form, pre-filled."""
    need = ", ".join(escape(humanize_key(k)) for k in missing[:10]) or "the inputs"
    if filled:
        got = ", ".join(escape(humanize_key(k)) for k in filled[:10])
        head = (
            f"I found {got} for {_grid(grid_name)} in your message, but not {need}. "
            "Open the form to fill in the rest."
        )
    else:
        head = (
            f"I couldn't find {need} for {_grid(grid_name)} in your message. Open the form "
            "to fill it in."
        )
    blocks: list[Block] = [
        section(head),
        ActionsBlock(elements=[button("Open the form", OPEN_FORM_ACTION, session, "primary")]),
        context("Nothing runs until you press *Run* in the form."),
    ]
    return f"{grid_name}: open the form to fill in the rest", render(blocks)
