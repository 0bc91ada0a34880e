"""The shell's prompt at a terminal, by prompt_toolkit: line editing, history (kept next to
the --db file), and whatever the bot says meanwhile printed above the line being typed
(`patch_stdout`), never over it. Piped input and --script read lines without it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout


class LiveStdout:
    """What the shell prints to: the stdout of the moment, which is prompt_toolkit's proxy
    (printing above the prompt) while a line is being read."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def history_for(db_path: str | None) -> History:
    if not db_path:
        return InMemoryHistory()
    path = Path(f"{db_path}.history")
    path.touch(mode=0o600, exist_ok=True)
    return FileHistory(str(path))


@contextmanager
def terminal_reader(
    db_path: str | None, **session: Any
) -> Iterator[Callable[[str], str | None]]:
    """A `read_line(prompt)` for a person at a terminal: None when they leave (Ctrl-D, or
    Ctrl-C at the prompt). `session`: PromptSession's own arguments (tests give a pipe)."""
    prompt: PromptSession[str] = PromptSession(history=history_for(db_path), **session)

    def read_line(text: str) -> str | None:
        try:
            return prompt.prompt(text)
        except (EOFError, KeyboardInterrupt):
            return None

    with patch_stdout(raw=True):
        yield read_line
