"""What one person can see of another's runs, and what a hostile grid name can do."""

from __future__ import annotations

import dataclasses
import json
import re

from bot.playground.rigs.stack import SIGNING_SECRET
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from tests.e2e.test_commands import blocks_text, button_in, command_reply, reply_to

PERSON = {"full_name": "Ada Lovelace", "company_domain": "secret-client.io"}


def _bob(stack, channel_id: str = "C0OTHER") -> SlackDriver:
    return SlackDriver(
        stack.driver.url,
        SIGNING_SECRET,
        stack.standin,
        user_id="U0BOB",
        user_name="bob",
        channel_id=channel_id,
        channel_name="other",
    )


def _finished_run(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    stack.driver.submit(view, form_values(view, PERSON))
    return wait_for(lambda: (r := stack.bot.store.all_runs()) and r[0].notified_at and r[0])


def test_status_shows_a_run_only_to_its_requester_or_its_channel(stack):
    run = _finished_run(stack)
    bob = _bob(stack)
    try:
        for ident in (run.ref, run.id):
            said = blocks_text(
                reply_to(stack, lambda i=ident: bob.command(f"status {i}"))["blocks"]
            )
            assert "secret-client" not in said and "Person Lookup" not in said
            assert "no run you can see" in said
        # in the run's own channel, everyone there sees it already
        in_channel = _bob(stack, channel_id="C0SALES")
        said = blocks_text(
            reply_to(stack, lambda: in_channel.command(f"status {run.ref}"))["blocks"]
        )
        assert "Person Lookup" in said
        in_channel.close()
        # the requester sees it anywhere
        assert "Person Lookup" in blocks_text(command_reply(stack, f"status {run.ref}")["blocks"])
    finally:
        bob.close()


def test_status_does_not_relay_unknown_ids_to_bitscale(stack):
    before = stack.sim.count(path_contains="/run/status")
    said = blocks_text(
        command_reply(stack, "status 6f1c2f0e-1111-4222-8333-944445555666")["blocks"]
    )
    assert "no run you can see" in said
    assert stack.sim.count(path_contains="/run/status") == before


def test_run_again_posts_where_pressed_as_the_presser(stack):
    stack.sim.inject(method="POST", path_contains="/run", status=400, code="INVALID_INPUTS")
    run = _finished_run(stack)
    assert run.state == "failed"
    reply = next(m for m in stack.standin.posts("C0SALES") if m.thread_ts)
    again = button_in(reply, "run_again")
    # Bob, in the thread in #sales, gets the form; the new run is his and goes to #sales.
    in_channel = _bob(stack, channel_id="C0SALES")
    since = len(stack.standin.view_log)
    in_channel.click(again, message=reply, channel_id="C0SALES")
    form = wait_for(
        lambda: stack.standin.latest_view(since, lambda v: v.get("callback_id") == "run_view")
    )
    session = stack.bot.store.load_session(form["private_metadata"])
    assert session["user_id"] == "U0BOB" and session["channel_id"] == "C0SALES"
    in_channel.close()
    # Bob pressing it where the run never was (a forged or forwarded button) gets nothing.
    bob = _bob(stack)
    answer = reply_to(stack, lambda: bob.click(again, channel_id="C0OTHER"))
    assert "secret-client" not in json.dumps(answer) and "can't find" in answer["text"]
    bob.close()


def _live_markup(text: str) -> list[str]:
    """Slack markup that would notify or link: anything in <…> but a user mention."""
    return [m for m in re.findall(r"<[^<>]*>", text) if not re.fullmatch(r"<@U[A-Z0-9]+>", m)]


def test_no_outgoing_text_holds_live_markup(stack):
    evil = "<!channel> <https://evil.example|Click> &"
    grid = stack.sim.grid_named("Person Lookup")
    stack.sim.state.grids["evil-grid"] = dataclasses.replace(grid, id="evil-grid", name=evil)
    view = stack.driver.open_run_form("run evil-grid")
    stack.driver.submit(view, form_values(view, {**PERSON, "full_name": "<!here>"}))
    wait_for(lambda: (r := stack.bot.store.all_runs()) and r[0].notified_at)
    run = stack.bot.store.all_runs()[0]
    stack.driver.command(f"status {run.ref}")
    stack.driver.command("runs")
    answer, _, _ = stack.driver.command(f"{evil} now")  # an unknown word, echoed
    wait_for(lambda: any(c.method == "chat.update" for c in stack.standin.calls))
    texts = [answer.json().get("text", "")]
    texts += [c.args.get("text") or "" for c in stack.standin.calls]
    texts += [r.get("text") or "" for r in stack.standin.responses]
    leaks = [(t, _live_markup(str(t))) for t in texts if _live_markup(str(t))]
    assert leaks == []
    assert any("&lt;!channel&gt;" in str(t) for t in texts)  # the name is there, defused


def test_an_unknown_word_is_echoed_back_bounded(stack):
    answer, _, _ = stack.driver.command("x" * 200_000 + " and more")
    assert answer.status_code == 200 and len(answer.content) < 10_000
