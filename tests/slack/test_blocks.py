from __future__ import annotations

import json

import pytest

from bot.grids.catalog import RunForm
from bot.insight.credits import CreditAlert
from bot.providers.bitscale.models import Column, GridPage, GridSummary, Workspace
from bot.providers.bitscale.provider import render_outputs
from bot.slack import blocks as kit
from tests.factories import make_run


def all_text(blocks) -> str:
    return json.dumps(blocks)


def test_help_lists_every_subcommand():
    text = all_text(kit.help_blocks())
    for sub in ("help", "grids", "run", "status", "runs", "credits", "default"):
        assert f"/bitscale {sub}" in text


def test_result_with_many_and_long_outputs_fits_one_message():
    outputs = {f"c{i}": {"name": f"Col {i}", "value": "x" * 5000} for i in range(120)}
    message = kit.result_message(make_run(outputs=outputs), render_outputs(outputs))
    assert len(message.blocks) <= kit.MAX_MESSAGE_BLOCKS
    for b in message.blocks:
        assert len(b.get("text", {}).get("text", "")) <= kit.MAX_SECTION_TEXT
    assert message.attachment and message.attachment.count("x" * 5000) == 120
    assert "80 more outputs" in all_text(message.blocks)


def test_short_result_has_no_attachment_and_renders_types():
    outputs = {
        "n": {"name": "Employees", "value": 1200},
        "l": {"name": "Stack", "value": ["AWS", "GCP"]},
        "o": {"name": "HQ", "value": {"city": "Berlin"}},
    }
    message = kit.result_message(make_run(outputs=outputs), render_outputs(outputs))
    text = all_text(message.blocks)
    assert message.attachment is None
    assert "1,200" in text and "AWS, GCP" in text and "City: Berlin" in text


def test_failed_result_escapes_and_offers_run_again():
    run = make_run(state="failed", error_message="<!here> broke & burned")
    message = kit.result_message(run)
    text = all_text(message.blocks)
    assert "&lt;!here&gt; broke &amp; burned" in text and "<!here>" not in text
    assert kit.RUN_AGAIN_ACTION in text


def test_run_modal_limits():
    form = RunForm(
        "g1",
        "A grid with a very long name indeed",
        ["company_name", "website"],
        [Column(id=f"c{i}", name=f"Output {i}", type="enrichment") for i in range(25)],
    )
    view = kit.run_modal(form, "token")
    assert len(view["title"]["text"]) <= 24
    groups = [b for b in view["blocks"] if b.get("block_id", "").startswith("out")]
    assert [len(g["element"]["options"]) for g in groups] == [10, 10, 5]
    assert view["private_metadata"] == "token" and view["callback_id"] == kit.RUN_VIEW


def test_run_modal_with_too_many_inputs_says_so():
    form = RunForm("g1", "Huge", [f"k{i}" for i in range(150)], [])
    view = kit.run_modal(form, "t")
    assert "more than a Slack form can hold" in all_text(view)


def test_modal_refuses_oversized_metadata():
    with pytest.raises(ValueError):
        kit.modal("x", [kit.section("y")], private_metadata="z" * 3001)


def test_grids_page_has_run_buttons_and_navigation():
    grids = [GridSummary(id=f"g{i}", name=f"<Grid {i}>", row_count=i) for i in range(10)]
    blocks = kit.grids_page_blocks(
        GridPage(grids=grids, total=25, page=2, limit=10, total_pages=3), None
    )
    text = all_text(blocks)
    assert text.count('"run_grid"') == 10 and "&lt;Grid 0&gt;" in text
    assert "grids_page_prev" in text and "grids_page_next" in text


def test_announcement_mentions_and_summarises():
    text, blocks = kit.announcement(make_run(state="queued"))
    assert "<@U0ANA> started *Company Enrichment*" in all_text(blocks)
    assert "Company name: Acme" in all_text(blocks)


def test_credit_alert_message():
    ws = Workspace.model_validate(
        {
            "plan": {"name": "Enterprise", "next_billing_date": "2026-12-01T00:00:00Z"},
            "credits": {"total": 1000, "used": 950, "remaining": 50},
        }
    )
    text, blocks = kit.credit_alert_message(CreditAlert("credits", ws, 100))
    assert "50 left" in text and "2026-12-01" in all_text(blocks)


def test_announcement_shows_a_short_safe_summary_only():
    run = make_run(
        state="running",
        inputs={
            "contact_email": "kay@kay.dev",
            "company_name": "Acme Corporation International Holdings Group",
            "website": "acme.io",
            "notes": "CEO is unhappy with their vendor, renewal in March",
            "crm_owner": "Bo",
        },
    )
    _, blocks = kit.announcement(run)
    text = json.dumps(blocks, ensure_ascii=False)
    assert "kay@kay.dev" not in text and "unhappy" not in text and "Bo" not in text
    assert "Company name: Acme Corporation Internationa…" in text
    assert "Website: acme.io" in text and "+3 more inputs" in text
    _, only_private = kit.announcement(make_run(state="running", inputs={"email": "a@b.c"}))
    assert "a@b.c" not in all_text(only_private) and "+1 more input" in all_text(only_private)


def test_an_email_or_phone_number_is_kept_out_of_the_summary_whatever_its_input_is_called():
    run = make_run(
        state="running",
        inputs={"lead": "kay@kay.dev", "contact": "+44 20 7946 0958", "company": "Acme"},
    )
    text = all_text(kit.announcement(run)[1])
    assert "kay@kay.dev" not in text and "7946" not in text
    assert "Company: Acme" in text and "+2 more inputs" in text


def test_help_says_only_me_and_that_run_again_keeps_it():
    text = all_text(kit.help_blocks())
    assert "Only me" in text and "*Edit and run again* keeps that choice" in text


@pytest.mark.parametrize("rows, said", [(1, "1 row."), (2, "2 rows."), (1200, "1,200 rows.")])
def test_the_column_step_counts_rows_in_words(rows, said):
    from bot.slack.blocks.batch_forms import map_modal

    form = RunForm("g1", "Grid", ["company_name"], [Column(id="c1", name="Out", type="text")])
    view = map_modal(
        form, "t", file_name="leads.csv", rows=rows, headers=["Company"], preselected={}
    )
    assert view["blocks"][0]["text"]["text"].startswith(f"*leads.csv* → *Grid*: {said} Pick")
