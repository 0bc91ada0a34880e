from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.blocks.run_form import input_block_id
from bot.slack.form_state import parse_submission
from bot.slack.listeners.commands import SUBCOMMANDS, parse_command, suggest


def test_parse_examples():
    assert parse_command("").name == "help"
    assert parse_command(None).name == "help"
    assert parse_command("grids company").arg == "company"
    assert parse_command("RUN  Company Enrichment ").arg == "Company Enrichment"
    assert parse_command('run "Company Enrichment"').arg == "Company Enrichment"
    assert parse_command("status abc-123") == parse_command("status  abc-123")
    assert parse_command("dance now").name == "unknown"
    assert parse_command("dance now").arg == "dance"
    assert parse_command("rnu Company Enrichment").rest == "Company Enrichment"


def test_typos_suggest_the_command_meant():
    assert suggest("rnu") == "run"
    assert suggest("grdis") == "grids"
    assert suggest("stauts") == "status"
    assert suggest("histroy") == "runs"  # an alias's word leads to its command
    assert suggest("frobnicate") is None


@given(st.text(max_size=5000))
def test_parser_never_fails_and_stays_small(text):
    parsed = parse_command(text)
    assert parsed.name in (*SUBCOMMANDS, "unknown")
    assert len(parsed.arg) <= max(500, len(text))


SESSION = {"keys": ["company_name", "website"], "outputs": ["a", "b"], "channel_id": "C1"}
IN0, IN1 = input_block_id("company_name"), input_block_id("website")


def test_submission_reads_values_and_narrows_outputs():
    values = {
        IN0: {"value": {"value": " Acme "}},
        IN1: {"value": {"value": "acme.io"}},
        "out0": {"columns": {"selected_options": [{"value": "b"}]}},
    }
    sub = parse_submission(SESSION, values)
    assert sub.errors == {} and sub.inputs == {"company_name": "Acme", "website": "acme.io"}
    assert sub.output_columns == ["b"] and sub.channel_id == "C1"


def test_all_outputs_checked_sends_none():
    values = {
        IN0: {"value": {"value": "a"}},
        IN1: {"value": {"value": "b"}},
        "out0": {"columns": {"selected_options": [{"value": "a"}, {"value": "b"}]}},
    }
    assert parse_submission(SESSION, values).output_columns is None


@given(
    st.recursive(
        st.none() | st.text() | st.integers(),
        lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids),
        max_leaves=20,
    )
)
def test_odd_payloads_give_errors_not_exceptions(values):
    sub = parse_submission(SESSION, values if isinstance(values, dict) else {IN0: values})
    assert set(sub.errors) <= {IN0, IN1, "out0"}
