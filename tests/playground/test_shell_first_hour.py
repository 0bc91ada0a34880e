"""The playground's first hour, what was left (issue 23): a budget or the approval
threshold is told in the batch preview, before Start; an output change is answered at
once; a redrawn message keeps its numbers; links and Ctrl-D. Shell transcripts mostly."""

from __future__ import annotations

import functools
import io
import time

import pytest

from bot.playground.rigs import stack as stack_module
from bot.playground.rigs.stack import LocalStack
from bot.playground.shell.session import Shell
from bot.playground.shell.start import run_shell
from bot.playground.simulators.bitscale import Simulator
from bot.playground.slack.records import wait_for


@pytest.fixture
def quick_sim(monkeypatch):
    """The shell's simulator on a clock 50x real time (runs end in a blink)."""
    monkeypatch.delenv("BITSCALE_API_KEY", raising=False)
    monkeypatch.setattr(stack_module, "Simulator", functools.partial(Simulator, time_scale=50))


def transcript(tmp_path, text: str) -> str:
    script = tmp_path / "session.txt"
    script.write_text(text)
    out = io.StringIO()
    assert run_shell(db_path=str(tmp_path / "shell.db"), script=str(script), out=out) == 0
    return out.getvalue()


def batch(path) -> str:
    """The batch form for a file: the first column is the name, the second the website."""
    return f"/bitscale batch Company Enrichment\n{path}\n\n2\n\n"


def test_the_preview_says_a_budget_refuses_it_or_an_admin_must_approve(tmp_path, quick_sim):
    """item 7: both are in the preview, before Start; a refused batch offers no Start."""
    leads = tmp_path / "leads.csv"
    leads.write_text("Company Name,Site\nAlpha,alpha.io\nBeta,beta.io\nGamma,gamma.io\n")
    said = transcript(
        tmp_path,
        "/bitscale admin :: rows per person per day=2\n"
        + batch(leads)
        + "/bitscale admin :: rows per person per day=10; "
        "batches above this many rows need approval=2\n" + batch(leads) + "\n",
    )
    refused, waits = said.split("┌ Batch preview")[1:]
    assert (
        "│ 🚫 *This batch cannot start:* That would be 3 rows, and you have 2 of your 2 "
        "rows a day left." in refused
    )
    assert "[Start]" not in refused
    assert (
        "│ ⏳ *Needs an admin's approval:* 3 rows is more than the 2 rows a batch may run "
        "without one. After Start the batch waits until an admin approves it; I ask the "
        "admins in #credit-alerts, and you hear in its thread." in waits
    )
    assert "│ [Start]? (Enter presses it" in waits
    # after Start: the batch's message says it waits, and the admins are asked
    assert "waiting for approval" in waits
    assert "asks to run" in waits


def test_an_output_change_is_answered_at_once(tmp_path, quick_sim, monkeypatch):
    """item 11: picking outputs says it is checking the inputs, and a pick that keeps the
    same inputs no longer waits 4 s for an answer that never came."""
    took: list[float] = []
    narrow = Shell.narrow

    def timed(self, view, outputs):
        started = time.monotonic()
        try:
            return narrow(self, view, outputs)
        finally:
            took.append(time.monotonic() - started)

    monkeypatch.setattr(Shell, "narrow", timed)
    said = transcript(tmp_path, "/bitscale run Company Enrichment\n1,2,3,5\nAcme\nacme.io\n\n")
    assert (
        "│   keep which? (Enter = all, or e.g. 1,3): 1,2,3,5\n"
        "│ ⏳ Checking which inputs these outputs need…\n┌ Run Company Enrichment" in said
    )
    assert "│ Website (required): acme.io" in said  # the same inputs as before
    assert "⏳ @ana started *Company Enrichment*" in said
    assert len(took) == 1 and took[0] < 2.0  # was 4 s: the shell waited for silence


def test_a_redrawn_grid_list_keeps_its_numbers(tmp_path):
    """item 12: the grid list is redrawn once a grid is found to have no API source; the
    other grids keep their numbers, so run 7 never comes to mean another grid."""
    with LocalStack(None, simulator=Simulator(time_scale=50), tick_seconds=0.05) as stack:
        out = io.StringIO()

        def redrawn() -> bool:
            return "it replaced its message" in out.getvalue()

        lines = iter(["/bitscale grids", "run 7", "run 8"])

        def read_line(prompt: str) -> str | None:
            if prompt.startswith("#sales") and "/bitscale grids" in out.getvalue():
                wait_for(redrawn, 20)
            line = next(lines, None)
            if line is not None:
                out.write(prompt + line + "\n")
            return line

        Shell(stack, out, read_line, user="ana", channel="sales", live=True).run()
        said = out.getvalue()
    first, again = said.split("it replaced its message")
    assert (
        "*Draft Grid (no API source)*\n  Has no BitScale API source yet.\n  _0 rows_  [Run 7]"
        in first
    )
    assert (
        "*Hiring Signals*\n  Hiring Signals for a company domain.\n  _2,684 rows_  [Run 8]" in again
    )  # as before the redraw
    assert "[Run 7]" not in again.split("#sales > run 7")[0]
    assert "I don't see a button called “run 7”" in again
    assert "Run Hiring Signals" in again.split("#sales > run 8")[1]


def test_a_link_whose_label_is_its_address_is_shown_once():
    """Words: "Scoring https://acme.example (https://acme.example)"."""
    from bot.playground.shell.render import mrkdwn

    assert mrkdwn("Scoring <https://acme.example|https://acme.example>.", {}) == (
        "Scoring https://acme.example."
    )
    assert mrkdwn("<https://acme.example/|acme.example>", {}) == "acme.example"
    assert mrkdwn("<https://x.io/p/1|in the thread>", {}) == "in the thread (https://x.io/p/1)"


def test_ctrl_d_with_a_run_in_flight_warns_as_quit_does(tmp_path):
    """Words: Ctrl-D or Ctrl-C at the prompt leave as quit does, warning first when a run
    would be lost (the help says they leave)."""
    from bot.playground.slack.form_fill import form_values

    sim = Simulator(time_scale=20)
    sim.add_timed_grid("Slow Grid", 40)
    with LocalStack(None, simulator=sim, tick_seconds=0.05) as stack:
        view = stack.driver.open_run_form("run Slow Grid")
        stack.driver.submit(view, form_values(view, {"company_name": "Acme"}))
        wait_for(lambda: stack.bot.store.count_runs("request_id IS NOT NULL"))
        out = io.StringIO()
        asked: list[str] = []

        def read_line(prompt):
            asked.append(prompt)
            return None  # Ctrl-D (prompt_toolkit's Ctrl-C at the prompt is the same)

        Shell(stack, out, read_line, user="ana", channel="sales", live=True).run()
        assert "leaving loses the results. Type wait to see them, or quit again" in out.getvalue()
        assert len(asked) == 2  # the second Ctrl-D leaves


def test_an_admin_picks_detection_channels_and_empties_a_budget(tmp_path, quick_sim):
    """Done means the shell does what an admin does in Slack: the admin form's channel
    list (opt-in detection) is filled, and a pre-filled budget can be emptied again."""
    said = transcript(
        tmp_path,
        "/bitscale admin :: rows per person per day=2; opt-in detection in=#sales, #marketing\n"
        "/bitscale admin :: rows per person per day=-\n",
    )
    assert "cannot fill" not in said
    assert "│ Opt-in detection in (#channels; Enter = none): #sales, #marketing" in said
    assert "• Opt-in detection: #marketing, #sales" in said
    assert "│ Rows per person per day [2; - empties it]: -" in said
    assert "• Rows per person per day: unlimited" in said


def test_an_approval_in_the_shell_names_people_and_channels(tmp_path, quick_sim):
    """item 17: the approval's thread reply (a text-only message) showed <#C…> raw; the
    alerts channel can be set to none (requests by DM), and an admin approving their own
    batch is not told "@ana, @ana approved"."""
    leads = tmp_path / "leads.csv"
    leads.write_text("Company Name,Site\nAlpha,alpha.io\nBeta,beta.io\nGamma,gamma.io\n")
    said = transcript(
        tmp_path,
        "/bitscale admin :: batches above this many rows need approval=2; alerts channel=-\n"
        + batch(leads)
        + "\napprove\n",
    )
    assert "• Alerts channel: none (approval requests go to admins by DM)" in said
    assert "I ask @ana by DM, and you hear in its thread." in said
    assert "so it is waiting for approval. I asked @ana; you'll hear here." in said
    assert "✅ @ana approved this batch: it starts now." in said
    assert "<@" not in said and "<#" not in said


def test_links_get_their_preview_and_a_reaction_enriches_a_message(tmp_path):
    """Done means the shell does what the README says a rep does in Slack: a LinkedIn
    link posted in the channel gets the bot's preview, whose Enrich button is pressed by
    typing it, and a 🔎 reaction on a message runs the channel's default grid."""
    from bot.playground.simulators.demo_grids import linkedin_grid

    sim = Simulator(time_scale=50)
    sim.add_grid(linkedin_grid())
    with LocalStack(None, simulator=sim, tick_seconds=0.05) as stack:
        out = io.StringIO()
        lines = iter([
            "/bitscale default LinkedIn Profile",
            "met her today https://www.linkedin.com/in/ada-lovelace",
            "enrich",
            "wait",
            "Kay Ng, kay.dev: https://www.linkedin.com/in/kay-ng",
            "react 🔎",
            "wait",
        ])  # fmt: skip

        def read_line(prompt: str) -> str | None:
            line = next(lines, None)
            if line is not None:
                out.write(prompt + line + "\n")
            return line

        Shell(stack, out, read_line, user="ana", channel="sales", live=True).run()
        said = out.getvalue()
    assert "#sales · BitScale's preview of https://www.linkedin.com/in/ada-lovelace:" in said
    assert "[Enrich (" in said.split("#sales > enrich")[0]
    pressed = said.split("#sales > enrich")[1].split("#sales > Kay Ng")[0]
    assert (
        "⏳ @ana asked *LinkedIn Profile*; the result will be in this message's thread." in pressed
    )
    assert "✅ @ana *LinkedIn Profile* is done." in pressed
    reacted = said.split("#sales > react 🔎")[1]
    assert "(you reacted :mag: to “Kay Ng, kay.dev: https://www.linkedin.com/in/kay-ng”)" in said
    assert "in the thread of “Kay Ng, kay.dev: https://www.linkedin.com/in/kay-ng”" in reacted
    assert "✅ @ana *LinkedIn Profile* is done." in reacted
