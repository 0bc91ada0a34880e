"""Block Kit builders: pure functions from data to Slack payloads.

Built with `slack_sdk.models`, whose `to_dict()` refuses most of Slack's limits; the limits
it does not check (50 blocks a message, 100 a modal, 3,000 characters of private
metadata) are checked here, so a violation fails in a test instead of in front of a user.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationSelectElement,
    DividerBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.bitscale.models import GridPage, GridSummary, Workspace
from bot.catalog import RunForm
from bot.credits import CreditAlert
from bot.slack.text import (
    channel_link,
    escape,
    format_value,
    full_value,
    humanize_key,
    mention,
    plain,
    truncate,
)
from bot.store import Run

MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_METADATA = 3000
MAX_INPUT_CHARS = 2000  # longer input values are refused inside the modal
VALUE_PREVIEW_CHARS = 700  # longer outputs are cut in the thread; the file has them whole
MAX_OUTPUT_SECTIONS = 40
CHECKBOX_GROUP = 10  # Slack's limit of options per checkbox group
GRIDS_PER_PAGE = 10

# action and callback ids, shared with the listeners
RUN_GRID_ACTION = "run_grid"
GRIDS_PAGE_ACTION = "grids_page"
RUN_AGAIN_ACTION = "run_again"
PICK_GRID_ACTION = "pick_grid"
OUTPUTS_ACTION = "columns"
RUN_VIEW = "run_view"
SHORTCUT_VIEW = "pick_view"
POST_IN_BLOCK = "post_in"

STATE_EMOJI = {
    "queued": "⏳",
    "submitting": "⏳",
    "running": "⏳",
    "completed": "✅",
    "failed": "❌",
    "expired": "⌛",
    "interrupted": "⚠️",
}
STATE_WORDS = {
    "queued": "waiting to start",
    "submitting": "running",
    "running": "running",
    "completed": "completed",
    "failed": "failed",
    "expired": "expired",
    "interrupted": "interrupted",
}


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT))


def section(text: str, accessory: Any = None, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=_md(text), accessory=accessory, block_id=block_id)


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[_md(text)])


def button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=plain(label, 75), action_id=action_id, value=value, style=style)


def render(blocks: Sequence[Block], limit: int = MAX_MESSAGE_BLOCKS) -> list[dict]:
    if len(blocks) > limit:
        raise ValueError(f"{len(blocks)} blocks is over Slack's limit of {limit}")
    return [b.to_dict() for b in blocks]


def _when(epoch: float | None) -> str:
    """A Slack date token: each reader sees it in their own time zone."""
    if not epoch:
        return "—"
    fallback = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(epoch)}^{{date_short_pretty}} {{time}}|{fallback}>"


def _summary(inputs: dict[str, Any], limit: int = 400) -> str:
    parts = [f"{humanize_key(k)}: {truncate(format_value(v), 80)}" for k, v in inputs.items()]
    return escape(truncate(" · ".join(parts), limit)) if parts else "no inputs"


# --- help and small replies ---------------------------------------------------------------

COMMANDS = [
    ("help", "`/bitscale help`", "Show this help."),
    (
        "grids",
        "`/bitscale grids [search]`",
        "List the workspace's grids, with a Run button "
        "for each. Example: `/bitscale grids company`",
    ),
    (
        "run",
        "`/bitscale run <grid name or id>`",
        "Open the form to run a grid. Example: `/bitscale run Company Enrichment`",
    ),
    ("status", "`/bitscale status <request id>`", "Show where a run is, and its result when done."),
    ("runs", "`/bitscale runs`", "Your 10 most recent runs, with links to their threads."),
    ("credits", "`/bitscale credits`", "The workspace's plan, credits and searches left."),
]


def help_blocks(intro: str | None = None) -> list[dict]:
    if intro is None:
        return [dict(b) for b in _PLAIN_HELP]
    return _help_blocks(intro)


def _help_blocks(intro: str | None) -> list[dict]:
    blocks: list[Block] = []
    if intro:
        blocks.append(section(intro))
    blocks.append(
        section(
            "*BitScale for Slack* runs your BitScale grids without leaving Slack: pick a grid, "
            "fill in its inputs, and the enriched result arrives in a thread here."
        )
    )
    lines = "\n".join(f"{usage} — {what}" for _, usage, what in COMMANDS)
    blocks.append(section(lines))
    blocks.append(context("Tip: the ⚡ shortcut *Run a BitScale grid* works from anywhere."))
    return render(blocks)


_PLAIN_HELP = _help_blocks(None)  # built once: the most frequent reply


def home_view(runs: Sequence[Run]) -> dict:
    """The App Home tab: what the bot does, and the person's recent runs."""
    blocks = [Block.parse(b) for b in help_blocks() + runs_list_blocks(runs)]
    if len(blocks) > MAX_MODAL_BLOCKS:
        raise ValueError("too many blocks for the Home tab")
    return View(type="home", blocks=blocks).to_dict()


def unknown_command_blocks(word: str) -> list[dict]:
    return help_blocks(f"I don't know `{escape(truncate(word, 60))}`. Here is what I can do:")


def error_blocks(sentence: str) -> list[dict]:
    return render([section(f"⚠️ {escape(sentence)}")])


def notice_blocks(text_mrkdwn: str) -> list[dict]:
    return render([section(text_mrkdwn)])


# --- grids list ---------------------------------------------------------------------------


def grids_page_blocks(page: GridPage, search: str | None) -> list[dict]:
    if not page.grids:
        what = f" matching “{escape(search)}”" if search else ""
        return render([section(f"No grids{what}. Try `/bitscale grids` without a search.")])
    heading = (
        f"*Grids{f' matching “{escape(search)}”' if search else ''}* "
        f"— {page.total} in all, page {page.page} of {max(page.total_pages, 1)}"
    )
    blocks: list[Block] = [section(heading), DividerBlock()]
    for grid in page.grids[:GRIDS_PER_PAGE]:
        blocks.append(
            section(_grid_line(grid), accessory=button("Run", RUN_GRID_ACTION, grid.id, "primary"))
        )
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


def _grid_line(grid: GridSummary) -> str:
    rows = f"{grid.row_count:,} rows" if grid.row_count is not None else "rows unknown"
    desc = escape(truncate(grid.description or "", 300))
    return f"*{escape(truncate(grid.name, 150))}*\n{desc + chr(10) if desc else ''}_{rows}_"


def _page_value(search: str | None, page: int) -> str:
    return json.dumps({"q": (search or "")[:500], "p": page})


# --- modals -------------------------------------------------------------------------------


def modal(
    title: str,
    blocks: Sequence[Block],
    *,
    submit: str | None = None,
    callback_id: str | None = None,
    private_metadata: str | None = None,
    close: str = "Close",
) -> dict:
    if private_metadata and len(private_metadata) > MAX_METADATA:
        raise ValueError("private_metadata is over Slack's 3,000 characters")
    if len(blocks) > MAX_MODAL_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks is over a modal's limit of {MAX_MODAL_BLOCKS}")
    view = View(
        type="modal",
        title=plain(title, 24),
        blocks=list(blocks),
        submit=plain(submit, 24) if submit else None,
        close=plain(close, 24),
        callback_id=callback_id,
        private_metadata=private_metadata,
    )
    return view.to_dict()


def loading_modal(what: str = "the grid") -> dict:
    return modal("BitScale", [section(f"⏳ Loading {escape(what)}…")])


def message_modal(text_mrkdwn: str, title: str = "BitScale") -> dict:
    return modal(title, [section(text_mrkdwn)])


def error_modal(sentence: str) -> dict:
    return message_modal(f"⚠️ {escape(sentence)}")


def choices_modal(query: str, grids: Sequence[GridSummary], session: str) -> dict:
    blocks: list[Block] = [
        section(f"Several grids match “{escape(truncate(query, 100))}”. Which one?")
    ]
    for grid in grids[:20]:
        blocks.append(
            section(_grid_line(grid), accessory=button("Choose", PICK_GRID_ACTION, grid.id))
        )
    return modal("Pick a grid", blocks, private_metadata=session)


def not_found_text(query: str, closest: Sequence[str]) -> str:
    text = f"I found no grid called “{escape(truncate(query, 100))}”."
    if closest:
        names = ", ".join(f"*{escape(truncate(n, 80))}*" for n in closest)
        text += f" Closest names: {names}."
    return text + " Use `/bitscale grids` to see them all."


def max_inputs(output_count: int) -> int:
    groups = math.ceil(output_count / CHECKBOX_GROUP)
    return MAX_MODAL_BLOCKS - 2 - groups - 1  # header, context, output groups, post-in


def input_block_id(key: str) -> str:
    """One block id per input key: Slack keeps what was typed in a field across form
    updates when its block id stays the same, and keys may be too long for a block id."""
    return "in_" + hashlib.sha1(key.encode()).hexdigest()[:16]


def run_modal(
    form: RunForm,
    session: str,
    ask_channel: bool = False,
    values: dict[str, str] | None = None,
    checked: list[str] | None = None,
) -> dict:
    if len(form.input_keys) > max_inputs(len(form.outputs)):
        return message_modal(
            f"*{escape(form.grid_name)}* needs {len(form.input_keys)} inputs, more than a "
            "Slack form can hold. Run it from BitScale instead."
        )
    blocks: list[Block] = [
        section(
            f"*{escape(truncate(form.grid_name, 200))}*"
            + (f"\n{escape(truncate(form.description, 500))}" if form.description else "")
        )
    ]
    for key in form.input_keys:
        blocks.append(
            InputBlock(
                block_id=input_block_id(key),
                label=plain(humanize_key(key), 2000),
                hint=plain(f"Sent to BitScale as {key}", 2000),
                element=PlainTextInputElement(
                    action_id="value", initial_value=(values or {}).get(key) or None
                ),
            )
        )
    for j in range(0, len(form.outputs), CHECKBOX_GROUP):
        group = form.outputs[j : j + CHECKBOX_GROUP]
        options = [Option(value=c.id[:150], text=plain(c.name or c.id, 75)) for c in group]
        ticked = [
            o for o, c in zip(options, group, strict=True) if checked is None or c.id in checked
        ]
        # dispatch_action: a change re-asks BitScale which inputs the chosen outputs need.
        blocks.append(
            InputBlock(
                block_id=f"out{j // CHECKBOX_GROUP}",
                optional=True,
                dispatch_action=True,
                label="Outputs" if j == 0 else "More outputs",
                element=CheckboxesElement(
                    action_id=OUTPUTS_ACTION, options=options, initial_options=ticked or None
                ),
            )
        )
    if ask_channel:
        blocks.append(
            InputBlock(
                block_id=POST_IN_BLOCK,
                optional=True,
                label="Post the result in",
                element=ConversationSelectElement(
                    action_id="conversation", default_to_current_conversation=True
                ),
                hint="Leave empty to get it in a direct message.",
            )
        )
    blocks.append(context("Each run adds a row to the grid and spends BitScale credits."))
    return modal(
        f"Run {form.grid_name}",
        blocks,
        submit="Run",
        close="Cancel",
        callback_id=RUN_VIEW,
        private_metadata=session,
    )


def shortcut_modal(session: str) -> dict:
    return modal(
        "Run a BitScale grid",
        private_metadata=session,
        blocks=[
            InputBlock(
                block_id="grid",
                label="Grid",
                dispatch_action=True,
                element=ExternalDataSelectElement(
                    action_id=PICK_GRID_ACTION,
                    placeholder="Type to search grids",
                    min_query_length=0,
                ),
            ),
            context("Pick a grid to see its inputs."),
        ],
    )


def grid_options(grids: Sequence[GridSummary]) -> list[dict]:
    return [Option(value=g.id[:150], text=plain(g.name, 75)).to_dict("block") for g in grids[:100]]


# --- run messages -------------------------------------------------------------------------


def announcement(run: Run, fallback_reason: str | None = None) -> tuple[str, list[dict]]:
    emoji = STATE_EMOJI.get(run.state, "⏳")
    who = mention(run.user_id)
    grid = f"*{escape(truncate(run.grid_name, 150))}*"
    if run.state in ("queued", "submitting", "running"):
        headline = f"{emoji} {who} started {grid}"
    elif run.state == "completed":
        headline = f"{emoji} {who} ran {grid} — done, result in the thread"
    else:
        headline = f"{emoji} {who} ran {grid} — {STATE_WORDS[run.state]}, details in the thread"
    blocks: list[Block] = [section(headline), context(_summary(run.inputs))]
    if fallback_reason:
        blocks.append(
            context(
                f"I couldn't post in {channel_link(run.channel_id or '')} "
                f"({escape(fallback_reason)}), so I'm keeping you posted here."
            )
        )
    text = f"{emoji} {run.grid_name}: {STATE_WORDS.get(run.state, run.state)}"
    return text, render(blocks)


@dataclass
class ResultMessage:
    text: str
    blocks: list[dict]
    attachment: str | None  # the full result as text, when the thread shows a cut version


def result_message(run: Run) -> ResultMessage:
    who = mention(run.user_id)
    grid = escape(truncate(run.grid_name, 150))
    if run.state == "completed":
        outputs = run.outputs or {}
        blocks: list[Block] = [section(f"✅ {who} *{grid}* is done.")]
        cut = False
        items = list(outputs.items())
        for key, out in items[:MAX_OUTPUT_SECTIONS]:
            name = escape(truncate(str(out.get("name") or humanize_key(key)), 200))
            shown = format_value(out.get("value"))
            if len(shown) > VALUE_PREVIEW_CHARS:
                shown, cut = truncate(shown, VALUE_PREVIEW_CHARS), True
            blocks.append(section(f"*{name}*\n{escape(shown)}"))
        if len(items) > MAX_OUTPUT_SECTIONS:
            cut = True
            blocks.append(
                context(
                    f"…and {len(items) - MAX_OUTPUT_SECTIONS} more outputs in the attached file."
                )
            )
        if not items:
            blocks.append(context("The run finished but returned no outputs."))
        if cut:
            blocks.append(
                context("Long values are cut here; the attached file has the full result.")
            )
        attachment = full_result_text(run) if cut else None
        return ResultMessage(f"✅ {run.grid_name} is done", render(blocks), attachment)
    emoji = STATE_EMOJI.get(run.state, "❌")
    headline = {
        "failed": f"{emoji} {who} *{grid}* failed.",
        "expired": f"{emoji} {who} *{grid}* did not finish in time.",
        "interrupted": f"{emoji} {who} *{grid}* was interrupted.",
    }.get(run.state, f"{emoji} {who} *{grid}*: {escape(run.state)}.")
    detail = escape(run.error_message or "No details were given.")
    blocks = [section(headline), section(detail)]
    if run.request_id:
        blocks.append(context(f"Request id: `{escape(run.request_id)}`"))
    blocks.append(ActionsBlock(elements=[button("Run again", RUN_AGAIN_ACTION, run.id)]))
    return ResultMessage(
        f"{emoji} {run.grid_name}: {STATE_WORDS.get(run.state, run.state)}", render(blocks), None
    )


def full_result_text(run: Run) -> str:
    lines = [f"{run.grid_name} — result of run {run.id}", ""]
    lines += [f"{humanize_key(k)}: {v}" for k, v in run.inputs.items()]
    lines.append("")
    for key, out in (run.outputs or {}).items():
        lines += [f"## {out.get('name') or key}", full_value(out.get("value")), ""]
    return "\n".join(lines)


# --- status, runs and credits -------------------------------------------------------------


def status_blocks(run: Run) -> list[dict]:
    emoji = STATE_EMOJI.get(run.state, "•")
    lines = [
        f"{emoji} *{escape(run.grid_name)}* — {STATE_WORDS.get(run.state, run.state)}",
        f"Started {_when(run.created_at)} by {mention(run.user_id)}",
    ]
    if run.request_id:
        lines.append(f"Request id: `{escape(run.request_id)}`")
    if run.permalink:
        lines.append(f"<{run.permalink}|Open the thread>")
    blocks = render([section("\n".join(lines))])
    if run.finished:
        blocks += result_message(run).blocks[1:]
    return blocks[:MAX_MESSAGE_BLOCKS]


def remote_status_blocks(
    request_id: str, status: str, outputs: dict[str, Any] | None, message: str | None
) -> list[dict]:
    emoji = STATE_EMOJI.get(status, "•")
    blocks: list[Block] = [section(f"{emoji} Run `{escape(request_id)}` is *{escape(status)}*.")]
    for key, out in list((outputs or {}).items())[:MAX_OUTPUT_SECTIONS]:
        blocks.append(
            section(
                f"*{escape(out.get('name') or key)}*\n"
                f"{escape(truncate(format_value(out.get('value')), VALUE_PREVIEW_CHARS))}"
            )
        )
    if message:
        blocks.append(section(escape(message)))
    return render(blocks)


def runs_list_blocks(runs: Sequence[Run]) -> list[dict]:
    if not runs:
        return render(
            [section("You have no runs yet. Start one with `/bitscale run <grid name>`.")]
        )
    lines = []
    for run in runs:
        link = f" · <{run.permalink}|thread>" if run.permalink else ""
        lines.append(
            f"{STATE_EMOJI.get(run.state, '•')} *{escape(truncate(run.grid_name, 80))}*"
            f" — {STATE_WORDS.get(run.state, run.state)} · {_when(run.created_at)}{link}"
        )
    return render([section(f"*Your {len(runs)} most recent runs*"), section("\n".join(lines))])


def _bar(used: int, total: int, width: int = 20) -> str:
    if total <= 0:
        return "░" * width
    filled = min(width, round(width * used / total))
    return "█" * filled + "░" * (width - filled)


def _date(value: str | None) -> str:
    return escape(value[:10]) if value else "—"


def credits_blocks(ws: Workspace) -> list[dict]:
    c, s = ws.credits, ws.people_company_searches
    plan = escape(ws.plan.name or "unknown plan")
    lines = [
        f"*{escape(ws.name or 'BitScale workspace')}* · {plan} plan",
        f"*Credits:* {c.remaining:,} left of {c.total:,} ({c.used:,} used)",
        f"`{_bar(c.used, c.total)}`",
        f"*People/company searches:* {s.remaining:,} left of {s.limit:,} this month "
        f"(renews {_date(s.next_renewal_date)})",
        f"*Next billing date:* {_date(ws.plan.next_billing_date)}",
    ]
    return render([section("\n".join(lines))])


def credit_alert_message(alert: CreditAlert) -> tuple[str, list[dict]]:
    ws = alert.workspace
    if alert.kind == "credits":
        c = ws.credits
        text = f"⚠️ BitScale credits are low: {c.remaining:,} left"
        body = (
            f"⚠️ *BitScale credits are running low:* {c.remaining:,} left, under the "
            f"alert threshold of {alert.threshold:,}.\n"
            f"Used {c.used:,} of {c.total:,} · plan *{escape(ws.plan.name or '—')}* · "
            f"renews {_date(ws.plan.next_billing_date)}"
        )
    else:
        s = ws.people_company_searches
        text = f"⚠️ BitScale people/company searches are low: {s.remaining:,} left"
        body = (
            f"⚠️ *People/company searches are running out:* {s.remaining:,} of "
            f"{s.limit:,} left this month · renews {_date(s.next_renewal_date)}"
        )
    blocks = [
        section(body),
        context(
            "Top up or change the plan in BitScale → Settings → Billing. "
            "You'll hear from me again only after it recovers and drops again."
        ),
    ]
    return text, render(blocks)
