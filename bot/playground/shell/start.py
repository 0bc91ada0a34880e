"""`bitscale-bot shell`: the whole bot in a terminal, Slack played by a stand-in.

What you type goes to the real Bolt app as signed Slack requests; what the bot posts is
printed as text; modals become prompts; buttons are pressed by typing their label.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from contextlib import ExitStack
from typing import TextIO

from bot.playground.rigs.stack import LocalStack
from bot.playground.shell.session import ALERT_CHANNEL, Shell, user_id
from bot.playground.shell.terminal import LiveStdout, terminal_reader
from bot.playground.simulators.bitscale_saved import state_path


def run_shell(
    db_path: str | None = None,
    script: str | None = None,
    user: str = "ana",
    channel: str = "sales",
    out: TextIO = sys.stdout,
    quiet_after: bool = False,
) -> int:
    """`quiet_after`: leave logging off on return (the process is about to end, and its
    last threads would log connection errors that mean nothing to the person)."""
    lines: list[str] | None = None
    if script == "-" or (script is None and not sys.stdin.isatty()):
        lines = sys.stdin.read().splitlines()
    elif script:
        try:
            with open(script, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"bitscale-bot: cannot read the script {script}: {_why(exc)}", file=sys.stderr)
            return 2

    def read_line(prompt: str) -> str | None:
        return lines.pop(0) if lines else None

    # The person at the shell is the bot's admin too, so /bitscale admin can be tried.
    # BITSCALE_BOT_ADMINS may name the shell's pretend people ('ana, bob'): their ids.
    named = os.environ.get("BITSCALE_BOT_ADMINS", "").replace(";", ",").split(",")
    admins = [n if re.fullmatch(r"[UW][A-Z0-9]+", n) else user_id(n) for n in map(str.strip, named)]
    admin = {"BITSCALE_BOT_ADMINS": ",".join(a for a in admins if a != "U0") or user_id(user)}
    pages = True  # Bittlebits: the simulator, unless a real key is in the environment
    if os.environ.get("BITTLEBITS_API_KEY"):
        page_url = os.environ.get("BITTLEBITS_API_URL", "https://bittlebits.ai/api")
        print(f"Using Bittlebits at {page_url} with your BITTLEBITS_API_KEY.", file=out)
        pages = False
        admin["BITTLEBITS_API_KEY"] = os.environ["BITTLEBITS_API_KEY"]
        admin["BITTLEBITS_API_URL"] = page_url
    real_key = os.environ.get("BITSCALE_API_KEY")
    if real_key:
        url = os.environ.get("BITSCALE_API_URL", "https://api.bitscale.ai/api/v1")
        print(
            f"Using the BitScale API at {url} with your BITSCALE_API_KEY: runs spend real "
            "credits and add real rows.",
            file=out,
        )
        stack = LocalStack(
            db_path,
            bitscale_url=url,
            bitscale_key=real_key,
            credit_channel=ALERT_CHANNEL[0],
            settings=admin,
            bittlebits=pages,
        )
    else:
        stack = LocalStack(
            db_path,
            credit_channel=ALERT_CHANNEL[0],
            settings=admin,
            bittlebits=pages,
            # With --db the pretend BitScale remembers its runs too: a run in flight at
            # quit is answered when the shell starts again.
            simulator_memory=state_path(db_path) if db_path else None,
        )
    try:
        with stack, ExitStack() as terminal:
            if lines is None:  # a person at a terminal: prompt_toolkit reads the lines
                printed_to_stdout = out is sys.stdout
                read_line = terminal.enter_context(terminal_reader(db_path))
                out = LiveStdout() if printed_to_stdout else out
            shell = Shell(stack, out, read_line, user=user, channel=channel, live=lines is None)
            try:
                shell.run()
            except KeyboardInterrupt:
                print(file=out)
            # Whatever is still in flight when the stand-ins stop would log connection
            # errors that mean nothing to someone leaving the shell.
            logging.disable(logging.CRITICAL)
    except KeyboardInterrupt:
        pass
    finally:
        if not quiet_after:
            logging.disable(logging.NOTSET)
    return 0


def _why(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return "there is no such file."
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file."
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text."
    return exc.strerror or str(exc)
