"""The watch's messages within Slack's limits: a digest of 10,000 changed rows is 50 blocks
at most, each section under 3,000 characters, with the rest counted and left to the file."""

from __future__ import annotations

from bot.providers.bitscale.models import Column
from bot.slack.blocks import watch_forms as forms
from bot.slack.blocks import watch_messages as messages
from bot.slack.blocks import watches as kit
from bot.watches.digest import RowOutcome, build
from bot.watches.schedule import Schedule
from bot.watches.service import Cost
from bot.watches.store import Watch

OUTPUTS = [{"id": "n", "name": "Employee count"}, {"id": "t", "name": "Tech stack"}]
WATCH = Watch(id="w1", owner="U0ANA", grid_id="g", grid_name="<!channel> Enrichment",
              input_keys=["company_name"], outputs=OUTPUTS,
              schedule=Schedule("weekly", "09:00", "UTC", weekday=0), state="active",
              created_at=0.0, channel_id="C0SALES", rows=10_000, cost_per_row=2.0)


def outcomes(count: int) -> list[RowOutcome]:
    long = "x" * 700
    rows = [RowOutcome(str(i), {"company_name": f"Co {i} <@U0BOB>"}, {"n": i, "t": ["A"]},
                       "completed", {"n": i + 1, "t": ["B", long]}) for i in range(count)]
    rows += [RowOutcome("f", {"company_name": "Broken"}, {"n": 1}, "failed", None, "No site")]
    return rows


def test_a_huge_digest_fits_in_fifty_blocks_and_points_to_the_file():
    digest = build(outcomes(10_000), OUTPUTS, ["company_name"])
    text, blocks = messages.digest_message(WATCH, digest, late=None, scheduled=1_780_000_000)
    assert len(blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    shown = str(blocks)
    assert "10,000 of 10,001 accounts changed" in text
    left = 10_000 - messages.MAX_CHANGE_LINES
    assert f"…and {left:,} more changed rows in the attached file" in shown
    assert "Failing now (1)" in shown and "Broken · No site" in shown
    assert "<@U0BOB>" not in shown and "&lt;@U0BOB&gt;" in shown  # values are escaped


def test_no_change_is_one_short_line():
    same = [RowOutcome("1", {"company_name": "Acme"}, {"n": 1}, "completed", {"n": "1"})]
    _, blocks = messages.digest_message(WATCH, build(same, OUTPUTS, ["company_name"]), late=None,
                                        scheduled=1_780_000_000)
    assert len(blocks) == 1 and blocks[0]["text"]["text"].startswith("✅ No change in 1 ")


def test_the_form_the_cost_and_the_list_render():
    columns = [Column(id=f"o{i}", name=f"Output {i}") for i in range(25)]
    view = forms.watch_form("token", grid_name="Company Enrichment", outputs=columns,
                            rows_text=None)
    assert len(view["blocks"]) <= 100 and view["callback_id"] == forms.FORM_VIEW
    cost = Cost(rows=120, per_row=5.0, per_month=4.35, credits_left=1000, needs_approval=True,
                budget_problem=None)
    shown = "\n".join(forms.cost_lines(cost))
    assert "Rows: *120* × credits per row: *5.0 credits* × firings a month: *4.35*" in shown
    assert "About *2,610* credits a month" in shown and "less than a month" in shown
    assert "need an admin's approval" in shown
    listed = kit.list_blocks([WATCH] * 30, everyone=True)
    assert len(listed) <= 50 and "…and 10 more." in str(listed)
    assert "&lt;!channel&gt; Enrichment" in str(listed)
    assert "about 86,964 credits" in str(listed)  # 10,000 rows × 2 × 365.25 / 12 / 7
