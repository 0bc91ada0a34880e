"""Batches end to end: the real Bolt app, the Slack stand-in (files, file_input) and the
BitScale simulator. Upload → match → preview → start → progress → enriched CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.playground.rigs.stack import fast_stack
from bot.playground.slack.form_fill import select_values
from bot.playground.slack.records import wait_for

LEADS = (
    "Company Name,Website,Owner\n"
    "Acme Robotics,acme.io,ana\n"
    "Globex,globex.com,bo\n"
    "Acme Robotics,acme.io,cy\n"
    "Initech,,dee\n"
    '"Umbrella, Inc.",umbrella.com,"=HYPERLINK(""x"")"\n'
)


def make_stack(tmp_path, **settings):
    return fast_stack(
        tmp_path,
        # sync rows answer at once (fast tests); the first test and the restart tests
        # cover the default, async
        settings={"BATCH_PROGRESS_SECONDS": 0.2, "BATCH_RUN_MODE": "sync", **settings},
    )


@pytest.fixture
def stack(tmp_path, backend_settings):
    with make_stack(tmp_path, **backend_settings) as s:
        yield s


def text_of(blocks) -> str:
    blocks = blocks["blocks"] if isinstance(blocks, dict) else blocks
    out = []
    for b in blocks:
        if b.get("text"):
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            if isinstance(e, dict) and e.get("text"):
                out.append(e["text"] if isinstance(e["text"], str) else e["text"]["text"])
    return "\n".join(out)


def run_batch(stack, content: bytes, picks=None, outputs=None):
    """Upload → match → preview → Start; (column view, preview view)."""
    return stack.driver.start_batch(content, picks=picks, outputs=outputs)


def upload(stack, content: bytes, name="leads.csv", **kwargs):
    """Open the batch form and submit a file; (the upload view, view log position)."""
    since, answer = stack.driver.upload_csv(content, name, **kwargs)
    assert answer.status_code == 200
    return stack.standin.latest_view(0, lambda v: v.get("callback_id") == "batch_upload"), since


def next_view(stack, since, callback_id, timeout=15):
    return stack.driver.next_view(since, callback_id, timeout)


def parent_of(stack):
    return wait_for(lambda: stack.standin.posts("C0SALES", top_level=True))[0]


def summary_of(stack, parent):
    replies = wait_for(
        lambda: [m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts) if m.metadata],
        30,
    )
    return text_of(replies[0].blocks)


def result_csv(stack):
    def uploaded():
        return [f for f in stack.standin.files.values() if f.get("thread_ts") and f.get("content")]

    (record,) = wait_for(uploaded, 30)
    return list(csv.reader(io.StringIO(record["content"].decode("utf-8-sig"))))


def test_upload_map_preview_start_and_the_enriched_file(tmp_path, backend_settings):
    with make_stack(tmp_path, BATCH_RUN_MODE="async", **backend_settings) as stack:
        check_the_whole_path(stack)
        assert {r.mode for r in stack.bot.store.all_runs()} == {"async"}


def check_the_whole_path(stack):
    mapping, preview = stack.driver.start_batch(
        LEADS.encode(), outputs=["industry", "headquarters", "ai_summary"]
    )
    # the label rule pre-selected both inputs
    selects = [b for b in mapping["blocks"] if b["type"] == "input"
               and b["element"]["type"] == "static_select"]
    assert [s["element"]["initial_option"]["text"]["text"] for s in selects] == [
        "Company Name", "Website"]
    shown = text_of(preview)
    assert "Rows in the file: *5*" in shown
    assert "Rows that will run: *4*, 3 of them sent to BitScale" in shown  # rows of the sheet
    assert "Exact duplicates: *1*" in shown
    assert "5 (Website)" in shown
    assert "Credits left: *21,850*" in shown
    assert "unknown yet" in shown

    parent = parent_of(stack)
    assert "📦 <@U0ANA> started a batch of *Company Enrichment*: 5 rows" in text_of(parent.blocks)
    table = result_csv(stack)
    assert table[0] == ["Company Name", "Website", "Owner", "Industry", "Headquarters",
                        "AI summary", "bitscale_reused_from_date", "bitscale_status",
                        "bitscale_error"]
    assert len(table) == 6
    acme, globex, acme2, initech, umbrella = table[1:]
    assert acme[7] == "done" and acme[8] == "" and acme[:3] == ["Acme Robotics", "acme.io", "ana"]
    assert acme[6] == ""  # bitscale_reused_from_date: a fresh answer
    sim_acme = next(r for r in stack.sim.runs_for("Company Enrichment")
                    if r.inputs["company_name"] == "Acme Robotics")
    expected = sim_acme.outputs()
    assert acme[3] == expected["industry"]["value"]
    assert json.loads(acme[4]) == expected["headquarters"]["value"]  # an object: compact JSON
    assert ": " not in acme[4]
    assert acme[5] == expected["ai_summary"]["value"]
    assert acme2[3:] == acme[3:]  # the duplicate got the same result
    assert initech[7] == "skipped" and "website is empty" in initech[8]
    assert initech[3:6] == ["", "", ""]
    assert umbrella[0] == "Umbrella, Inc." and umbrella[2] == "'=HYPERLINK(\"x\")"
    assert globex[7] == "done"
    assert sorted(r.inputs["company_name"] for r in stack.sim.runs_for("Company Enrichment")) \
        == ["Acme Robotics", "Globex", "Umbrella, Inc."]

    summary = summary_of(stack, parent)
    # rows of the sheet: the duplicate Acme row is done too, as the file says
    assert "Done: 4" in summary and "Skipped (an input was empty): 1" in summary
    assert "Duplicates (result copied from the same row above): 1" in summary
    wait_for(lambda: text_of(stack.standin.message("C0SALES", parent.ts).blocks).startswith("✅"))
    # progress edits went to the one parent message; one summary reply
    assert stack.standin.calls_to("chat.update")
    assert len(stack.standin.posts("C0SALES", top_level=True)) == 1


def test_the_next_preview_estimates_from_the_measured_cost(stack):
    stack.driver.start_batch(b"company_name,website\nA,a.io\nB,b.io\n")
    summary_of(stack, parent_of(stack))
    _, preview = stack.driver.preview_batch(b"company_name,website\nC,c.io\nD,d.io\nE,e.io\n")
    shown = text_of(preview)
    # Company Enrichment costs 5 credits a run in the simulator
    assert "about *15* credits (5 credits per row" in shown


def test_estimate_above_the_credits_left_warns(stack):
    stack.sim.set_credits_remaining(12)
    stack.driver.start_batch(b"company_name,website\nA,a.io\n")  # costs 5
    summary_of(stack, parent_of(stack))
    _, preview = stack.driver.preview_batch(b"company_name,website\nC,c.io\nD,d.io\n")
    shown = text_of(preview)
    assert "about *10* credits" in shown and "more than the credits left" in shown


BAD_FILES = [
    (b"", "leads.csv", {}, "leads.csv is empty"),
    (b"acme.io,ana@acme.io\nglobex.com,bo@globex.com\n", "leads.csv", {}, "looks like data"),
    (b"company,,site\nx,y,z\n", "leads.csv", {}, "has no name in the header row"),
    (b"site,site\nx,y\n", "leads.csv", {}, "more than one column named"),
    (b"PK\x03\x04\x14\x00binary", "leads.xlsx", {"filetype": "xlsx"}, "not a CSV"),
    (b"company_name\nx\n", "leads.csv", {"shared": False}, "can't open that file"),
    (b"company_name\n" + b"x\n" * 30, "leads.csv", {}, "more than 20 rows"),
    (b"company_name\n" + b"y" * 2000 + b"\n", "leads.csv", {}, "at most 0.001 MB"),
]


@pytest.mark.parametrize("data, name, kw, words", BAD_FILES)
def test_bad_files_come_back_to_the_form_with_the_fix_and_spend_nothing(
    tmp_path, data, name, kw, words
):
    with make_stack(tmp_path, BATCH_MAX_ROWS=20, BATCH_MAX_FILE_MB=0.001) as stack:
        since, answer = stack.driver.upload_csv(data, name, **kw)
        assert answer.status_code == 200
        view = stack.driver.next_view(since, "batch_upload")
        assert words in view["blocks"][0]["text"]["text"]
        # the form is ready for another file at once
        assert any(b.get("element", {}).get("type") == "file_input" for b in view["blocks"])
        assert stack.sim.count(path_contains="/run") == 0
        assert stack.standin.posts("C0SALES") == []


def test_encodings_and_delimiters_from_a_spreadsheet(stack):
    data = "Company Name;Website\r\nZoë Café;zoe.fr\r\n".encode("cp1252")
    stack.driver.start_batch(data)
    table = result_csv(stack)
    assert table[1][:2] == ["Zoë Café", "zoe.fr"] and table[1][-2] == "done"


def test_an_unmapped_input_is_refused_inside_the_form(stack):
    since, _ = stack.driver.upload_csv(b"Company,Site\nA,a.io\n")
    mapping = stack.driver.next_view(since, "batch_map")
    values = select_values(mapping, {"company_name": "Company"})
    answer = stack.driver.submit(mapping, values)
    errors = answer.json()["errors"]
    assert list(errors.values()) == ["Website is required: pick the column that holds it."]
    answer = stack.driver.submit(mapping, select_values(mapping, {"company_name": "Company",
                                                                  "website": "Site"}, outputs=[]))
    assert answer.json()["errors"] == {"out0": "Pick at least one output."}


def test_the_same_form_submitted_twice_starts_one_batch(stack):
    _, preview = stack.driver.preview_batch(b"company_name,website\nA,a.io\nB,b.io\n")
    for _ in range(3):
        assert stack.driver.submit(preview, {}).status_code == 200
    parent = parent_of(stack)
    summary_of(stack, parent)
    assert len(stack.standin.posts("C0SALES", top_level=True)) == 1
    assert stack.sim.run_count == 2


def test_cancel_stops_rows_not_yet_sent_and_keeps_the_rest(tmp_path, backend_settings):
    with make_stack(tmp_path, BITSCALE_BOT_ADMINS="U0ADMIN", **backend_settings) as stack:
        check_cancel(stack)


def check_cancel(stack):
    rows = "".join(f"Co{i},{100}\n" for i in range(60))  # Load Test: 100 s each (1 s here)
    stack.driver.start_batch(
        ("company_name,duration_seconds\n" + rows).encode(), grid="Load Test"
    )
    parent = parent_of(stack)
    wait_for(lambda: stack.sim.run_count >= 3, 20)
    message = stack.standin.message("C0SALES", parent.ts)
    cancel = next(e for b in message.blocks if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "batch_cancel")
    # someone else may not cancel it
    other = stack.driver.user
    stack.driver.user = {**other, "id": "U0BOB", "username": "bob"}
    stack.driver.click(cancel, message=message)
    assert "Only <@U0ANA>" in wait_for(lambda: stack.standin.responses)[-1]["text"]
    # an admin may
    stack.driver.user = {**other, "id": "U0ADMIN", "username": "admin"}
    stack.driver.click(cancel, message=message)
    stack.driver.user = other
    summary = summary_of(stack, parent)
    assert "cancelled by <@U0ADMIN>" in summary
    sent = stack.sim.run_count
    assert 3 <= sent < 60
    assert f"Cancelled before they were sent: {60 - sent}" in summary
    table = result_csv(stack)
    statuses = [row[-2] for row in table[1:]]
    assert statuses.count("done") == sent and statuses.count("cancelled") == 60 - sent
    assert text_of(stack.standin.message("C0SALES", parent.ts).blocks).startswith("❌")


def test_a_batch_wide_stop_pauses_and_resume_finishes_it(stack):
    stack.sim.state.feature_enabled = False
    stack.driver.start_batch(b"company_name,website\nA,a.io\nB,b.io\nC,c.io\n")
    parent = parent_of(stack)
    notice = wait_for(
        lambda: [m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts)
                 if "paused" in m.text]
    )[0]
    assert "Enterprise" in text_of(notice.blocks)
    # rows refused for a batch-wide reason go back to the queue: none is marked failed
    wait_for(lambda: {r.state for r in stack.bot.store.all_runs()} == {"queued"})
    stack.sim.state.feature_enabled = True
    resume = next(e for b in notice.blocks if b["type"] == "actions" for e in b["elements"])
    stack.driver.click(resume, message=notice)
    summary = summary_of(stack, parent)
    assert "Done: 3" in summary and "Failed: 0" in summary
    assert stack.sim.run_count == 3


def test_a_row_that_fails_is_marked_and_the_batch_goes_on(stack):
    stack.driver.start_batch(b"company_name\nA\nB\n", grid="Broken Enrichment")
    parent = parent_of(stack)
    summary = summary_of(stack, parent)
    assert "Failed: 2" in summary and "2 × Enrichment provider returned an error" not in summary
    table = result_csv(stack)
    assert [row[-2] for row in table[1:]] == ["failed", "failed"]
    assert "Enrichment provider returned an error for 'A'" in table[1][-1]


def test_help_shows_batch(stack):
    answer, _, _ = stack.driver.command("help")
    assert "/bitscale batch <grid name or id>" in answer.text


def test_a_batch_keeps_its_files_in_the_database_and_nothing_on_the_disk(stack, tmp_path):
    stack.driver.start_batch(b"company_name,website\nA,a.io\nB,b.io\n")
    assert result_csv(stack)[1][:2] == ["A", "a.io"]
    store = stack.bot.store
    (batch_id,) = [row["id"] for row in store.sql.query("SELECT id FROM batches")]
    kinds = store.sql.query("SELECT kind, owner FROM files ORDER BY kind")
    assert kinds == [
        {"kind": "enriched", "owner": batch_id},
        {"kind": "upload", "owner": batch_id},
    ]
    on_disk = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk <= {"bot.db", "bot.db-wal", "bot.db-shm", "bot.db.lock"}
