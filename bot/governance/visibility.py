"""Who may see a stored run: the person who asked for it, and the people of the
conversation its messages were posted in (they have seen it there already).

A run posted in a direct message, or not posted at all, is its requester's alone. Every
surface that shows a stored run (status, the Status button, Run again) asks here first.
"""

from __future__ import annotations

from bot.store.run_record import Run


def may_see(run: Run, user_id: str | None, channel_id: str | None) -> bool:
    """`channel_id` is where the person is asking from (where the command was typed or
    the button pressed); being there shows they are a member of it."""
    if user_id and run.user_id == user_id:
        return True
    if run.quiet or not channel_id:
        return False
    posted_in = run.post_channel or run.channel_id
    return bool(posted_in) and posted_in == channel_id and not posted_in.startswith("D")
