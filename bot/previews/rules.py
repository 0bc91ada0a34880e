"""The pure decisions behind previews: which level a channel gets, and which of a message's
links get a card (the noise rules). No I/O: the listeners ask here, unfurls.py records."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bot.leads.linkedin import canonical

RECENT_SECONDS = 30 * 60  # a link previewed in a channel this recently gets no new card
MANY_LINKS = 3  # a message with this many links gets one line for them all, no cards
KEEP_DAYS = 30  # cards and offers are kept this long, then pruned (a press is told it expired)
COMPOSER = "composer"  # link_shared while a message is still being written


class Level(str, Enum):
    """How much a LinkedIn card shows in a channel, least first."""

    OFF = "off"  # no card at all
    BUTTON = "button"  # an Enrich button (the default; Slack Connect never gets more)
    NAME = "name"  # the name read from the link, and the button
    FULL = "full"  # a stored result's key fields when there is one, else name and button

    @property
    def rank(self) -> int:
        return list(Level).index(self)

    @property
    def words(self) -> str:
        return LEVEL_WORDS[self]


DEFAULT_LEVEL = Level.BUTTON
LEVEL_WORDS = {
    Level.OFF: "off (no previews)",
    Level.BUTTON: "button only",
    Level.NAME: "name and button",
    Level.FULL: "full card",
}
_LEVEL_NAMES = {
    "off": Level.OFF,
    "none": Level.OFF,
    "button": Level.BUTTON,
    "buttons": Level.BUTTON,
    "name": Level.NAME,
    "names": Level.NAME,
    "full": Level.FULL,
    "card": Level.FULL,
}


def parse_level(text: str) -> Level | None:
    """`off`, `button`, `name` or `full` (a few plurals and synonyms too), else None."""
    return _LEVEL_NAMES.get((text or "").strip().lower())


def effective_level(chosen: Level | None, *, shared_externally: bool) -> Level:
    """The level a card gets. A channel shared with other companies (Slack Connect) never
    shows more than the button: its other members should not read what our workspace found,
    or the names it looks up. Off stays off there too."""
    level = chosen or DEFAULT_LEVEL
    if shared_externally and level.rank > Level.BUTTON.rank:
        return Level.BUTTON
    return level


@dataclass
class LinkPlan:
    """What to do with the links of one link_shared event."""

    cards: list[tuple[str, str]] = field(default_factory=list)  # (link as sent, canonical)
    # MANY_LINKS or more: one line offering to enrich them all, carried by the first link
    group: list[tuple[str, str]] = field(default_factory=list)
    why_nothing: str | None = None  # set when nothing is shown at all


def plan_links(links: list[str], *, level: Level, muted: bool, source: str | None) -> LinkPlan:
    """The noise rules that need no records: one card per profile per message, none while
    the message is still in the composer (the posted message's event follows with the
    channel, whose rules the card must obey), none when the channel is off or the poster
    muted previews, and one line instead of cards for MANY_LINKS or more profiles."""
    if source == COMPOSER:
        return LinkPlan(why_nothing="composer")
    if level is Level.OFF:
        return LinkPlan(why_nothing="off")
    if muted:
        return LinkPlan(why_nothing="muted")
    seen: dict[str, str] = {}
    for link in links:
        url = canonical(link)
        if url and url not in seen:
            seen[url] = link
    pairs = [(link, url) for url, link in seen.items()]
    if not pairs:
        return LinkPlan(why_nothing="no_profiles")
    if len(pairs) >= MANY_LINKS:
        return LinkPlan(group=pairs)
    return LinkPlan(cards=pairs)
