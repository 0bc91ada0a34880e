"""The shell as a place to live (issue 23, items 13–18): prompt_toolkit reads the line,
Home reprints only when asked, plain text is a message, attached files have a path, the
banner says who is an admin and ids show as names, and column matching says what it does."""

from __future__ import annotations

import functools
import io
import threading
import time

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.patch_stdout import StdoutProxy

from bot.playground.rigs import stack as stack_module
from bot.playground.shell.start import run_shell
from bot.playground.shell.terminal import terminal_reader
from bot.playground.simulators.bitscale import Simulator


@pytest.fixture
def quick_sim(monkeypatch):
    monkeypatch.delenv("BITSCALE_API_KEY", raising=False)
    monkeypatch.setattr(stack_module, "Simulator", functools.partial(Simulator, time_scale=50))


def transcript(tmp_path, text: str, **kwargs) -> str:
    script = tmp_path / "session.txt"
    script.write_text(text)
    out = io.StringIO()
    assert run_shell(db_path=str(tmp_path / "shell.db"), script=str(script), out=out, **kwargs) == 0
    return out.getvalue()


def test_the_terminal_prompt_is_prompt_toolkit_with_history_and_prints_above_it(tmp_path):
    """item 13: lines come from prompt_toolkit; what the bot says meanwhile goes through
    patch_stdout's proxy (printed above the prompt), and history is kept next to --db."""
    import sys

    db = str(tmp_path / "shell.db")
    seen: list[object] = []
    with create_pipe_input() as pipe:
        with terminal_reader(db, input=pipe, output=DummyOutput()) as read_line:
            threading.Thread(target=lambda: seen.append(sys.stdout)).start()
            pipe.send_text("/bitscale grids\n")
            assert read_line("#sales > ") == "/bitscale grids"
            pipe.send_text("\x04")  # Ctrl-D leaves
            assert read_line("#sales > ") is None
    assert isinstance(seen[0], StdoutProxy)
    history = tmp_path / "shell.db.history"
    assert "/bitscale grids" in history.read_text()
    assert history.stat().st_mode & 0o077 == 0


LEADS = "Company Name,Site\nAlpha,alpha.io\n,\nBeta,\nGamma,gamma.io\n"


def test_home_text_files_and_column_matching(tmp_path, quick_sim):
    (tmp_path / "leads.csv").write_text(LEADS)
    said = transcript(
        tmp_path,
        f"""\
home
/bitscale run Company Enrichment :: company_name=Acme; website=acme.io
wait
hello team, anyone know acme?
/bitscale batch Company Enrichment
{tmp_path / "leads.csv"}


2


wait
/bitscale batch Company Enrichment
{tmp_path / "leads.csv"}

2

maybe
n

wait
""",
    )
    # item 14: the Home tab is printed once, when asked; refreshes are one line
    assert said.count("┌ BitScale · Home") == 1
    assert "(BitScale updated the Home tab; type home to see it.)" in said
    # item 15: plain text is a message in the channel, not a missing button
    assert "#sales · ana: hello team, anyone know acme?\n  (posted as a message" in said
    assert "I don't see a button called “hello team" not in said
    # item 16: every attached file has a path, in an owner-only folder next to --db
    folder = tmp_path / "bitscale-shell-files"
    assert "📎 leads-enriched.csv attached" in said
    assert f"saved as {folder / 'leads-enriched.csv'}" in said
    assert (folder / "leads-enriched.csv").read_bytes().startswith(b"\xef\xbb\xbfCompany Name")
    assert folder.stat().st_mode & 0o077 == 0
    assert (folder / "leads-enriched.csv").stat().st_mode & 0o077 == 0
    assert "saved as " + str(folder / "company-enrichment-") in said  # the run's long summary
    # item 18: the pre-selected column is named; a required one cannot be passed over
    assert "│ Company name: 1) Company Name, 2) Site\n│   (Company name is required)\n" \
        "│   which? (Enter = Company Name, - for none): \n" in said
    assert "│   which? (Enter = none): \n│   Website is required: pick one by number" in said
    assert "⚠️ Website is required" not in said  # caught before Preview
    # ... and the single "Run all fresh" checkbox is a yes/no question
    assert "│ Run all fresh? (y/N): maybe\n│   Type y or n.\n│ Run all fresh? (y/N): n" in said


def test_the_banner_says_who_is_admin_and_refusals_name_people(tmp_path, quick_sim, monkeypatch):
    """item 17: the banner, --user in help, and names instead of ids (even people the
    shell has not met: the pretend ids are made from names)."""
    monkeypatch.setenv("BITSCALE_BOT_ADMINS", "ana")
    said = transcript(tmp_path, "help\n/bitscale admin\n", user="bob")
    assert "you are @bob in #sales, not an admin (the admins: @ana; --user picks who" in said
    assert "--user NAME" in said
    assert "The admins are @ana: ask one of them." in said and "U0ANA" not in said
    monkeypatch.delenv("BITSCALE_BOT_ADMINS")
    said = transcript(tmp_path, "", user="ana")
    assert "you are @ana in #sales, an admin of the bot (BITSCALE_BOT_ADMINS)" in said
    time.sleep(0)
