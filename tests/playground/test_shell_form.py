"""The run form as prompts: an answer the shell does not understand is asked again,
never taken as something else (a channel post, one output of two, a company called quit)."""

from __future__ import annotations

import io

from bot.playground.shell.start import run_shell

SESSION = """\
/bitscale run Company Enrichment
Industry, Employee count
Initech
dm
only
wait
/bitscale runs
status 1
edit and run again
1

x
cancel
/bitscale run Person Lookup
status 1
2
Ada Lovelace
quit
/bitscale credits
"""


def test_form_answers_the_shell_does_not_understand_are_asked_again(tmp_path, monkeypatch):
    monkeypatch.delenv("BITSCALE_API_KEY", raising=False)
    script = tmp_path / "session.txt"
    script.write_text(SESSION)
    out = io.StringIO()
    assert run_shell(db_path=str(tmp_path / "shell.db"), script=str(script), out=out) == 0
    transcript = out.getvalue()
    first, second = transcript.split("#sales > /bitscale run Person Lookup")
    # output names with spaces, separated by commas: both are kept (no Website asked)
    assert "keep which? (Enter = all, or e.g. 1,3): Industry, Employee count" in first
    assert "│ Website" not in first
    # "dm" is not an option: asked again instead of posting in the channel
    assert "which? (Enter = 1): dm\n│   “dm” is not one of the choices: type 1 or 2" in first
    assert "#sales · BitScale:" not in first
    assert "DM · BitScale:\n  ⏳ @ana started *Company Enrichment*" in first
    assert "*Industry*" in first and "*Employee count*" in first
    # Edit and run again from the channel keeps Only me, and Enter says so
    # ... and the outputs it asked for (so no Website is asked for)
    assert "keep which? (Enter = 1,2 as ticked, or e.g. 1,3): 1\n" in first
    assert "│ Company name (required) [Initech]: \n│ Send the result to" in first
    assert "│   which? (Enter = 2): x\n" in first
    # a command typed at the outputs prompt picks nothing: asked again
    assert "e.g. 1,3): status 1\n│   “status 1” is not an output" in second
    assert "e.g. 1,3): 2\n" in second
    # quit in the middle of a form leaves the form and the shell
    assert "│ Company domain (required): quit" not in second
    assert "(cancelled)" in second
    assert "/bitscale credits" not in second
    assert "⏳ @ana started *Person Lookup*" not in second


def test_the_shell_takes_admins_by_their_pretend_names(tmp_path, monkeypatch):
    monkeypatch.delenv("BITSCALE_API_KEY", raising=False)
    monkeypatch.setenv("BITSCALE_BOT_ADMINS", "@ana, bob")
    out = io.StringIO()
    script = tmp_path / "audit.txt"
    script.write_text("/bitscale audit\n")
    assert run_shell(db_path=str(tmp_path / "shell.db"), script=str(script), out=out) == 0
    assert "The log is append-only" in out.getvalue()
