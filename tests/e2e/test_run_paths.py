"""Runs that fail, wait, fall back, repeat or carry hostile text: each user-visible path."""

from __future__ import annotations

import json

from bot.playground.rigs.stack import LocalStack
from bot.playground.simulators.bitscale import Simulator
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import is_run_form, wait_for
from bot.slack.blocks.run_form import input_block_id
from bot.slack.form_outputs import NOTE_BLOCK
from tests.e2e.test_commands import blocks_text


def thread_reply(stack, channel="C0SALES"):
    parent = wait_for(lambda: stack.standin.posts(channel, top_level=True))[-1]
    reply = wait_for(lambda: stack.standin.posts(channel, thread_ts=parent.ts))[-1]
    return parent, reply


def test_validation_answers_inside_the_modal(stack):
    view = stack.driver.open_run_form("run Company Enrichment")
    values = form_values(view, {"company_name": "   ", "website": "x" * 2500}, outputs=[])
    answer = stack.driver.submit(view, values)
    errors = json.loads(answer.text)
    assert errors["response_action"] == "errors"
    assert errors["errors"][input_block_id("company_name")] == "Company name can't be empty."
    assert "limit is 2,000" in errors["errors"][input_block_id("website")]
    assert errors["errors"]["out0"] == "Pick at least one output."
    assert stack.sim.run_count == 0 and stack.bot.store.count_runs() == 0


def test_unchecked_outputs_narrow_the_run(stack):
    view = stack.driver.open_run_form("run Company Enrichment")
    stack.driver.submit(
        view,
        form_values(
            view,
            {"company_name": "Acme", "website": "a.io"},
            outputs=["industry", "employee_count"],
        ),
    )
    _, reply = thread_reply(stack)
    (run,) = stack.sim.runs_for("Company Enrichment")
    assert run.output_columns == ["industry", "employee_count"]
    text = blocks_text(reply.blocks)
    assert "*Industry*" in text and "*AI summary*" not in text


def test_unticking_outputs_asks_only_for_the_inputs_they_need(stack):
    view = stack.driver.open_run_form("run Company Enrichment")
    values = form_values(view, {"company_name": "Acme"}, outputs=["industry", "employee_count"])
    before = len(stack.standin.view_log)
    stack.driver.click(
        {
            "action_id": "columns",
            "block_id": "out0",
            "type": "checkboxes",
            "selected_options": values["out0"]["columns"]["selected_options"],
        },
        view={**view, "state": {"values": values}},
    )
    narrowed = wait_for(lambda: stack.standin.latest_view(before, lambda v: not note_of(v)))
    fields = [
        b
        for b in narrowed["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    ]
    assert [f["label"]["text"] for f in fields] == ["Company name"]
    assert fields[0]["element"]["initial_value"] == "Acme"
    ticked = narrowed["blocks"][2]["element"]["initial_options"]
    assert [o["value"] for o in ticked] == ["industry", "employee_count"]
    stack.driver.submit(
        narrowed,
        form_values(narrowed, {"company_name": "Acme"}, outputs=["industry", "employee_count"]),
    )
    wait_for(lambda: stack.sim.run_count == 1)
    (run,) = stack.sim.runs_for("Company Enrichment")
    assert run.inputs == {"company_name": "Acme"}
    assert run.output_columns == ["industry", "employee_count"]


def note_of(view: dict) -> str:
    return "".join(
        e["text"] for b in view["blocks"] if b.get("block_id") == NOTE_BLOCK for e in b["elements"]
    )


def tick(stack, view: dict, outputs: list[str]) -> int:
    """Tick `outputs` in the run form as Slack reports it; the view log's length before."""
    values = form_values(view, {"company_name": "Acme"}, outputs=outputs)
    before = len(stack.standin.view_log)
    stack.driver.click(
        {
            "action_id": "columns",
            "block_id": "out0",
            "type": "checkboxes",
            "selected_options": values["out0"]["columns"]["selected_options"],
        },
        view={**view, "state": {"values": values}},
    )
    return before


def test_every_output_change_is_answered_and_a_slow_one_says_it_is_checking(stack):
    """issue 23, item 11: the form says at once that it asks BitScale, and a change that
    keeps the same inputs is answered too (the shell waited 4 s for an answer that never
    came)."""
    view = stack.driver.open_run_form("run Company Enrichment")
    stack.sim.inject(path_contains="/curl", hang=0.5, passthrough=True)
    before = tick(stack, view, ["industry", "employee_count", "tech_stack", "ai_summary"])
    checking = wait_for(lambda: stack.standin.latest_view(before))
    assert note_of(checking) == "⏳ Checking which inputs these outputs need…"
    assert stack.standin.latest_view(before, lambda v: not note_of(v)) is None  # not yet
    answered = wait_for(lambda: stack.standin.latest_view(before, lambda v: not note_of(v)), 10)
    labels = [b["label"]["text"] for b in answered["blocks"] if b["type"] == "input"]
    assert labels[:2] == ["Company name", "Website"]  # the same inputs: answered anyway
    # the same outputs again: BitScale's answer is known, so no note, one update
    before = tick(stack, answered, ["industry", "employee_count", "tech_stack", "ai_summary"])
    wait_for(lambda: len(stack.standin.view_log) > before)
    assert [note_of(v) for _, _, v in stack.standin.view_log[before:]] == [""]
    # BitScale does not answer: the form says so instead of keeping the note
    stack.sim.inject(path_contains="/curl", status=403, code="FEATURE_DISABLED")
    before = tick(stack, answered, ["industry"])
    failed = wait_for(lambda: stack.standin.latest_view(before, lambda v: "⚠️" in note_of(v)), 20)
    assert "BitScale did not say which inputs these outputs need" in note_of(failed)


def test_double_submit_starts_one_run(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    values = form_values(view, {"full_name": "Ada Lovelace", "company_domain": "ex.com"})
    for _ in range(3):
        assert stack.driver.submit(view, values).status_code == 200
    thread_reply(stack)
    assert stack.sim.run_count == 1
    assert len(stack.standin.posts("C0SALES", top_level=True)) == 1


def test_failed_run_shows_message_and_run_again_prefills(stack):
    view = stack.driver.open_run_form("run Broken Enrichment")
    stack.driver.submit(view, form_values(view, {"company_name": "Initech"}))
    parent, reply = thread_reply(stack)
    text = blocks_text(reply.blocks)
    assert "failed" in text and "Enrichment provider returned an error for 'Initech'" in text
    wait_for(lambda: stack.standin.message("C0SALES", parent.ts).text.startswith("❌"))
    again = next(e for b in reply.blocks if b["type"] == "actions" for e in b["elements"])
    assert again["text"]["text"] == "Edit and run again"
    before = len(stack.standin.view_log)
    stack.driver.click(again, message=reply)
    form = wait_for(lambda: stack.standin.latest_view(before, is_run_form))
    field = next(b for b in form["blocks"] if b["type"] == "input")
    assert field["element"]["initial_value"] == "Initech"
    assert "Trying again may help" in text and "may have spent credits" in text


def test_a_grid_that_keeps_failing_alike_says_retrying_will_not_help(stack):
    for n, company in enumerate(("Initech", "Globex", "Hooli"), 1):
        view = stack.driver.open_run_form("run Broken Enrichment")
        stack.driver.submit(view, form_values(view, {"company_name": company}))
        wait_for(lambda n=n: len(stack.standin.posts("C0SALES", top_level=True)) == n)
        _, reply = thread_reply(stack)
    text = blocks_text(reply.blocks)
    assert "failed the same way on its last 3 runs" in text
    assert "Edit and run again" in json.dumps(reply.blocks)


def test_slow_run_is_polled_to_completion(stack):
    view = stack.driver.open_run_form("run Load Test")
    stack.driver.submit(
        view, form_values(view, {"company_name": "Slowco", "duration_seconds": "150"})
    )  # outlasts BitScale's 120 s sync window (1.5 real s at 100x)
    run = wait_for(lambda: (r := stack.bot.store.all_runs()) and r[0].state == "running" and r[0])
    assert run.request_id and run.mode == "async"  # a grid the bot has not timed yet
    _, reply = thread_reply(stack)
    assert "*Echo*\nSlowco" in blocks_text(reply.blocks)
    assert stack.sim.count(path_contains="/run/status/") >= 1


def test_channel_the_bot_cannot_post_in_falls_back_to_a_dm(stack):
    stack.standin.channel_errors["C0SALES"] = "not_in_channel"
    view = stack.driver.open_run_form("run Person Lookup")
    stack.driver.submit(
        view, form_values(view, {"full_name": "Alan Turing", "company_domain": "bletchley.uk"})
    )
    parent, reply = thread_reply(stack, channel="D0ANA")
    assert "I'm not a member of that channel" in blocks_text(parent.blocks)
    assert "alan.turing@bletchley.uk" in blocks_text(reply.blocks)


def test_outputs_cannot_ping_or_disguise_links(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    stack.driver.submit(
        view,
        form_values(
            view,
            {"full_name": "<!channel> <@U999>", "company_domain": "<https://evil.io|bank.com>"},
        ),
    )
    parent, reply = thread_reply(stack)
    everything = blocks_text(parent.blocks) + blocks_text(reply.blocks)
    assert "<!channel>" not in everything and "<@U999>" not in everything
    assert "<https://evil.io" not in everything
    assert "&lt;!channel&gt;" in everything


def test_shortcut_picks_a_grid_and_a_channel(stack):
    stack.driver.shortcut()
    picker = wait_for(lambda: stack.standin.latest_view())
    assert picker["title"]["text"] == "Run a BitScale grid"
    options = json.loads(stack.driver.suggest("pick_grid", "person", picker).text)["options"]
    assert [o["text"]["text"] for o in options] == ["Person Lookup"]
    stack.driver.click(
        {
            "action_id": "pick_grid",
            "block_id": "grid",
            "type": "external_select",
            "selected_option": options[0],
        },
        view=picker,
    )
    form = wait_for(
        lambda: (
            stack.standin.views[picker["id"]].get("callback_id") == "run_view"
            and stack.standin.views[picker["id"]]
        )
    )
    stack.driver.submit(
        form,
        form_values(form, {"full_name": "Kay Ng", "company_domain": "kay.dev"}, channel="C0DEALS"),
    )
    _, reply = thread_reply(stack, channel="C0DEALS")
    assert "kay.ng@kay.dev" in blocks_text(reply.blocks)


def test_credit_alert_fires_once_per_crossing(stack):
    bot, sim = stack.bot, stack.sim
    alerts = lambda: stack.standin.posts("C0ALERTS")  # noqa: E731
    bot.credits.check()
    assert alerts() == []
    sim.set_credits_remaining(900)
    bot.credits.check()
    bot.credits.check()
    assert len(alerts()) == 1
    assert "900 left" in blocks_text(alerts()[0].blocks)
    sim.set_credits_remaining(5000)
    bot.credits.check()
    sim.set_credits_remaining(10)
    bot.credits.check()
    assert len(alerts()) == 2
    sim.set_searches_remaining(3)
    bot.credits.check()
    bot.credits.check()
    assert len(alerts()) == 3 and "searches are running out" in blocks_text(alerts()[-1].blocks)


def test_finished_runs_trigger_a_credit_check(stack):
    stack.sim.set_credits_remaining(999)
    view = stack.driver.open_run_form("run Person Lookup")
    stack.driver.submit(view, form_values(view, {"full_name": "A B", "company_domain": "c.d"}))
    wait_for(lambda: stack.standin.posts("C0ALERTS"))


def test_run_that_never_finishes_expires_and_says_so(tmp_path):
    sim = Simulator("k")  # real time: Deep Research takes 150 s
    with LocalStack(
        str(tmp_path / "db"),
        simulator=sim,
        tick_seconds=0.05,
        settings={"RUN_EXPIRY_MINUTES": 0.01, "BITSCALE_RUN_MODE": "async"},
    ) as stack:
        view = stack.driver.open_run_form("run Deep Research")
        stack.driver.submit(view, form_values(view, {"topic": "x"}))
        _, reply = thread_reply(stack)
        assert "did not finish in time" in blocks_text(reply.blocks)
        assert stack.bot.store.all_runs()[0].state == "expired"


def test_a_slow_run_says_it_is_still_running_then_shows_its_end(stack):
    reporter = stack.bot.progress
    reporter.first_after, reporter.every = 0.2, 0.3  # seconds, instead of 20 s
    view = stack.driver.open_run_form("run Deep Research")  # 150 s at BitScale: 1.5 s here
    stack.driver.submit(view, form_values(view, {"topic": "fintech"}))
    parent = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True))[0]
    edit = wait_for(
        lambda: [
            c
            for c in stack.standin.calls_to("chat.update")
            if "still running · " in json.dumps(c.args.get("blocks"), ensure_ascii=False)
        ]
    )[0]
    assert edit.args["ts"] == parent.ts

    def ended() -> bool:
        final = stack.standin.message("C0SALES", parent.ts)
        shown = json.dumps(final.blocks, ensure_ascii=False)
        return final.text.startswith("✅") and "still running" not in shown

    wait_for(ended)  # a late edit never leaves "still running" on a finished run


def test_a_result_whose_announcement_was_deleted_is_posted_on_its_own(stack):
    view = stack.driver.open_run_form("run Deep Research")  # 1.5 s here
    stack.driver.submit(view, form_values(view, {"topic": "payments"}))
    parent = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True))[0]
    with stack.standin.lock:  # someone deletes the announcement while the run runs
        stack.standin.messages.remove(parent)
    result = wait_for(
        lambda: [
            m
            for m in stack.standin.posts("C0SALES", top_level=True)
            if "Research notes" in blocks_text(m.blocks)
        ]
    )[0]
    assert result.thread_ts is None
    run = wait_for(lambda: (r := stack.bot.store.all_runs()[0]).notified_at and r)
    assert run.notify_error is None
