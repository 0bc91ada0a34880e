"""The whole path, driven like Slack drives it: command → modal → submission → thread."""

from __future__ import annotations

from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for


def test_command_to_thread_result(stack):
    view = stack.driver.open_run_form("run Company Enrichment")
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels[:2] == ["Company name", "Website"]
    answer = stack.driver.submit(
        view, form_values(view, {"company_name": "Acme Robotics", "website": "acme.io"})
    )
    assert answer.status_code == 200 and answer.text == ""

    announcement = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True))[0]
    assert "<@U0ANA> started *Company Enrichment*" in announcement.blocks[0]["text"]["text"]
    reply = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=announcement.ts))[0]
    text = " ".join(b.get("text", {}).get("text", "") for b in reply.blocks)
    assert "*Industry*" in text and "<@U0ANA>" in text

    (sim_run,) = stack.sim.runs_for("Company Enrichment")
    assert sim_run.inputs == {"company_name": "Acme Robotics", "website": "acme.io"}
    assert (
        "Acme Robotics (acme.io)"
        in stack.sim.runs_for("Company Enrichment")[0].outputs()["ai_summary"]["value"]
    )
    # parent turns ✅, the long summary comes as a file
    wait_for(lambda: stack.standin.message("C0SALES", announcement.ts).text.startswith("✅"))
    assert wait_for(lambda: [f for f in stack.standin.files.values() if f.get("thread_ts")])
