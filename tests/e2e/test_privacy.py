"""Only me: a rep can keep a run's messages out of the channel."""

from __future__ import annotations

import json

from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from tests.e2e.test_commands import button_in


def _choice(view: dict) -> dict:
    (block,) = [b for b in view["blocks"] if b.get("block_id") == "deliver_to"]
    return block["element"]


def test_the_channel_is_the_default_and_only_me_keeps_it_out(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    choice = _choice(view)
    assert choice["initial_option"]["value"] == "shared"
    assert [o["text"]["text"] for o in choice["options"]] == [
        "This channel (everyone there sees it)",
        "Only me (a direct message from BitScale)",
    ]
    stack.driver.submit(
        view,
        form_values(view, {"full_name": "Kay Ng", "company_domain": "kay.dev"}, deliver="me"),
    )
    announcement = wait_for(lambda: stack.standin.posts("D0ANA", top_level=True))[0]
    assert "Only you get this run's messages" in str(announcement.blocks)
    assert "couldn't post" not in str(announcement.blocks)
    reply = wait_for(lambda: stack.standin.posts("D0ANA", thread_ts=announcement.ts))[0]
    assert "Work email" in str(reply.blocks)
    wait_for(lambda: stack.standin.message("D0ANA", announcement.ts).text.startswith("✅"))
    assert "couldn't post" not in str(stack.standin.message("D0ANA", announcement.ts).blocks)
    assert stack.standin.posts("C0SALES") == []


def test_the_global_shortcut_offers_only_me_too(stack):
    stack.driver.shortcut()
    picker = wait_for(lambda: stack.standin.latest_view())
    stack.driver.click(
        {
            "action_id": "pick_grid",
            "block_id": "grid",
            "type": "external_select",
            "selected_option": next(
                o
                for o in json.loads(stack.driver.suggest("pick_grid", "person", picker).text)[
                    "options"
                ]
                if o["text"]["text"] == "Person Lookup"
            ),
        },
        view=picker,
    )
    form = wait_for(
        lambda: (v := stack.standin.views[picker["id"]]).get("callback_id") == "run_view" and v
    )
    assert _choice(form)["options"][0]["text"]["text"].startswith("The channel picked below")
    stack.driver.submit(
        form,
        form_values(
            form,
            {"full_name": "Kay Ng", "company_domain": "kay.dev"},
            channel="C0SALES",
            deliver="me",
        ),
    )
    wait_for(lambda: stack.standin.posts("D0ANA", top_level=True))
    assert stack.standin.posts("C0SALES") == []


def test_edit_and_run_again_remembers_only_me(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    stack.driver.submit(
        view,
        form_values(view, {"full_name": "Kay Ng", "company_domain": "kay.dev"}, deliver="me"),
    )
    announcement = wait_for(lambda: stack.standin.posts("D0ANA", top_level=True))[0]
    reply = wait_for(lambda: stack.standin.posts("D0ANA", thread_ts=announcement.ts))[0]
    again = button_in(reply, "run_again")
    # Pressed where a choice is offered (from /bitscale status in #sales): Only me is ticked.
    since = len(stack.standin.view_log)
    stack.driver.click(again, channel_id="C0SALES")
    form = wait_for(
        lambda: stack.standin.latest_view(since, lambda v: v.get("callback_id") == "run_view")
    )
    assert _choice(form)["initial_option"]["value"] == "me"
    assert stack.bot.store.load_session(form["private_metadata"])["values"]["full_name"] == "Kay Ng"
    # Sent as it comes back: the new run's messages stay out of the channel too.
    stack.driver.submit(form, form_values(form, {}))  # as pre-selected
    wait_for(lambda: len(stack.standin.posts("D0ANA", top_level=True)) == 2)
    assert stack.standin.posts("C0SALES") == []


def test_edit_and_run_again_of_a_shared_run_offers_the_channel(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    stack.driver.submit(view, form_values(view, {"full_name": "Kay", "company_domain": "k.dev"}))
    announcement = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True))[0]
    reply = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=announcement.ts))[0]
    again = button_in(reply, "run_again")
    since = len(stack.standin.view_log)
    stack.driver.click(again, message=reply, channel_id="C0SALES")
    form = wait_for(
        lambda: stack.standin.latest_view(since, lambda v: v.get("callback_id") == "run_view")
    )
    assert _choice(form)["initial_option"]["value"] == "shared"
