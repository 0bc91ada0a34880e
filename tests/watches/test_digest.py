"""A firing condensed: the headline, a line per changed row, failing rows apart, the CSV."""

from __future__ import annotations

import csv
import io

from bot.watches.digest import Digest, RowOutcome, build, csv_text

OUTPUTS = [{"id": "employee_count", "name": "Employee count"},
           {"id": "tech_stack", "name": "Tech stack"}]
KEYS = ["company_name", "website"]


def row(name, known, values, state="completed", error=None):
    return RowOutcome(name.lower(), {"company_name": name, "website": f"{name}.io"}, known,
                      state, values, error)


def test_changed_rows_get_one_line_and_failing_rows_are_apart():
    outcomes = [
        row("Acme", {"employee_count": "120", "tech_stack": ["AWS", "Heroku"]},
            {"employee_count": 180, "tech_stack": ["AWS", "Snowflake"]}),
        row("Globex", {"employee_count": 1200, "tech_stack": ["GCP"]},
            {"employee_count": "1,200", "tech_stack": ["gcp"]}),
        row("Initech", {"employee_count": 5, "tech_stack": []}, None, "failed", "No such site"),
    ]
    digest = build(outcomes, OUTPUTS, KEYS)
    assert digest.headline() == "1 of 3 accounts changed"
    assert digest.lines() == ["Acme · Employee count 120 → 180 · Tech stack +Snowflake −Heroku"]
    assert digest.failure_lines() == ["Initech · No such site"]
    assert Digest.from_json(digest.to_json()) == digest


def test_the_first_firing_records_the_baseline_and_reports_no_change():
    digest = build([row("Acme", None, {"employee_count": 1})], OUTPUTS, KEYS)
    assert digest.first and not digest.changed
    assert digest.headline().startswith("First check of 1 accounts")


def test_no_change_is_quiet():
    same = {"employee_count": 3, "tech_stack": ["a"]}
    digest = build([row("Acme", same, dict(same))], OUTPUTS, KEYS)
    assert digest.quiet and digest.headline() == "0 of 1 accounts changed"
    assert build([], OUTPUTS, ["topic"]).noun == "rows"


def test_the_csv_holds_the_whole_table_and_the_changes():
    outcomes = [
        row("Acme", {"employee_count": 120, "tech_stack": []}, {"employee_count": 180,
                                                               "tech_stack": ["AWS"]}),
        row("=Evil", {"employee_count": 1, "tech_stack": []}, {"employee_count": 1,
                                                               "tech_stack": []}),
        row("Initech", {"employee_count": 5}, None, "failed", "No such site"),
    ]
    table = list(csv.reader(io.StringIO(csv_text(outcomes, OUTPUTS, KEYS))))
    assert table[0] == ["company_name", "website", "Employee count", "Tech stack",
                        "watch_status", "watch_changes", "watch_error"]
    assert table[1] == ["Acme", "Acme.io", "180", '["AWS"]', "changed",
                        "Employee count 120 → 180; Tech stack +AWS", ""]
    assert table[2][0] == "'=Evil" and table[2][4] == "unchanged"
    assert table[3][2] == "5" and table[3][4:] == ["failing", "", "No such site"]


def test_an_output_added_by_an_edit_sets_its_baseline_instead_of_changing():
    outcomes = [row("Acme", {"employee_count": 5}, {"employee_count": 5, "tech_stack": ["AWS"]})]
    assert build(outcomes, OUTPUTS, KEYS).changed == []
