"""The workflow step's input text and outputs."""

from __future__ import annotations

import json

from bot.slack.workflow import match_step_inputs, parse_lines, step_error, step_outputs
from tests.factories import make_run


def test_lines_to_grid_keys_by_the_label_rule():
    parsed = match_step_inputs(
        "Company Name: Acme\n\n  website = https://acme.io?a=b\n", ["company_name", "website"]
    )
    assert parsed.problems == []
    assert parsed.values == {"company_name": "Acme", "website": "https://acme.io?a=b"}


def test_problems_name_the_fix():
    parsed = match_step_inputs("nonsense\nname: Kay", ["full_name", "company_domain"])
    text = " ".join(parsed.problems)
    assert "not `key: value`: nonsense" in text
    assert "no input called name" in text and "`full_name`, `company_domain`" in text
    assert "No value for `full_name`, `company_domain`" in text
    assert match_step_inputs("a: " + "x" * 2001, ["a"]).problems == [
        "`a` is 2,001 characters; the limit is 2,000."
    ]
    assert parse_lines("url: https://x.io") == ({"url": "https://x.io"}, [])


def test_outputs_use_the_declared_names_and_escape_the_text():
    run = make_run(
        outputs={
            "industry": {"name": "Industry", "value": "<!channel> Software"},
            "employees": {"name": "Employees", "value": 1200},
        },
        permalink="https://demo.slack.com/archives/C1/p1",
    )
    outputs = step_outputs(run)
    assert outputs["status"] == "completed"
    assert outputs["result_text"] == "Industry: &lt;!channel&gt; Software\nEmployees: 1,200"
    assert json.loads(outputs["result_json"]) == {
        "industry": "<!channel> Software",
        "employees": 1200,
    }
    assert outputs["thread_link"] == "https://demo.slack.com/archives/C1/p1"
    assert "thread_link" not in step_outputs(make_run(outputs={}, channel_id=None))


def test_failure_sentence_is_bitscales():
    run = make_run(state="failed", error_message="Provider returned an error.")
    assert step_error(run) == "Company Enrichment failed: Provider returned an error."


def test_an_object_output_stays_under_its_name_in_result_text():
    """issue 23, Words: "Headquarters: City: Bangalore" and "Country: US" read as two."""
    run = make_run(
        outputs={
            "hq": {"name": "Headquarters", "value": {"city": "Bangalore", "country": "US"}},
            "industry": {"name": "Industry", "value": "Software"},
        }
    )
    assert step_outputs(run)["result_text"] == (
        "Headquarters:\n  City: Bangalore\n  Country: US\nIndustry: Software"
    )
