"""A scripted shell session: the transcript shows what a person would see."""

from __future__ import annotations

import io
import re

from bot.playground.rigs.bot_process import run_bot
from bot.playground.shell.start import run_shell

SCRIPT = """\
/bitscale grids
next
/bitscale run Company Enrichment :: company_name=Acme Robotics; website=acme.io
/bitscale run Person Lookup
1,3
Ada Lovelace
example.com

/bitscale run Company Enrichment
1,2
Initech
2
/bitscale credits
/bitscale nonsense
"""


def run_script(tmp_path, text: str) -> str:
    """Run the shell on a script against the simulators; its transcript."""
    script = tmp_path / "session.txt"
    script.write_text(text)
    out = io.StringIO()
    assert run_shell(db_path=str(tmp_path / "shell.db"), script=str(script), out=out) == 0
    return out.getvalue()


def test_scripted_session_transcript(tmp_path, monkeypatch):
    monkeypatch.delenv("BITSCALE_API_KEY", raising=False)
    transcript = run_script(tmp_path, SCRIPT)
    # grids, with buttons shown as [Label] and paging by typing a label
    assert "*Company Enrichment*" in transcript and "[Run 1]" in transcript
    assert "page 2 of 2" in transcript and "[◀ Previous]" in transcript
    # the modal became prompts, answered inline and line by line
    assert "│ Company name (required): Acme Robotics" in transcript
    assert "│ Full name (required): Ada Lovelace" in transcript
    assert "#sales · BitScale:\n  ⏳ @ana started *Company Enrichment*" in transcript
    # both results arrived in their threads, outputs narrowed for the second run
    assert "↳ BitScale, in the thread of “✅ @ana ran *Company Enrichment*" in transcript
    assert "Acme Robotics (acme.io) is a" in transcript
    assert "ada.lovelace@example.com" in transcript and "*Job title*" not in transcript
    assert "📎 company-enrichment-" in transcript
    assert "*Credits:* " in transcript and "Enterprise plan" in transcript
    # fewer outputs, fewer questions: Industry and Employee count need only the company
    narrowed = transcript.split("keep which? (Enter = all, or e.g. 1,3): 1,2")[1]
    assert "│ Company name (required): Initech" in narrowed
    assert "│ Website" not in narrowed.split("└ [Run]")[0]
    assert "│ Send the result to: 1) This channel (everyone there sees it)" in transcript
    assert "DM · BitScale:\n  ⏳ @ana started *Company Enrichment*" in transcript
    assert "I don't know `nonsense`" in transcript
    # state kept in the --db file
    assert (tmp_path / "shell.db").exists()


def test_shell_reads_commands_from_stdin(tmp_path):
    done = run_bot(
        "shell",
        "--db",
        str(tmp_path / "x.db"),
        input="/bitscale help\nquit\n",
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "/bitscale grids" in done.stdout and "Traceback" not in done.stderr


FIRST_HOUR = """\
/bitscale grids
next
next
previous
/bitscale grids person
run 1


Ada Lovelace
ex.com

/bitscale run Company Enrichment :: company_name=Acme; website=acme.io
/bitscale run Person Lookup :: full_name=Kay Ng; company_domain=kay.dev
wait
run again
cancel
/invite @BitScale
/remind me
home
@BitScale help
shortcut :: grid=Person Lookup; full_name=Bo; company_domain=bo.io; to=2
low-credits 500
"""


def test_a_first_hour_in_the_shell(tmp_path, monkeypatch):
    monkeypatch.delenv("BITSCALE_API_KEY", raising=False)
    transcript = run_script(tmp_path, FIRST_HOUR)
    said = transcript.split("#sales > ")
    # `next` on the last page presses nothing; `previous` matches [◀ Previous]
    assert said[3].startswith("next\nI don't see a button called “next”.")
    assert "[◀ Previous]" in said[3] and "page 1 of 2" in said[4]
    # `run 1` after a one-grid list opens that grid, not the older list's first one
    assert "┌ Run Person Lookup" in said[6]
    # one empty required field is asked again; the other answers are kept
    assert "│ Full name (required): \n│   Full name is required" in said[6]
    assert "│ Full name (required): Ada Lovelace" in said[6]
    assert "ada.lovelace@ex.com" in transcript
    # two runs in flight: each result names its own announcement
    heads = re.findall(r"↳ BitScale, in the thread of “[^\n]*", transcript)
    assert any("*Company Enrichment*" in h and "Ref " in h for h in heads)
    assert any("*Person Lookup*" in h and "Kay" not in h for h in heads)
    # `run again` presses the newest result's Edit and run again
    assert "run again\n┌ Run " in transcript  # the form, straight away (cache is warm)
    assert "└ (cancelled)" in transcript
    assert "(Slack) BitScale is in #sales" in transcript
    assert "(Slack) /remind is not a command here" in transcript
    assert "HTTP 404" not in transcript
    assert "┌ BitScale · Home" in transcript and "most recent runs" in transcript
    assert "home\n" in transcript and "[Status" in transcript
    assert "@BitScale help\n    ↳ BitScale, in the thread of “@BitScale help” in #sales:" \
        in transcript
    assert "│ → Person Lookup" in transcript and "bo@bo.io" not in transcript.split("Home")[0]
    assert "DM · BitScale:\n  ⏳ @ana started *Person Lookup*" in transcript
    assert (
        "#credit-alerts · BitScale:\n  ⚠️ *BitScale credits are running low:* 500 left" in transcript
    )


def test_shell_scores_a_page_with_the_bittlebits_simulator(tmp_path, monkeypatch):
    import functools

    from bot.playground.rigs import stack as stack_module
    from bot.playground.simulators.bittlebits import BittlebitsSimulator

    monkeypatch.delenv("BITSCALE_API_KEY", raising=False)
    monkeypatch.delenv("BITTLEBITS_API_KEY", raising=False)
    fast = functools.partial(BittlebitsSimulator, time_scale=50)
    monkeypatch.setattr(stack_module, "BittlebitsSimulator", fast)
    transcript = run_script(
        tmp_path, "help\n/bitscale score https://acme.example/pricing\nwait\n"
    )
    assert "/bitscale score https://acme.example" in transcript  # the shell's help
    assert "Page score · acme.example/pricing" in transcript
    assert "Overall " in transcript and "█" in transcript
