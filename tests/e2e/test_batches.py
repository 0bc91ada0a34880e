"""Batches end to end: the real Bolt app, the Slack stand-in (files, file_input) and the
BitScale simulator. Upload → match → preview → start → progress → enriched CSV."""

from __future__ import annotations

import csv
import io

import pytest

from bot.playground.simulator import Simulator
from bot.playground.slack_driver import file_values, select_values
from bot.playground.stack import LocalStack, wait_for

LEADS = (
    "Company Name,Website,Owner\n"
    "Acme Robotics,acme.io,ana\n"
    "Globex,globex.com,bo\n"
    "Acme Robotics,acme.io,cy\n"
    "Initech,,dee\n"
    "\"Umbrella, Inc.\",umbrella.com,\"=HYPERLINK(\"\"x\"\")\"\n"
)


@pytest.fixture
def stack(tmp_path):
    sim = Simulator("e2e-key", time_scale=100)
    with LocalStack(
        str(tmp_path / "bot.db"),
        simulator=sim,
        tick_seconds=0.05,
        settings={"BATCH_PROGRESS_SECONDS": 0.2},
    ) as s:
        yield s


def is_view(callback_id):
    return lambda view: view.get("callback_id") == callback_id


def open_upload(stack, text="batch Company Enrichment"):
    since = len(stack.standin.view_log)
    stack.driver.command(text)
    return wait_for(lambda: stack.standin.latest_view(since, is_view("batch_upload")), 15)


def upload(stack, content: bytes, name="leads.csv", **kwargs):
    view = open_upload(stack)
    file = stack.standin.add_file(content, name, **kwargs)
    since = len(stack.standin.view_log)
    answer = stack.driver.submit(view, file_values(view, file))
    assert answer.status_code == 200
    return view, since


def next_view(stack, since, callback_id=None, timeout=15):
    def found():
        view = stack.standin.latest_view(since)
        if view and (callback_id is None or view.get("callback_id") == callback_id):
            return view
        if view and view.get("callback_id") == "batch_upload" and callback_id != "batch_upload":
            raise AssertionError(view["blocks"][0]["text"]["text"])
        return None

    return wait_for(found, timeout)


def text_of(view_or_blocks) -> str:
    blocks = view_or_blocks["blocks"] if isinstance(view_or_blocks, dict) else view_or_blocks
    out = []
    for b in blocks:
        if b.get("text"):
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            if isinstance(e, dict) and e.get("text"):
                out.append(e["text"] if isinstance(e["text"], str) else e["text"]["text"])
    return "\n".join(out)


def run_batch(stack, content: bytes, picks=None, outputs=None):
    view, since = upload(stack, content)
    mapping = next_view(stack, since, "batch_map")
    since = len(stack.standin.view_log)
    answer = stack.driver.submit(mapping, select_values(mapping, picks, outputs))
    assert answer.status_code == 200 and "errors" not in answer.text, answer.text
    preview = next_view(stack, since, "batch_preview")
    assert stack.driver.submit(preview, {}).status_code == 200
    return mapping, preview


def result_csv(stack):
    def uploaded():
        return [f for f in stack.standin.files.values() if f.get("thread_ts") and f.get("content")]

    (record,) = wait_for(uploaded, 30)
    return list(csv.reader(io.StringIO(record["content"].decode("utf-8-sig"))))


def test_upload_map_preview_start_and_the_enriched_file(stack):
    mapping, preview = run_batch(
        stack, LEADS.encode(), outputs=["industry", "headquarters", "ai_summary"]
    )
    # the label rule pre-selected both inputs
    selects = [b for b in mapping["blocks"] if b["type"] == "input" and
               b["element"]["type"] == "static_select"]
    assert [s["element"]["initial_option"]["text"]["text"] for s in selects] == [
        "Company Name", "Website"]
    shown = text_of(preview)
    assert "Rows in the file: *5*" in shown
    assert "Rows that will run: *3*" in shown
    assert "Exact duplicates: *1*" in shown
    assert "5 (Website)" in shown
    assert "unknown yet" in shown

    parent = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True))[0]
    assert "📦 <@U0ANA> started a batch of *Company Enrichment*: 5 rows" in text_of(parent.blocks)
    table = result_csv(stack)
    assert table[0] == ["Company Name", "Website", "Owner", "Industry", "Headquarters",
                        "AI summary", "bitscale_status", "bitscale_error"]
    assert len(table) == 6
    acme, globex, acme2, initech, umbrella = table[1:]
    assert acme[6] == "done" and acme[:3] == ["Acme Robotics", "acme.io", "ana"]
    assert acme2[3:] == acme[3:]  # the duplicate got the same result
    assert "Acme Robotics (acme.io)" in acme[5]
    assert initech[6] == "skipped" and "website is empty" in initech[7]
    assert initech[3:6] == ["", "", ""]
    assert umbrella[0] == "Umbrella, Inc." and umbrella[2] == "'=HYPERLINK(\"x\")"
    assert globex[6] == "done"
    assert len(stack.sim.runs_for("Company Enrichment")) == 3

    reply = wait_for(lambda: [m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts)
                              if m.metadata])
    summary = text_of(reply[0].blocks)
    assert "Done: 3" in summary and "Skipped (an input was empty): 1" in summary
    assert "Duplicates (result copied from the same row above): 1" in summary
    wait_for(lambda: stack.standin.message("C0SALES", parent.ts).text and
             text_of(stack.standin.message("C0SALES", parent.ts).blocks).startswith("✅"))
