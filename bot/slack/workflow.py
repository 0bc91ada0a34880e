"""The Workflow Builder step "Run a BitScale grid": its names, reading its inputs and
writing its outputs. Pure functions; the listener and the notifier use them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.leads.extract import squash
from bot.slack.blocks.reused import provenance_plain
from bot.slack.text import escape, format_value, humanize_key
from bot.store.run_record import Run

STEP_CALLBACK = "run_bitscale_grid"  # the function's callback id in manifest.yml
INPUT_NAMES = ("grid", "inputs", "channel", "triggered_by")
OUTPUT_NAMES = ("status", "result_text", "result_json", "thread_link")
MAX_ERROR = 1000


@dataclass
class StepInputs:
    values: dict[str, str] = field(default_factory=dict)  # the grid's key → value
    problems: list[str] = field(default_factory=list)


def parse_lines(text: str) -> tuple[dict[str, str], list[str]]:
    """`key: value` lines (or `key = value`); blank lines are skipped, others reported."""
    pairs: dict[str, str] = {}
    bad: list[str] = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        cut = [i for i in (line.find(":"), line.find("=")) if i > 0]
        if not cut:
            bad.append(line[:60])
            continue
        key, value = line[: min(cut)].strip(), line[min(cut) + 1 :].strip()
        if key:
            pairs[key] = value
    return pairs, bad


def match_step_inputs(text: str, keys: list[str], limit: int = 2000) -> StepInputs:
    """Map the step's `inputs` text onto the grid's input keys (by the label rule)."""
    pairs, bad = parse_lines(text)
    by_rule = {squash(k): k for k in keys}
    result = StepInputs()
    unknown: list[str] = []
    for given, value in pairs.items():
        key = by_rule.get(squash(given))
        if key is None:
            unknown.append(given)
        elif value:
            result.values[key] = value
    expected = ", ".join(f"`{k}`" for k in keys)
    if bad:
        result.problems.append(
            f"These lines are not `key: value`: {'; '.join(bad[:3])}. Write one `key: value` "
            "per line."
        )
    if unknown:
        result.problems.append(
            f"The grid has no input called {', '.join(unknown[:5])}. Its inputs are {expected}."
        )
    missing = [k for k in keys if not result.values.get(k)]
    if missing:
        result.problems.append(
            f"No value for {', '.join(f'`{k}`' for k in missing)}. Add a line such as "
            f"`{missing[0]}: …` (a workflow variable works). The grid's inputs are {expected}."
        )
    for key, value in result.values.items():
        if len(value) > limit:
            result.problems.append(
                f"`{key}` is {len(value):,} characters; the limit is {limit:,}."
            )
    return result


def step_outputs(run: Run) -> dict[str, Any]:
    """The outputs of a completed run, under the names declared in manifest.yml."""
    outputs = run.outputs or {}
    lines = []
    for key, out in outputs.items():
        name = str((out or {}).get("name") or humanize_key(key))
        value = format_value((out or {}).get("value"))
        if "\n" in value:  # an object or a list of them: its lines indented under its name,
            # so "Country: US" inside Headquarters never reads as an output of its own
            lines.append(f"{name}:")
            lines += [f"  {line}" for line in value.splitlines()]
        else:
            lines.append(f"{name}: {value}")
    # Text a later step may post in a channel: escaped like everything else we show.
    text = escape("\n".join(lines)) or "(no outputs)"
    if run.reused:  # never mistaken for fresh data: when, by whom, and that it was free
        text = f"♻️ Reused, {provenance_plain(run)}.\n{text}"
    result: dict[str, Any] = {
        "status": run.state,
        "result_text": text,
        "result_json": json.dumps(
            {k: (v or {}).get("value") for k, v in outputs.items()}, ensure_ascii=False
        ),
    }
    if run.channel_id and run.permalink:
        result["thread_link"] = run.permalink
    return result


def step_error(run: Run) -> str:
    """The sentence a failed step shows: BitScale's own where it gave one."""
    what = {"failed": "failed", "expired": "did not finish in time", "interrupted": "was cut off"}
    message = run.error_message or "BitScale gave no reason."
    text = f"{run.grid_name} {what.get(run.state, run.state)}: {message}"
    return text[:MAX_ERROR]
