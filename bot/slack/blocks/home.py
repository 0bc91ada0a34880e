"""The App Home tab as a dashboard: what is yours (runs, batches), credits left, a Run
button and the help; for admins also today's usage and the batches waiting for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from slack_sdk.models.blocks import ActionsBlock, Block, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.providers.bitscale.models import Workspace
from bot.slack.blocks.common import MAX_MODAL_BLOCKS, bar, button, context, section, when
from bot.slack.blocks.help import help_blocks
from bot.slack.blocks.status import runs_list_blocks
from bot.slack.text import channel_link, escape, mention, plain, plural, truncate
from bot.store.run_record import Run

HOME_RUN_ACTION = "home_run_grid"
HOME_ADMIN_ACTION = "home_admin_form"
BATCH_EMOJI = {
    "awaiting_approval": "⏳",
    "preparing": "📦",
    "running": "📦",
    "paused": "⏸️",
    "done": "✅",
    "cancelled": "🚫",
    "denied": "❌",
}
BATCH_WORDS = {
    "awaiting_approval": "waiting for approval",
    "preparing": "starting",
    "running": "running",
    "paused": "paused",
    "done": "done",
    "cancelled": "cancelled",
    "denied": "denied",
}


@dataclass
class BatchLine:
    """A batch as the Home tab shows it: its state and how far it got."""

    id: str
    grid_name: str
    file_name: str
    state: str
    created_at: float
    finished: int  # runs done or failed
    total: int
    channel_id: str | None = None
    user_id: str | None = None
    rows: int = 0


@dataclass
class AdminHome:
    runs_today: int = 0
    rows_today: int = 0
    failed_today: int = 0
    people_today: int = 0
    budget_rows: int | None = None  # the workspace's rows-per-day budget, when one is set
    pending: list[BatchLine] = field(default_factory=list)
    approve_action: str | None = None  # the approval buttons, when approvals exist
    deny_action: str | None = None
    pending_values: dict[str, str] = field(default_factory=dict)  # batch id → button value
    admin_form: bool = False  # show the button that opens the admin form
    forecast: list[str] = field(default_factory=list)  # the forecast's lines (forecast.py)
    charts: list[Block] = field(default_factory=list)  # each chart: its line and its image


@dataclass
class HomeData:
    user_id: str
    runs: Sequence[Run] = ()
    batches: Sequence[BatchLine] = ()
    workspace: Workspace | None = None
    credits_problem: str | None = None
    admin: AdminHome | None = None
    watches: Sequence[str] = ()  # one summary line each (blocks/watches.py)


def credits_line(data: HomeData) -> str:
    if data.workspace is None:
        why = escape(data.credits_problem or "BitScale did not answer")
        return f"💳 Credits: unknown right now ({why}). `/bitscale credits` tries again."
    c = data.workspace.credits
    return (
        f"💳 *{c.remaining:,} credits left* of {c.total:,} · `{bar(c.remaining, c.total, 12)}`"
    )


def batch_line(b: BatchLine, with_owner: bool = False) -> str:
    grid = escape(truncate(b.grid_name, 80))
    file = escape(truncate(b.file_name, 60))
    where = f" · {channel_link(b.channel_id)}" if b.channel_id else ""
    owner = f"{mention(b.user_id)} · " if with_owner and b.user_id else ""
    progress = (
        f" · `{bar(b.finished, b.total, 10)}` {b.finished:,}/{b.total:,}" if b.total else ""
    )
    rows = f" · {plural(b.rows, 'row')}" if b.rows and with_owner else ""
    return (
        f"{BATCH_EMOJI.get(b.state, '•')} {owner}*{grid}* ({file}) — "
        f"{BATCH_WORDS.get(b.state, escape(b.state))}{progress}{rows}{where}"
        f" · {when(b.created_at)}"
    )


def _admin_blocks(admin: AdminHome) -> list[Block]:
    blocks: list[Block] = [
        DividerBlock(),
        HeaderBlock(text=plain("Admin", 150)),
        section(
            f"*Today:* {plural(admin.runs_today, 'run')} · {plural(admin.rows_today, 'row')} · "
            f"{admin.failed_today:,} failed · {plural(admin.people_today, 'person', 'people')}"
            + (
                f"\nWorkspace budget: {admin.rows_today:,} of {admin.budget_rows:,} rows used"
                if admin.budget_rows is not None
                else ""
            )
        ),
    ]
    if admin.forecast:
        blocks.append(section("\n".join(admin.forecast)))
    blocks += admin.charts
    if admin.pending:
        blocks.append(section(f"*Batches waiting for your approval ({len(admin.pending)})*"))
        for b in admin.pending[:10]:
            value = admin.pending_values.get(b.id)
            if admin.approve_action and admin.deny_action and value:
                blocks.append(section(batch_line(b, with_owner=True)))
                blocks.append(
                    ActionsBlock(
                        elements=[
                            button("Approve", admin.approve_action, value, "primary"),
                            button("Deny", admin.deny_action, value, "danger"),
                        ]
                    )
                )
            else:
                blocks.append(section(batch_line(b, with_owner=True)))
    else:
        blocks.append(context("No batches are waiting for approval."))
    if admin.admin_form:
        blocks.append(
            ActionsBlock(elements=[button("Open the admin form", HOME_ADMIN_ACTION, "admin")])
        )
    return blocks


def home_view(data: HomeData) -> dict:
    """The App Home tab for one person."""
    blocks: list[Block] = [
        HeaderBlock(text=plain("BitScale", 150)),
        section(
            "Run a grid and the enriched result comes back in Slack.",
            accessory=button("Run a grid", HOME_RUN_ACTION, "run", "primary"),
        ),
        section(credits_line(data)),
        DividerBlock(),
    ]
    blocks += [Block.parse(b) for b in runs_list_blocks(data.runs)]
    if data.batches:
        lines = "\n".join(batch_line(b) for b in data.batches)
        blocks += [section(f"*Your recent batches*\n{lines}")]
    if data.watches:
        lines = "\n\n".join(data.watches)
        blocks += [section(f"*Your watches* (`/bitscale watches` to manage them)\n{lines}")]
    if data.admin is not None:
        blocks += _admin_blocks(data.admin)
    blocks += [DividerBlock(), *[Block.parse(b) for b in help_blocks()]]
    if len(blocks) > MAX_MODAL_BLOCKS:
        blocks = blocks[: MAX_MODAL_BLOCKS - 1] + [context("…more in `/bitscale runs`.")]
    return View(type="home", blocks=blocks).to_dict()
