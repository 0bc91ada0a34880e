"""The words of issue 23 ("Words"): counts say 1 row, not 1 rows; bold is never nested; a
usage total agrees with the grid lines under it; a status answer promises no file it does
not carry; the README names the buttons as they are labelled."""

from __future__ import annotations

from pathlib import Path

from bot.governance.approvals import Approval
from bot.governance.audit import AuditEntry
from bot.governance.usage import Totals, UsageReport
from bot.providers.base import ResultItem, ResultView
from bot.slack.blocks.approvals import approval_request_message, waiting_text
from bot.slack.blocks.batch_messages import progress_message
from bot.slack.blocks.records import audit_blocks, usage_blocks
from bot.slack.blocks.results import again_actions
from bot.slack.blocks.status import status_blocks
from tests.e2e.test_batch_rows import _batch
from tests.factories import make_run

README = (Path(__file__).parents[2] / "README.md").read_text()


def text_of(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        out += [e["text"] for e in b.get("elements") or [] if isinstance(e.get("text"), str)]
    return "\n".join(out)


def test_one_row_is_a_row():
    from bot.batches.progress import Progress

    batch = _batch(state="running", rows_total=1, rows_duplicate=1, rows_skipped=1)
    said = text_of(progress_message(batch, Progress(1, 0, 0, 1, 0, None, None))[1])
    assert "1 rows" not in said
    assert "1 duplicate row shares a run" in said and "1 row skipped" in said
    approval = Approval("a1", "batch", "b1", "U0ANA", "g", "Grid", 1, "pending", 0.0)
    text, blocks = approval_request_message(approval)
    assert "1 rows" not in text + text_of(blocks) + waiting_text(approval, ["U0BO"], None)
    assert "1 row" in text


def test_the_audit_heading_has_no_nested_bold():
    entry = AuditEntry(1, 0.0, "U0ANA", "run", "g", "Hiring Signals", None, None, 1, None,
                       "form", {})  # fmt: skip
    heading = text_of(audit_blocks([entry], {}, "*Hiring Signals*", "{}"))
    assert heading.startswith("*Audit log* for *Hiring Signals* — latest first")
    assert "**" not in heading


def test_a_usage_total_agrees_with_the_grid_lines_under_it():
    report = UsageReport(
        since=0.0,
        by_person={"U0ANA": Totals(runs=3, rows=3, credits=None)},
        by_grid={
            "Known": Totals(runs=2, rows=2, credits=12.0),
            "New": Totals(runs=1, rows=1, credits=None),
        },  # fmt: skip
        total=Totals(runs=3, rows=3, credits=None),
    )
    for everyone in (True, False):
        said = text_of(usage_blocks(report, everyone=everyone))
        first = said.splitlines()[1]
        assert "~12 credits (est.) for the grids measured so far, more unknown yet" in first
        assert "*Known*: 2 runs · 2 rows · 0 failed · ~12 credits (est.)" in said


def test_a_status_answer_says_where_the_file_is():
    run = make_run(outputs={"summary": {"name": "Summary", "value": "x " * 600}})
    view = ResultView(items=[ResultItem("Summary", "x " * 600, "summary")])
    said = text_of(status_blocks(run, view))
    assert "the attached file" not in said.lower()
    assert "the file attached to the result in its thread has the full result" in said


def test_the_readme_names_the_buttons_as_labelled():
    (again, _) = [e.text.text for e in again_actions(make_run()).elements]
    assert again == "Edit and run again" and f"**{again}**" in README
    assert "**Run again**" not in README  # no button has that label
