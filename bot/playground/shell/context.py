"""What the shell's prompt helpers (form.py, views.py, extras.py) use of the running shell.

session.py's `Shell` is the one implementation; the helpers name this instead, so the
session can import them without them importing the session back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.playground.rigs.stack import LocalStack
from bot.playground.slack.driver import SlackDriver


class ShellContext(Protocol):
    stack: LocalStack
    driver: SlackDriver
    read_line: Callable[[str], str | None]
    live: bool  # interactive: bot messages are printed the moment they arrive
    user_id: str
    channel_id: str
    names: dict[str, str]  # Slack ids shown as names
    home_asked: bool  # `home` was typed: the next Home tab is printed whole

    def say(self, text: str = "") -> None: ...

    def settle(
        self,
        quiet: float = 0.4,
        longest: float = 10.0,
        expect: bool = False,
        since: float | None = None,
    ) -> None: ...

    def narrow(self, view: dict, outputs: list[str]) -> dict: ...

    def channel_named(self, text: str) -> str: ...

    def show_view(self, view: dict) -> None: ...

    def press(self, label: str) -> bool: ...
