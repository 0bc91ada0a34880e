"""The grid list, the grid picker and "which grid did you mean?"."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    DividerBlock,
    Option,
)

from bot.providers.bitscale.models import GridPage, GridSummary
from bot.slack.blocks.common import (
    GRIDS_PAGE_ACTION,
    GRIDS_PER_PAGE,
    PICK_GRID_ACTION,
    RUN_GRID_ACTION,
    button,
    modal,
    render,
    section,
)
from bot.slack.text import escape, plain, plural, truncate

NO_SOURCE = (
    "_No BitScale API source yet, so it cannot run from Slack: its owner can add one in "
    "the grid's Data source settings._"
)


def grids_page_blocks(
    page: GridPage,
    search: str | None,
    runnable: set[str] | None = None,
    sourceless: set[str] | None = None,
) -> list[dict]:
    """The grid list; with `runnable`, only those grids get a Run button (grid access);
    grids in `sourceless` have no API source to run through, so no Run button either."""
    if not page.grids:
        what = f" matching “{escape(search)}”" if search else ""
        return render([section(f"No grids{what}. Try `/bitscale grids` without a search.")])
    heading = (
        f"*Grids{f' matching “{escape(search)}”' if search else ''}* "
        f"— {page.total} in all, page {page.page} of {max(page.total_pages, 1)}"
    )
    blocks: list[Block] = [section(heading), DividerBlock()]
    for grid in page.grids[:GRIDS_PER_PAGE]:
        # Each row is keyed by its grid, not its place, and its Run button carries the
        # grid's id: a press on a list since redrawn opens the grid its row names.
        row = grid_block_id(grid.id)
        if sourceless and grid.id in sourceless:
            blocks.append(section(grid_line(grid) + "\n" + NO_SOURCE, block_id=row))
        elif runnable is None or grid.id in runnable:
            run = button("Run", RUN_GRID_ACTION, grid.id, "primary")
            blocks.append(section(grid_line(grid), accessory=run, block_id=row))
        else:
            blocks.append(section(grid_line(grid) + "\n_🔒 Not available to you_", block_id=row))
    nav = []
    if page.page > 1:
        nav.append(
            button("◀ Previous", f"{GRIDS_PAGE_ACTION}_prev", _page_value(search, page.page - 1))
        )
    if page.page < page.total_pages:
        nav.append(
            button("Next ▶", f"{GRIDS_PAGE_ACTION}_next", _page_value(search, page.page + 1))
        )
    if nav:
        blocks.append(ActionsBlock(elements=nav))
    return render(blocks)


def grid_block_id(grid_id: str) -> str:
    """A grid row's block id: the same for the grid in every drawing of the list (grid ids
    may be longer than a block id may be)."""
    return "grid_" + hashlib.sha1(grid_id.encode()).hexdigest()[:16]


def grid_line(grid: GridSummary) -> str:
    rows = plural(grid.row_count, "row") if grid.row_count is not None else "rows unknown"
    desc = escape(truncate(grid.description or "", 300))
    return f"*{escape(truncate(grid.name, 150))}*\n{desc + chr(10) if desc else ''}_{rows}_"


def _page_value(search: str | None, page: int) -> str:
    return json.dumps({"q": (search or "")[:500], "p": page})


def choices_modal(query: str, grids: Sequence[GridSummary], session: str) -> dict:
    blocks: list[Block] = [
        section(f"Several grids match “{escape(truncate(query, 100))}”. Which one?")
    ]
    for grid in grids[:20]:
        blocks.append(
            section(grid_line(grid), accessory=button("Choose", PICK_GRID_ACTION, grid.id))
        )
    return modal("Pick a grid", blocks, private_metadata=session)


def not_found_text(query: str, closest: Sequence[str]) -> str:
    text = f"I found no grid called “{escape(truncate(query, 100))}”."
    if closest:
        names = ", ".join(f"*{escape(truncate(n, 80))}*" for n in closest)
        text += f" Closest names: {names}."
    return text + " Use `/bitscale grids` to see them all."


# The value of the one option shown while the grid list is still loading: picking it
# picks no grid.
LOADING_GRIDS = "loading-grids"


def grid_options(grids: Sequence[GridSummary], *, loading: bool = False) -> list[dict]:
    if loading:
        text = "⏳ Loading grids… type another letter in a moment"
        return [Option(value=LOADING_GRIDS, text=text).to_dict("block")]
    return [Option(value=g.id[:150], text=plain(g.name, 75)).to_dict("block") for g in grids[:100]]
