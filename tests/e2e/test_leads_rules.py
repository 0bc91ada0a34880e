"""Issue 25, the rules the first end-to-end tests left out: the reaction is a setting, the
reactor's own budget applies, a run that fails turns its card ❌ in place with why, and a
reaction is acked before BitScale answers."""

from __future__ import annotations

import time

from bot.governance.policy import PERSON_BUDGET
from bot.playground.rigs.stack import fast_stack, scaled_timing
from bot.playground.simulators.demo_grids import linkedin_grid
from bot.playground.slack.records import wait_for
from tests.e2e.test_leads import (
    ADA,
    CHANNEL,
    button,
    paste,
    previews,
    set_default,
    settle,
    texts,
)

GRACE = "https://www.linkedin.com/in/grace-hopper"


def make_stack(tmp_path, **settings):
    return fast_stack(
        tmp_path, settings={**scaled_timing(100), "BITSCALE_BOT_ADMINS": "U0ADMIN", **settings}
    )


def thread(stack, message) -> list:
    return stack.standin.posts(CHANNEL, thread_ts=message.ts)


def test_the_reaction_that_enriches_is_a_setting(tmp_path):
    with make_stack(tmp_path, REACTION_EMOJI=":eyes:") as stack:
        stack.grid = stack.sim.add_grid(linkedin_grid())
        set_default(stack, "LinkedIn Profile")
        message = stack.driver.post(CHANNEL, ADA)
        stack.driver.react(message)  # 🔎 is not the one here
        settle()
        assert stack.bot.store.count_runs() == 0
        stack.driver.react(message, reaction="eyes")
        wait_for(lambda: len(stack.sim.runs_for("LinkedIn Profile")) == 1)


def test_the_reactors_own_budget_applies(tmp_path):
    with make_stack(tmp_path) as stack:
        stack.grid = stack.sim.add_grid(linkedin_grid())
        set_default(stack, "LinkedIn Profile")
        stack.bot.policy.settings.set(PERSON_BUDGET, 1, actor="U0ADMIN")  # a row a day each
        first = stack.driver.post(CHANNEL, ADA, user="U0BOB")
        stack.driver.react(first, user="U0ANA")
        wait_for(lambda: len(thread(stack, first)) >= 2)
        second = stack.driver.post(CHANNEL, GRACE, user="U0BOB")
        stack.driver.react(second, user="U0ANA")  # Ana's budget is spent
        (refused,) = wait_for(lambda: [m for m in stack.standin.messages if m.ephemeral_for])
        assert refused.ephemeral_for == "U0ANA" and "budget" in refused.text.lower()
        settle()
        assert len(stack.sim.runs_for("LinkedIn Profile")) == 1 and thread(stack, second) == []
        stack.driver.react(second, user="U0CAL")  # Cal's is not
        wait_for(lambda: len(stack.sim.runs_for("LinkedIn Profile")) == 2)


def test_a_run_that_fails_turns_the_card_red_in_place_with_why(tmp_path):
    with make_stack(tmp_path) as stack:
        stack.grid = stack.sim.add_grid(linkedin_grid())
        set_default(stack, "LinkedIn Profile")
        stack.sim.inject(
            method="POST", path_contains="/run", status=400, code="INVALID_INPUT",
            message="That profile is private.", times=5,
        )  # fmt: skip
        message = paste(stack, ADA)
        (offer,) = previews(stack, message)
        stack.driver.click_in_preview(message, ADA, button(offer.unfurl, "unfurl_enrich"))
        failed = wait_for(
            lambda: "❌" in texts(stack.standin.preview(CHANNEL, message.ts, ADA)), 15
        )
        assert failed
        shown = texts(stack.standin.preview(CHANNEL, message.ts, ADA))
        assert "did not finish: BitScale refused the request" in shown  # and why
        assert "✅" not in shown and len(stack.standin.unfurl_calls(CHANNEL)) == 3


def test_a_reaction_is_acked_before_bitscale_answers(tmp_path):
    with make_stack(tmp_path) as stack:
        stack.grid = stack.sim.add_grid(linkedin_grid())
        set_default(stack, "LinkedIn Profile")
        stack.sim.inject(method="POST", path_contains="/run", hang=1.5, passthrough=True)
        message = stack.driver.post(CHANNEL, ADA)
        began = time.monotonic()
        answer = stack.driver.react(message)
        acked = time.monotonic() - began
        assert answer.status_code == 200 and acked < 1.0
        assert thread(stack, message) == [] or "✅" not in str(thread(stack, message))
        wait_for(lambda: len(thread(stack, message)) >= 2, 15)
        assert len(stack.sim.runs_for("LinkedIn Profile")) == 1
