"""A batch counts rows of the sheet everywhere, and its file lines up with the sheet
(issue 23, items 8 and 9): the empty row is a row, skipped with a reason; duplicates are
rows; a cancel that stopped nothing says so."""

from __future__ import annotations

from bot.batches.progress import Progress, Report
from bot.playground.slack.records import wait_for
from bot.slack.blocks.batch_messages import progress_message, summary_message
from tests.e2e.test_batches import make_stack, parent_of, result_csv, summary_of, text_of

SHEET = b"Company Name,Website\nAlpha,alpha.io\n,\nBeta,\nGamma,gamma.io\nAlpha,alpha.io\n"


def test_the_empty_row_is_a_row_and_every_count_is_in_rows(tmp_path):
    with make_stack(tmp_path) as stack:
        _, preview = stack.driver.start_batch(SHEET)
        shown = text_of(preview)
        assert "Rows in the file: *5*" in shown  # Alpha, the empty row, Beta, Gamma, Alpha
        assert "Rows that will run: *3*, 2 of them sent to BitScale" in shown
        assert "Skipped: *2* rows have an empty input" in shown
        assert "3 (empty row), 4 (Website)" in shown  # numbered as in the sheet
        assert "Exact duplicates: *1* row repeats an earlier row" in shown
        parent = parent_of(stack)
        summary = summary_of(stack, parent)
        assert "• Rows in the file: 5" in summary and "• Done: 3" in summary
        table = result_csv(stack)
        assert len(table) == 6  # the header and one line per sheet row
        assert [row[0] for row in table[1:]] == ["Alpha", "", "Beta", "Gamma", "Alpha"]
        statuses = [(row[-2], row[-1]) for row in table[1:]]
        assert statuses[1] == ("skipped", "the row is empty")
        assert statuses[2] == ("skipped", "website is empty in this row")
        assert [s for s, _ in statuses].count("done") == 3

        def final() -> str:  # the batch's own message, edited once the batch ends
            return text_of(stack.standin.message("C0SALES", parent.ts).blocks)

        wait_for(lambda: "3 of 3 rows" in final())
        assert "2 rows skipped" in final()


def _batch(**kw):
    from bot.batches.store import Batch

    fields = dict(
        id="b1", grid_id="g", grid_name="Grid", user_id="U0ANA", channel_id="C0SALES",
        file_name="f.csv", file_id="F1", encoding="utf-8", delimiter=",", headers=["a"],
        mapping={"a": "a"}, outputs=[], state="cancelled", created_at=0.0, rows_total=12,
    )  # fmt: skip
    fields.update(kw)
    return Batch(**fields)


def test_a_cancel_says_what_it_stopped():
    nothing = Progress(12, 12, 0, 0, 0, None, None)
    _, blocks = summary_message(_batch(), Report(nothing, [], None))
    said = text_of(blocks)
    assert "Every row had already been sent, so nothing was stopped" in said
    some = Progress(12, 4, 0, 0, 8, None, None)
    said = text_of(summary_message(_batch(), Report(some, [], None))[1])
    assert "8 rows not yet sent were stopped" in said
    _, blocks = progress_message(_batch(state="running", rows_skipped=1), some)
    assert "4 of 12 rows" in text_of(blocks) and "1 row skipped" in text_of(blocks)
