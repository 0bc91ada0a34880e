"""Which button did the person mean? Typed labels are matched against the newest message
first, case-insensitively, by prefix, ignoring arrows and emoji."""

from __future__ import annotations

import re
from collections.abc import Hashable

from bot.playground.shell.render import Button

_NOT_WORD = re.compile(r"[^\w\s]|_", re.UNICODE)
_NUMBERED = re.compile(r"^(.*\S)\s+(\d+)$")


def normalize(label: str) -> str:
    """'[◀ Previous]' → 'previous', 'Next ▶' → 'next', 'Run 2' → 'run 2'."""
    return " ".join(_NOT_WORD.sub(" ", label).casefold().split())


class ButtonBoard:
    """The buttons on screen, grouped by the message (or modal) they sit in, newest last.
    A message that is updated or replaced takes its old buttons with it."""

    def __init__(self, keep: int = 50) -> None:
        self.keep = keep
        self._groups: dict[Hashable, list[Button]] = {}
        self.words: set[str] = set()  # first words of every label shown: "run", "next"…

    def show(self, key: Hashable, buttons: list[Button], newest: bool = True) -> None:
        """`key`'s message now shows `buttons` (none: it has no buttons any more). With
        `newest=False` a redrawn message keeps its place (it was not shown again)."""
        for button in buttons:
            self.words.add(normalize(button.label).split(" ")[0] if button.label else "")
        if not newest and key in self._groups and buttons:
            self._groups[key] = buttons
            return
        self._groups.pop(key, None)
        if buttons:
            self._groups[key] = buttons
        while len(self._groups) > self.keep:
            self._groups.pop(next(iter(self._groups)))

    def buttons_of(self, key: Hashable) -> list[Button]:
        """What `key`'s message shows now (before it is redrawn)."""
        return list(self._groups.get(key, []))

    def forget(self, key: Hashable) -> None:
        self._groups.pop(key, None)

    def newest(self, limit: int = 6) -> list[str]:
        """The labels of the newest message's buttons, for "did you mean" answers."""
        if not self._groups:
            return []
        return [b.label for b in list(self._groups.values())[-1][:limit]]

    def looks_like_a_label(self, typed: str) -> bool:
        """Whether `typed` was meant as a button press (it starts like a label shown this
        session, 'next', 'run 3'), not as a message to the channel."""
        words = normalize(typed).split()
        return bool(words) and len(words) <= 4 and words[0] in self.words

    def key_of(self, button: Button) -> Hashable | None:
        return next((k for k, group in self._groups.items() if button in group), None)

    def find(self, typed: str) -> Button | None:
        """Exact or prefix matches, newest message first; then a label containing the
        typed words ('run again' → 'Edit and run again'), newest first."""
        wanted = normalize(typed)
        if not wanted:
            return None
        groups = list(reversed(self._groups.values()))
        for group in groups:
            found = _exact_or_prefix(group, wanted)
            if found is not None:
                return found
        for group in groups:
            for button in group:
                if f" {wanted}" in f" {normalize(button.label)}":
                    return button
        return None


def _exact_or_prefix(group: list[Button], wanted: str) -> Button | None:
    labels = [normalize(b.label) for b in group]
    for button, label in zip(group, labels, strict=True):
        if label == wanted:
            return button
    numbered = _NUMBERED.match(wanted)
    if numbered and numbered.group(2) == "1":
        # 'run 1' where the message has a single, unnumbered [Run]
        alone = [b for b, label in zip(group, labels, strict=True) if label == numbered.group(1)]
        if len(alone) == 1:
            return alone[0]
    for button, label in zip(group, labels, strict=True):
        if label.startswith(wanted):
            return button
    return None
