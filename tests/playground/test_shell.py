"""A scripted shell session: the transcript shows what a person would see."""

from __future__ import annotations

import io
import subprocess
import sys

from bot.playground.shell import run_shell

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


def test_scripted_session_transcript(tmp_path, monkeypatch):
    monkeypatch.delenv("BITSCALE_API_KEY", raising=False)
    script = tmp_path / "session.txt"
    script.write_text(SCRIPT)
    out = io.StringIO()
    assert run_shell(db_path=str(tmp_path / "shell.db"), script=str(script), out=out) == 0
    transcript = out.getvalue()
    # grids, with buttons shown as [Label] and paging by typing a label
    assert "*Company Enrichment*" in transcript and "[Run 1]" in transcript
    assert "page 2 of 2" in transcript and "[◀ Previous]" in transcript
    # the modal became prompts, answered inline and line by line
    assert "│ Company name: Acme Robotics" in transcript
    assert "│ Full name: Ada Lovelace" in transcript
    assert "#sales · BitScale:\n  ⏳ @ana started *Company Enrichment*" in transcript
    # both results arrived in their threads, outputs narrowed for the second run
    assert "↳ BitScale, in the thread in #sales:" in transcript
    assert "Acme Robotics (acme.io) is a" in transcript
    assert "ada.lovelace@example.com" in transcript and "*Job title*" not in transcript
    assert "📎 company-enrichment-" in transcript
    assert "*Credits:* " in transcript and "Enterprise plan" in transcript
    # fewer outputs, fewer questions: Industry and Employee count need only the company
    narrowed = transcript.split("keep which? (Enter = all, or e.g. 1,3): 1,2")[1]
    assert "│ Company name: Initech" in narrowed
    assert "│ Website" not in narrowed.split("└ [Run]")[0]
    assert "│ Send the result to: 1) This channel (everyone there sees it)" in transcript
    assert "DM · BitScale:\n  ⏳ @ana started *Company Enrichment*" in transcript
    assert "I don't know `nonsense`" in transcript
    # state kept in the --db file
    assert (tmp_path / "shell.db").exists()


def test_shell_reads_commands_from_stdin(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--db", str(tmp_path / "x.db")],
        input="/bitscale help\nquit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "/bitscale grids" in done.stdout and "Traceback" not in done.stderr
