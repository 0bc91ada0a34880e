"""When the weekly digest goes out, and to whom: checked every minute by a singleton job.

With an alert channel, the channel gets one digest a week, when the first admin who wants
it reaches Monday 09:00; without one, each admin who wants it gets it by DM at their own
Monday 09:00 (their Slack time zone). A week missed while the bot was down is sent late,
once: the latest Monday that has passed is the one due, until it is sent. A reader the
bot has never sent a digest to is owed none from before it first looked (a new install or
a new admin on a Wednesday waits for next Monday), unless that Monday is within the hour.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.insight.digest import DigestFacts, Slot, latest_slot
from bot.insight.digest_sends import DigestSends
from bot.insight.preferences import Preferences

log = logging.getLogger(__name__)

# send(reader, admin, facts): reader is the channel or the admin's own id (a DM); the
# admin's locale dates the message.
Send = Callable[[str, str, DigestFacts], None]


@dataclass
class WeeklyDigest:
    sends: DigestSends
    prefs: Preferences
    facts: Callable[[], DigestFacts]
    send: Send
    admins: Callable[[], list[str]]
    channel: Callable[[], str | None]
    tz_of: Callable[[str], str]
    clock: Callable[[], float] = field(default=time.time)
    grace_seconds: float = 3600.0  # a new reader's digest still sent this long after 09:00

    def _owed(self, reader: str, slot: Slot, now: float) -> bool:
        if self.sends.was_sent(reader, slot.week):
            return False
        if not self.sends.knows(reader) and now - slot.due_at > self.grace_seconds:
            self.sends.skip(reader, slot.week)
            return False
        return True

    def due(self) -> list[tuple[str, str, Slot]]:
        """(reader, admin, slot) for each digest due now and not sent yet."""
        now = self.clock()
        wanting = [a for a in self.admins() if self.prefs.wants_digest(a)]
        slots = {a: latest_slot(now, self.tz_of(a)) for a in wanting}
        channel = self.channel()
        if channel:
            if not slots:
                return []
            # The newest week any admin has reached; dated for the first admin to reach it.
            admin, slot = max(slots.items(), key=lambda item: (item[1].week, -item[1].due_at))
            return [(channel, admin, slot)] if self._owed(channel, slot, now) else []
        return [(a, a, s) for a, s in slots.items() if self._owed(a, s, now)]

    def tick(self) -> int:
        """Send what is due; the number sent."""
        sent = 0
        due = self.due()
        facts = self.facts() if due else None
        for reader, admin, slot in due:
            if not self.sends.claim(reader, slot.week):
                continue  # another process has it
            try:
                assert facts is not None
                self.send(reader, admin, facts)
            except Exception:  # noqa: BLE001 - given back: the next check tries again
                log.exception("the weekly digest for %s could not be sent", slot.week)
                self.sends.give_back(reader, slot.week)
                continue
            self.sends.sent(reader, slot.week)
            sent += 1
        return sent
