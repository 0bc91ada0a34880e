"""Leads where they appear, end to end: LinkedIn previews, the 🔎 reaction and opt-in
detection, through signed Slack requests against the stand-ins. Counts are exact: one
preview, one run per click, one thread reply."""

from __future__ import annotations

import time

import pytest

from bot.governance.access import GridAccess
from bot.playground.rigs.stack import fast_stack, scaled_timing
from bot.playground.simulators.demo_grids import linkedin_grid
from bot.playground.slack.records import wait_for
from bot.previews.rules import Level
from bot.runs.reuse import input_key
from bot.store.run_record import Run, new_run_id

ADA = "https://www.linkedin.com/in/ada-lovelace"
CHANNEL = "C0SALES"


@pytest.fixture
def stack(tmp_path):
    settings = {**scaled_timing(100), "BITSCALE_BOT_ADMINS": "U0ADMIN"}
    with fast_stack(tmp_path, settings=settings) as s:
        s.grid = s.sim.add_grid(linkedin_grid())
        yield s


def set_default(stack, grid_name: str, channel: str = CHANNEL) -> None:
    grid = stack.sim.grid_named(grid_name)
    stack.bot.services.defaults.set(channel, grid.id, grid.name, "U0ADMIN")
    stack.bot.catalog.form(grid.id)  # warm, as `/bitscale default` leaves it


def paste(stack, text: str, *, channel: str = CHANNEL, user: str = "U0ANA", **kw):
    message = stack.driver.post(channel, text, user=user)
    answer = stack.driver.share_links(message, **kw)
    assert answer is not None and answer.status_code == 200
    return message


def previews(stack, message, count: int = 1, timeout: float = 10.0):
    """The chat.unfurl calls for `message`, once there are at least `count`."""
    calls = lambda: [c for c in stack.standin.unfurl_calls(message.channel) if c.ts == message.ts]  # noqa: E731
    return wait_for(lambda: len(calls()) >= count and calls(), timeout)


def settle(seconds: float = 0.4) -> None:
    """Give background work the time to do what it must not do (asserted afterwards)."""
    time.sleep(seconds)


def texts(unfurl: dict) -> str:
    """Every piece of text a preview shows (sections, context, buttons), one a line."""
    parts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                parts.append(node["text"])
            for key, value in node.items():
                if key != "options":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(unfurl.get("blocks") or [])
    return "\n".join(parts)


def button(unfurl: dict, action_id: str) -> dict:
    for block in unfurl.get("blocks") or []:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return {"action_id": action_id, "type": "button", "value": element["value"]}
    raise AssertionError(f"no {action_id} in {unfurl}")


def store_result(stack, *, channel: str = CHANNEL, user: str = "U0MARIA") -> Run:
    """A completed LinkedIn Profile run for ADA, posted in `channel`, as if run earlier."""
    now = time.time() - 3600
    run = Run(
        id=new_run_id(),
        grid_id=stack.grid.id,
        target=stack.grid.id,
        grid_name=stack.grid.name,
        inputs={"linkedin_url": ADA},
        output_columns=None,
        user_id=user,
        channel_id=channel,
        post_channel=channel,
        state="completed",
        outputs={
            "full_name": {"name": "Full name", "value": "Ada Lovelace"},
            "job_title": {"name": "Job title", "value": "CTO <!channel>"},
        },
        created_at=now,
        finished_at=now,
        notified_at=now,
        input_key=input_key(stack.grid.id, {"linkedin_url": ADA}),
    )
    stack.bot.store.insert_run(run)
    return run


# --- previews -------------------------------------------------------------------------------


def test_a_cached_result_is_shown_for_nothing(stack):
    set_default(stack, "LinkedIn Profile")
    store_result(stack)
    stack.bot.services.previews.set_level(CHANNEL, Level.FULL, "U0ADMIN")
    # Grid and run requests only: the scheduler's own credit reads may come at any time.
    before = stack.sim.count(path_contains="grids")
    message = paste(
        stack, f"met her today <{ADA}/?trk=public_profile|linkedin.com/in/ada-lovelace>"
    )
    (call,) = previews(stack, message)
    assert call.url == f"{ADA}/?trk=public_profile"  # the key is the link as Slack sent it
    shown = texts(call.unfurl)
    assert "Ada Lovelace" in shown and "<@U0MARIA>" in shown and "costs nothing" in shown
    assert "CTO &lt;!channel&gt;" in shown and "<!channel>" not in shown  # escaped
    settle()
    assert stack.sim.count(path_contains="grids") == before  # nothing asked of the grid
    assert stack.sim.runs_for("LinkedIn Profile") == []


def test_a_result_asked_elsewhere_or_in_private_is_never_shown(stack):
    set_default(stack, "LinkedIn Profile")
    store_result(stack, channel="C0OTHER")
    stack.bot.services.previews.set_level(CHANNEL, Level.FULL, "U0ADMIN")
    (call,) = previews(stack, paste(stack, ADA))
    assert "U0MARIA" not in texts(call.unfurl) and "Enrich (" in texts(call.unfurl)


def test_a_click_runs_once_and_the_card_turns_done_in_place(stack):
    set_default(stack, "LinkedIn Profile")
    message = paste(stack, f"<{ADA}>")
    (offer,) = previews(stack, message)
    assert "Enrich (cost not measured yet)" in texts(offer.unfurl)
    assert stack.sim.runs_for("LinkedIn Profile") == []  # 0 credits without a click
    press = button(offer.unfurl, "unfurl_enrich")
    stack.driver.click_in_preview(message, ADA, press)
    stack.driver.click_in_preview(message, ADA, press)  # a double click
    stack.driver.click_in_preview(message, ADA, press, user={"id": "U0BOB", "team_id": "T0001"})
    calls = previews(stack, message, 3)
    assert "⏳ <@U0ANA> asked *LinkedIn Profile*" in texts(calls[1].unfurl)
    done = wait_for(lambda: "✅" in texts(stack.standin.preview(CHANNEL, message.ts, ADA)))
    final = texts(stack.standin.preview(CHANNEL, message.ts, ADA))
    assert done and "*Full name*: Ada Lovelace" in final
    (run,) = stack.sim.runs_for("LinkedIn Profile")
    assert run.inputs == {"linkedin_url": ADA}
    thread = wait_for(
        lambda: (
            len(stack.standin.posts(CHANNEL, thread_ts=message.ts)) >= 2
            and stack.standin.posts(CHANNEL, thread_ts=message.ts)
        )
    )
    settle()
    assert len(stack.standin.posts(CHANNEL, thread_ts=message.ts)) == 2  # announcement, result
    assert "Full name" in str(thread[1].blocks)
    assert len(stack.standin.unfurl_calls(CHANNEL)) == 3  # offer, ⏳, ✅
    assert stack.bot.store.all_runs()[0].source == "unfurl"


def test_duplicate_link_shared_events_give_one_preview(stack):
    set_default(stack, "LinkedIn Profile")
    message = stack.driver.post(CHANNEL, f"<{ADA}> and again <{ADA}/>")
    stack.driver.share_links(message, composer=True)
    stack.driver.share_links(message)
    stack.driver.share_links(message)  # Slack's duplicate, a new event id
    shared = stack.standin.share_links(message)[1]
    stack.driver.event(shared, "EvRETRY1")
    stack.driver.event(shared, "EvRETRY1", retry_num=1)
    previews(stack, message)
    settle()
    assert len(stack.standin.unfurl_calls()) == 1
    assert stack.bot.services.unfurls.count() == 1


def test_the_30_minute_rule(stack):
    set_default(stack, "LinkedIn Profile")
    first = paste(stack, ADA)
    previews(stack, first)
    second = paste(stack, f"{ADA}?utm_source=share")  # the same profile, another message
    settle()
    assert [c.ts for c in stack.standin.unfurl_calls()] == [first.ts]
    unfurls = stack.bot.services.unfurls
    unfurls.clock = lambda: time.time() + 31 * 60
    third = paste(stack, ADA)
    previews(stack, third)
    assert [c.ts for c in stack.standin.unfurl_calls()] == [first.ts, third.ts]
    assert second.ts not in {c.ts for c in stack.standin.unfurl_calls()}


def test_three_links_get_one_line_for_them_all(stack):
    set_default(stack, "LinkedIn Profile")
    links = [ADA, "https://www.linkedin.com/in/grace-hopper", "https://www.linkedin.com/in/alan"]
    message = paste(stack, " ".join(links))
    (line,) = previews(stack, message)
    assert line.url == ADA and "3 LinkedIn links in this message" in texts(line.unfurl)
    stack.driver.click_in_preview(message, ADA, button(line.unfurl, "unfurl_enrich_all"))
    wait_for(lambda: "all 3 done" in texts(stack.standin.preview(CHANNEL, message.ts, ADA)), 15)
    assert len(stack.sim.runs_for("LinkedIn Profile")) == 3
    assert {c.url for c in stack.standin.unfurl_calls()} == {ADA}


@pytest.mark.parametrize(
    ("level", "has_name", "has_button"),
    [(Level.BUTTON, False, True), (Level.NAME, True, True), (Level.FULL, True, True)],
)
def test_each_channel_level(stack, level, has_name, has_button):
    set_default(stack, "LinkedIn Profile")
    stack.bot.services.previews.set_level(CHANNEL, level, "U0ADMIN")
    (call,) = previews(stack, paste(stack, ADA))
    shown = texts(call.unfurl)
    assert ("*Ada Lovelace* · LinkedIn profile" in shown) is has_name
    assert ("Enrich (" in shown) is has_button
    assert ("nothing runs until you press" in shown) is (level is not Level.BUTTON)


def test_a_channel_with_previews_off(stack):
    set_default(stack, "LinkedIn Profile")
    stack.bot.services.previews.set_level(CHANNEL, Level.OFF, "U0ADMIN")
    paste(stack, ADA)
    settle()
    assert stack.standin.unfurl_calls() == []


def test_a_slack_connect_channel_gets_the_button_only(stack):
    set_default(stack, "LinkedIn Profile")
    store_result(stack)
    stack.bot.services.previews.set_level(CHANNEL, Level.FULL, "U0ADMIN")
    (call,) = previews(stack, paste(stack, ADA, ext_shared=True))
    shown = texts(call.unfurl)
    assert "Ada Lovelace" not in shown and "CTO" not in shown
    assert "Post the result in the thread" in shown


def test_a_person_who_muted_previews(stack):
    set_default(stack, "LinkedIn Profile")
    stack.driver.command("previews mute")
    wait_for(lambda: stack.bot.services.previews.muted("U0ANA"))
    paste(stack, ADA)
    settle()
    assert stack.standin.unfurl_calls() == []
    previews(stack, paste(stack, ADA, user="U0BOB"))  # others' links still get one


def test_no_default_grid_offers_a_picker(stack):
    stack.bot.catalog.all_grids()
    message = paste(stack, ADA)
    (call,) = previews(stack, message)
    picker = next(
        e
        for b in call.unfurl["blocks"]
        for e in b.get("elements") or []
        if e.get("type") == "static_select"
    )
    option = next(o for o in picker["options"] if o["text"]["text"] == "LinkedIn Profile")
    stack.driver.click_in_preview(
        message,
        ADA,
        {"action_id": "unfurl_pick_grid", "type": "static_select", "selected_option": option},
    )
    calls = previews(stack, message, 2)
    assert "Enrich (" in texts(calls[1].unfurl)
    assert stack.sim.runs_for("LinkedIn Profile") == []


# --- reactions ------------------------------------------------------------------------------


def test_a_reaction_runs_the_default_grid_in_the_thread(stack):
    set_default(stack, "LinkedIn Profile")
    message = stack.driver.post(CHANNEL, f"new lead: <{ADA}|Ada>")
    stack.driver.react(message)
    thread = lambda: stack.standin.posts(CHANNEL, thread_ts=message.ts)  # noqa: E731
    wait_for(lambda: len(thread()) >= 2)
    (run,) = stack.sim.runs_for("LinkedIn Profile")
    assert run.inputs == {"linkedin_url": ADA}
    stored = stack.bot.store.all_runs()[0]
    assert stored.source == "reaction" and stored.user_id == "U0ANA"


def test_a_second_reaction_starts_nothing(stack):
    set_default(stack, "LinkedIn Profile")
    message = stack.driver.post(CHANNEL, ADA)
    stack.driver.react(message)
    stack.driver.react(message)
    stack.driver.react(message, user="U0BOB")
    thread = lambda: stack.standin.posts(CHANNEL, thread_ts=message.ts)  # noqa: E731
    wait_for(lambda: len(thread()) >= 2)
    stack.driver.react(message, user="U0CAL")  # answered and reusable: still nothing
    settle()
    assert len(stack.sim.runs_for("LinkedIn Profile")) == 1
    assert len(thread()) == 2 and stack.bot.store.count_runs() == 1
    stack.driver.react(message, reaction="thumbsup")  # another emoji is no request
    settle(0.2)
    assert stack.bot.store.count_runs() == 1


def test_a_reaction_with_missing_inputs_answers_the_reactor_only(stack):
    set_default(stack, "Person Lookup")  # full name and company domain
    message = stack.driver.post(CHANNEL, "who runs acme.io?", user="U0BOB")
    stack.driver.react(message, user="U0ANA")
    ephemeral = wait_for(lambda: [m for m in stack.standin.messages if m.ephemeral_for])
    (answer,) = ephemeral
    assert answer.ephemeral_for == "U0ANA" and answer.channel == CHANNEL
    assert "Open the form" in str(answer.blocks) and "Full name" in answer.blocks[0]["text"]["text"]
    settle()
    assert stack.standin.posts(CHANNEL, thread_ts=message.ts) == []
    assert stack.sim.run_count == 0


def test_a_reaction_without_a_default_grid_offers_the_form(stack):
    message = stack.driver.post(CHANNEL, ADA)
    stack.driver.react(message)
    (answer,) = wait_for(lambda: [m for m in stack.standin.messages if m.ephemeral_for])
    assert "No default grid" in answer.text and "open_enrich_picker" in str(answer.blocks)
    assert stack.sim.run_count == 0


def test_grid_access_refused_for_the_reactor(stack):
    set_default(stack, "LinkedIn Profile")
    stack.bot.policy.set_grid_access(
        stack.grid.id, GridAccess("chosen", ("U0BOB",)), actor="U0ADMIN"
    )
    message = stack.driver.post(CHANNEL, ADA, user="U0BOB")
    stack.driver.react(message, user="U0ANA")
    (answer,) = wait_for(lambda: [m for m in stack.standin.messages if m.ephemeral_for])
    assert answer.ephemeral_for == "U0ANA" and "🚫" in answer.text
    assert stack.sim.run_count == 0
    stack.driver.react(message, user="U0BOB")  # the author may run it
    wait_for(lambda: len(stack.sim.runs_for("LinkedIn Profile")) == 1)


# --- opt-in detection -----------------------------------------------------------------------


def ephemerals(stack, user: str) -> list:
    return [m for m in stack.standin.messages if m.ephemeral_for == user]


def test_detection_on_and_off(stack):
    set_default(stack, "Company Enrichment")
    talk = stack.driver.post(CHANNEL, "talked to jane@acme.com today", user="U0ANA")
    stack.driver.message_event(talk)
    settle()
    assert ephemerals(stack, "U0ANA") == []  # not opted in
    admin = type(stack.driver)(
        stack.driver.url, "playground-signing-secret", stack.standin, user_id="U0ADMIN"
    )
    before = len(stack.standin.responses)
    admin.command("detect on")
    wait_for(lambda: len(stack.standin.responses) > before)
    assert "Detection is on" in stack.standin.responses[-1]["text"]
    lead = stack.driver.post(CHANNEL, "talked to jane@acme.com today", user="U0ANA")
    stack.driver.message_event(lead)
    stack.driver.message_event(lead)  # delivered twice
    (offer,) = wait_for(lambda: ephemerals(stack, "U0ANA"))
    assert offer.text == "Enrich acme.com with Company Enrichment?"
    settle()
    assert len(ephemerals(stack, "U0ANA")) == 1 and stack.sim.run_count == 0
    assert stack.standin.posts(CHANNEL, thread_ts=lead.ts) == []  # nothing for everyone
    press = offer.blocks[1]["elements"][0]
    stack.driver.click(
        {"action_id": press["action_id"], "type": "button", "value": press["value"]}, message=None
    )
    stack.driver.click(
        {"action_id": press["action_id"], "type": "button", "value": press["value"]}, message=None
    )
    wait_for(lambda: len(stack.standin.posts(CHANNEL, thread_ts=lead.ts)) >= 2)
    (run,) = stack.sim.runs_for("Company Enrichment")
    assert run.inputs == {"company_name": "Acme", "website": "acme.com"}
    before = len(stack.standin.responses)
    admin.command("detect off")
    wait_for(lambda: len(stack.standin.responses) > before)
    later = stack.driver.post(CHANNEL, "and bob@globex.com", user="U0ANA")
    stack.driver.message_event(later)
    settle()
    assert len(ephemerals(stack, "U0ANA")) == 1


def test_not_in_this_channel(stack):
    set_default(stack, "Company Enrichment")
    stack.bot.services.previews.set_detect(CHANNEL, True, "U0ADMIN")
    first = stack.driver.post(CHANNEL, "ping sam@initech.com")
    stack.driver.message_event(first)
    (offer,) = wait_for(lambda: ephemerals(stack, "U0ANA"))
    no = offer.blocks[1]["elements"][1]
    stack.driver.click(
        {"action_id": no["action_id"], "type": "button", "value": no["value"]}, message=None
    )
    wait_for(lambda: any("no more offers" in r.get("text", "") for r in stack.standin.responses))
    again = stack.driver.post(CHANNEL, "also kim@initech.com")
    stack.driver.message_event(again)
    settle()
    assert len(ephemerals(stack, "U0ANA")) == 1 and stack.sim.run_count == 0


def test_only_admins_turn_detection_on(stack):
    before = len(stack.standin.responses)
    stack.driver.command("detect on")
    wait_for(lambda: len(stack.standin.responses) > before)
    assert not stack.bot.services.previews.channel(CHANNEL).detect
    assert "admin" in stack.standin.responses[-1]["text"]


def test_the_admin_form_turns_detection_on_and_off(stack):
    admin = type(stack.driver)(
        stack.driver.url, "playground-signing-secret", stack.standin, user_id="U0ADMIN"
    )
    since = len(stack.standin.view_log)
    admin.command("admin")
    view = admin.next_view(since, "admin_view")
    picked = lambda *ids: {  # noqa: E731
        "detect_channels": {
            "value": {"type": "multi_conversations_select", "selected_conversations": list(ids)}
        }
    }
    answer = admin.submit(view, picked(CHANNEL, "C0OTHER"))
    assert "Opt-in detection: <#C0OTHER>, <#C0SALES>" in answer.text
    assert stack.bot.services.previews.detecting() == ["C0OTHER", CHANNEL]
    since = len(stack.standin.view_log)
    admin.command("admin")
    view = admin.next_view(since, "admin_view")
    shown = next(b for b in view["blocks"] if b.get("block_id") == "detect_channels")
    assert shown["element"]["initial_conversations"] == ["C0OTHER", CHANNEL]
    admin.submit(view, picked("C0OTHER"))
    assert stack.bot.services.previews.detecting() == ["C0OTHER"]
    # a non-admin's crafted submission changes nothing
    stack.driver.submit(view, picked())
    assert stack.bot.services.previews.detecting() == ["C0OTHER"]


def test_a_message_that_mentions_the_bot_gets_no_detection_offer(stack):
    set_default(stack, "Company Enrichment")
    stack.bot.services.previews.set_detect(CHANNEL, True, "U0ADMIN")
    mention = stack.driver.post(CHANNEL, "<@UBOT0001> look up jane@acme.com")
    stack.driver.message_event(mention)
    settle()
    assert ephemerals(stack, "U0ANA") == []


def test_link_shared_is_acked_before_bitscale_answers(stack):
    grid = stack.grid  # the default's form is not cached: drawing the card asks BitScale
    stack.bot.services.defaults.set(CHANNEL, grid.id, grid.name, "U0ADMIN")
    stack.sim.inject(path_contains="/curl", hang=1.0, passthrough=True)
    message = stack.driver.post(CHANNEL, ADA)
    answer = stack.driver.share_links(message)
    assert answer.status_code == 200
    assert stack.standin.unfurl_calls() == []  # acked while BitScale was still thinking
    (call,) = previews(stack, message)
    assert "Enrich (" in texts(call.unfurl)


def test_previews_and_reactions_over_socket_mode(tmp_path):
    with fast_stack(tmp_path, socket_mode=True, settings=scaled_timing(100)) as s:
        s.grid = s.sim.add_grid(linkedin_grid())
        set_default(s, "LinkedIn Profile")
        message = paste(s, ADA)
        (offer,) = previews(s, message)
        s.driver.click_in_preview(message, ADA, button(offer.unfurl, "unfurl_enrich"))
        wait_for(lambda: "✅" in texts(s.standin.preview(CHANNEL, message.ts, ADA)))
        s.driver.react(message, user="U0BOB")  # answered and reusable: nothing more
        settle()
        assert len(s.sim.runs_for("LinkedIn Profile")) == 1
