"""Issue 27, N9 and N10 end to end: a lookup made in a private channel is neither reused
for, nor named to, someone asking elsewhere (bot/runs/reuse.py visible_to decides)."""

from __future__ import annotations

from bot.playground.rigs.stack import SIGNING_SECRET
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from tests.e2e.test_commands import blocks_text
from tests.e2e.test_reuse import PERSON


def test_a_private_channels_lookup_is_not_reused_or_named_in_another_channel(stack):
    ben = SlackDriver(
        stack.driver.url,
        SIGNING_SECRET,
        stack.standin,
        user_id="U0BEN",
        user_name="ben",
        channel_id="C0DEALROOM",
        channel_name="deal-room",  # a private channel Ana is not in
    )
    try:
        view = ben.open_run_form("run Person Lookup")
        ben.submit(view, form_values(view, PERSON))
        wait_for(lambda: stack.sim.run_count == 1)
        wait_for(lambda: stack.bot.store.count_runs("state = 'completed'") == 1)
    finally:
        ben.close()
    view = stack.driver.open_run_form("run Person Lookup")  # Ana, in #sales
    stack.driver.submit(view, form_values(view, PERSON))
    parent = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True))[0]
    reply = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=parent.ts), 20)[0]
    shown = blocks_text(reply.blocks) + reply.text
    assert "U0BEN" not in shown  # N9: Ben's private lookup is not named in #sales
    assert "no credits spent" not in shown and stack.sim.run_count == 2  # N10: not reused
