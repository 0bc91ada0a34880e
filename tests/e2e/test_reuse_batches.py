"""Batches and result reuse: rows answered before cost nothing, and the file says so."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timezone

from bot.playground.slack.records import wait_for
from bot.slack.blocks.batches import FRESH_ACTION, FRESH_BLOCK
from tests.e2e.test_batches import stack as stack  # noqa: F401 - the fixture
from tests.e2e.test_batches import text_of

KNOWN = "Company Name,Website\nAcme Robotics,acme.io\nGlobex,globex.com\n"
HALF_KNOWN = KNOWN + "Initech,initech.com\n Acme Robotics ,HTTPS://ACME.IO/\nUmbrella,umbrella.com\n"


def batch(stack, content: str, fresh: bool = False) -> str:
    """Upload, map, preview and start a batch; returns the preview's text."""
    _, preview = stack.driver.preview_batch(
        content.encode(), outputs=["industry", "employee_count"]
    )
    values = {}
    if fresh:
        picked = {"type": "checkboxes", "selected_options": [{"value": "fresh"}]}
        values = {FRESH_BLOCK: {FRESH_ACTION: picked}}
    assert stack.driver.submit(preview, values).status_code == 200
    return text_of(preview)


def enriched(stack, count: int) -> list[list[str]]:
    """The `count`-th enriched file posted in a thread, as rows."""

    def uploaded():
        files = [f for f in stack.standin.files.values() if f.get("thread_ts") and f.get("content")]
        return len(files) >= count and files

    record = wait_for(uploaded, 30)[count - 1]
    return list(csv.reader(io.StringIO(record["content"].decode("utf-8-sig"))))


def test_a_batch_with_half_its_rows_known_spends_only_on_the_rest(stack):
    batch(stack, KNOWN)
    first = enriched(stack, 1)
    assert [r[-2] for r in first[1:]] == ["done", "done"]
    assert len(stack.sim.runs_for("Company Enrichment")) == 2
    credits = stack.sim.credits_remaining

    shown = batch(stack, HALF_KNOWN)
    # the last Acme row is written differently: not an exact duplicate, but the same lead
    # rows of the sheet, as progress and summary count them; two are sent
    assert "Rows that will run: *5*, 2 of them sent to BitScale" in shown
    assert "Reused: *3*" in shown
    assert "Exact duplicates" not in shown
    # the measured cost per row (5 credits) times the two rows that will be sent
    assert "about *10* credits" in shown
    table = enriched(stack, 2)
    assert table[0][-3:] == ["bitscale_reused_from_date", "bitscale_status", "bitscale_error"]
    acme, globex, initech, acme_again, umbrella = table[1:]
    today = datetime.fromtimestamp(time.time(), timezone.utc).strftime("%Y-%m-%d")
    assert acme[-3:] == [today, "reused", ""] and globex[-2] == "reused"
    assert acme[2:4] == first[1][2:4]  # the earlier answer, cell for cell
    assert initech[-3:] == ["", "done", ""] and umbrella[-2] == "done"
    assert acme_again[-3:] == [today, "reused", ""]  # same lead, written differently
    # only the unknown rows reached BitScale and spent credits
    names = sorted(r.inputs["company_name"] for r in stack.sim.runs_for("Company Enrichment"))
    assert names == ["Acme Robotics", "Globex", "Initech", "Umbrella"]
    assert credits - stack.sim.credits_remaining == 10

    parent = stack.standin.posts("C0SALES", top_level=True)[-1]
    summary = wait_for(
        lambda: [m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts) if m.metadata]
    )
    text = text_of(summary[0].blocks)
    assert "Done: 5" in text and "Reused earlier results (no credits spent): 3" in text
    assert "Failed: 0" in text


def test_run_all_fresh_ignores_earlier_results(stack):
    batch(stack, KNOWN)
    enriched(stack, 1)
    shown = batch(stack, KNOWN, fresh=True)
    assert "Reused: *2*" in shown
    table = enriched(stack, 2)
    assert [r[-2] for r in table[1:]] == ["done", "done"]
    assert len(stack.sim.runs_for("Company Enrichment")) == 4
