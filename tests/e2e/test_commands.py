"""Every /bitscale subcommand, answered through the real app over signed HTTP."""

from __future__ import annotations

import json
import time

from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import is_run_form, wait_for


def blocks_text(blocks):
    out = []
    for b in blocks or []:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        for e in b.get("elements", []) or []:
            if isinstance(e, dict) and isinstance(e.get("text"), (dict, str)):
                out.append(e["text"]["text"] if isinstance(e["text"], dict) else e["text"])
    return "\n".join(out)


def titled(title):
    return lambda view: view.get("title", {}).get("text") == title


def saying(text):
    return lambda view: text in blocks_text(view.get("blocks"))


def ack_blocks(answer):
    assert answer.status_code == 200
    return json.loads(answer.text)["blocks"]


def reply_to(stack, send):
    """Do `send()` and wait for the response_url message it causes."""
    before = len(stack.standin.responses)
    send()
    return wait_for(lambda: len(stack.standin.responses) > before and stack.standin.responses[-1])


def command_reply(stack, text):
    return reply_to(stack, lambda: stack.driver.command(text))


def button_in(message, action_id):
    """The button with `action_id` in a posted message's actions blocks."""
    (button,) = [
        e
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]
    return button


def run_form_after(stack, since):
    """The first complete run form opened after view number `since`."""
    return wait_for(
        lambda: stack.standin.latest_view(
            since, lambda v: v.get("callback_id") == "run_view" and "⏳" not in str(v)
        )
    )


def test_help_empty_and_unknown(stack):
    for text in ("help", "", "  "):
        answer, _, _ = stack.driver.command(text)
        help_text = blocks_text(ack_blocks(answer))
        for sub in ("grids", "run", "status", "runs", "credits"):
            assert f"/bitscale {sub}" in help_text
    answer, _, _ = stack.driver.command("frobnicate <!channel>")
    text = blocks_text(ack_blocks(answer))
    assert "I don't know `frobnicate`" in text and "/bitscale grids" in text
    assert "Did you mean" not in text
    answer, _, _ = stack.driver.command("rnu Company Enrichment")
    text = blocks_text(ack_blocks(answer))
    assert "Did you mean `/bitscale run Company Enrichment`?" in text


def test_grids_pages_and_search(stack):
    first = command_reply(stack, "grids")
    assert first.get("response_type", "ephemeral") == "ephemeral"
    runs = [b for b in first["blocks"] if (b.get("accessory") or {}).get("action_id") == "run_grid"]
    sourceless = blocks_text(first["blocks"]).count("No BitScale API source yet")
    assert len(runs) + sourceless == 10
    nav = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["text"]["text"] for e in nav] == ["Next ▶"]
    second = reply_to(stack, lambda: stack.driver.click(nav[0]))
    assert second["replace_original"] is True
    assert "page 2 of 2" in blocks_text(second["blocks"])
    found = command_reply(stack, "grids person")
    assert "*Person Lookup*" in blocks_text(found["blocks"])
    assert "1 in all" in blocks_text(found["blocks"])
    # Descriptions count too: "email" is in Person Lookup's description, not its name.
    by_description = blocks_text(command_reply(stack, "grids email")["blocks"])
    assert "*Email Finder*" in by_description and "*Person Lookup*" in by_description
    assert by_description.index("Email Finder") < by_description.index("Person Lookup")


def test_run_button_opens_the_form(stack):
    listing = command_reply(stack, "grids person")
    button = next(
        b["accessory"]
        for b in listing["blocks"]
        if (b.get("accessory") or {}).get("action_id") == "run_grid"
    )
    stack.driver.click(button)
    view = wait_for(lambda: stack.standin.latest_view(where=is_run_form))
    assert [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"][:2] == [
        "Full name",
        "Company domain",
    ]


def test_run_with_several_matches_offers_a_choice(stack):
    stack.driver.command("run enrichment")
    view = wait_for(lambda: stack.standin.latest_view(where=titled("Pick a grid")))
    names = blocks_text(view["blocks"])
    assert "Company Enrichment" in names and "Broken Enrichment" in names
    choose = next(
        b["accessory"]
        for b in view["blocks"]
        if "Company Enrichment" in b.get("text", {}).get("text", "") and b.get("accessory")
    )
    stack.driver.click(choose, view=view)
    form = wait_for(
        lambda: (
            stack.standin.views[view["id"]].get("callback_id") == "run_view"
            and stack.standin.views[view["id"]]
        )
    )
    assert "Company Enrichment" in blocks_text(form["blocks"])


def test_run_with_no_match_names_the_closest(stack):
    stack.driver.command("run Compny Enrichmnt")
    view = wait_for(lambda: stack.standin.latest_view(where=saying("found no grid")))
    assert "*Company Enrichment*" in blocks_text(view["blocks"])


def test_run_on_grid_without_source_explains(stack):
    stack.driver.command("run Draft Grid")
    view = wait_for(lambda: stack.standin.latest_view(where=saying("Ask the grid's owner")))
    assert "API source" in blocks_text(view["blocks"])


def test_second_open_is_served_from_cache_at_once(stack):
    stack.driver.open_run_form("run Person Lookup")
    before = len(stack.standin.view_log)
    stack.driver.command("run person lookup")
    wait_for(lambda: len(stack.standin.view_log) > before)
    method, _, view = stack.standin.view_log[-1]
    assert method == "views.open" and view["callback_id"] == "run_view"


def test_credits(stack):
    reply = blocks_text(command_reply(stack, "credits")["blocks"])
    assert "Enterprise plan" in reply and "left of 25,000" in reply
    assert "People/company searches:* 380 left of 500" in reply
    # The gauge shows what is left (21,850 of 25,000), not what was used.
    assert "`" + "█" * 17 + "░" * 3 + "` 87% left" in reply


def test_status_and_runs(stack):
    view = stack.driver.open_run_form("run Deep Research")
    stack.driver.submit(view, form_values(view, {"topic": "fintech in Berlin"}))
    bot = stack.bot
    run = wait_for(lambda: (r := bot.store.recent_runs("U0ANA", 1)) and r[0].request_id and r[0])
    text = blocks_text(command_reply(stack, f"status {run.request_id}")["blocks"])
    assert "Deep Research (slow)" in text and run.request_id in text
    # Upper-cased request ids, and the short ref in any case, find the run too.
    text = blocks_text(command_reply(stack, f"status {run.request_id.upper()}")["blocks"])
    assert "Deep Research (slow)" in text
    for typed in (run.ref, run.ref.lower(), f"#{run.ref}"):
        text = blocks_text(command_reply(stack, f"status {typed}")["blocks"])
        assert "Deep Research (slow)" in text and f"Ref `{run.ref}`" in text
    answer, _, _ = stack.driver.command("runs")
    blocks = ack_blocks(answer)
    listing = blocks_text(blocks)
    assert "*Your most recent run*" in listing
    assert "Deep Research (slow)" in listing and "|thread>" in listing
    assert f"Ref `{run.ref}`" in listing
    (status_button,) = [b["accessory"] for b in blocks if b.get("accessory")]
    assert status_button["text"]["text"] == "Status"
    shown = reply_to(stack, lambda: stack.driver.click(status_button))
    assert shown["replace_original"] is False
    assert "Deep Research (slow)" in blocks_text(shown["blocks"])
    assert f"Ref `{run.ref}`" in blocks_text(shown["blocks"])
    reply = command_reply(stack, "status no-such-request")
    assert "no run you can see" in blocks_text(reply["blocks"])


def test_bad_signatures_are_refused(stack):
    body = "command=%2Fbitscale&text=help"
    assert stack.driver.send(body, signature="v0=" + "0" * 64).status_code == 401
    stale = int(time.time()) - 600
    assert stack.driver.send(body, timestamp=stale).status_code == 401


def test_home_tab_shows_help_and_recent_runs(stack):
    answer = stack.driver.event({"type": "app_home_opened", "user": "U0ANA", "tab": "home"}, "Ev1")
    assert answer.status_code == 200
    home = wait_for(lambda: stack.standin.home_views.get("U0ANA"))
    text = blocks_text(home["blocks"])
    assert "/bitscale run" in text and "no runs yet" in text


def test_redelivered_mention_is_answered_once(stack):
    mention = {
        "type": "app_mention",
        "user": "U0ANA",
        "channel": "C0SALES",
        "ts": "1700000000.000100",
        "text": "<@UBOT0001> help",
    }
    with stack.standin.lock:  # the message the mention sits in
        from bot.playground.slack.records import Message

        stack.standin.messages.append(
            Message("C0SALES", "1700000000.000100", "help", [], user="U0ANA")
        )
    assert stack.driver.event(mention, "Ev2").status_code == 200
    assert stack.driver.event(mention, "Ev2", retry_num=1).status_code == 200
    assert stack.driver.event(mention, "Ev2", retry_num=2).status_code == 200
    replies = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts="1700000000.000100"))
    time.sleep(0.3)
    assert len(stack.standin.posts("C0SALES", thread_ts="1700000000.000100")) == 1
    assert "/bitscale grids" in blocks_text(replies[0].blocks)


def test_a_form_that_cannot_open_in_time_says_so(stack):
    stack.standin.inject(method="views.open", error="expired_trigger_id")
    reply = command_reply(stack, "run Person Lookup")
    assert "within 3 seconds" in reply["text"]


def test_loading_names_the_grid_found_and_fields_speak_plainly(stack):
    view = stack.driver.open_run_form("run deep research")  # a cold cache
    shown = [blocks_text(v.get("blocks")) for _, _, v in stack.standin.view_log]
    assert "⏳ Looking for “deep research”…" in shown
    assert "⏳ Loading *Deep Research (slow)*…" in shown
    fields = [b for b in view["blocks"] if b["type"] == "input" and "placeholder" in b["element"]]
    assert fields and "hint" not in fields[0]  # no "Sent to BitScale as topic"
    assert "Sent to BitScale" not in json.dumps(view)
    warm = stack.driver.open_run_form("run person lookup")
    person = {
        b["label"]["text"]: b["element"]["placeholder"]["text"]
        for b in warm["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    }
    assert person == {"Full name": "e.g. Ada Lovelace", "Company domain": "e.g. acme.com"}


def test_a_grid_without_an_api_source_shows_no_run_button(stack):
    before = len(stack.standin.responses)
    stack.driver.command("grids")
    redrawn = wait_for(
        lambda: next(
            (
                r
                for r in stack.standin.responses[before:]
                if "No BitScale API source yet" in blocks_text(r.get("blocks"))
            ),
            None,
        )
    )
    assert redrawn["replace_original"] is True
    (draft,) = [b for b in redrawn["blocks"] if "Draft Grid" in b.get("text", {}).get("text", "")]
    assert "accessory" not in draft
    assert len([b for b in redrawn["blocks"] if b.get("accessory")]) == 9
    # issue 23, item 12: each row is keyed by its grid, in both drawings, and a Run
    # pressed on the list as first drawn opens the grid its row names
    (shown,) = [r for r in stack.standin.responses[before:] if not r.get("replace_original")]
    rows = {b.get("block_id") for b in shown["blocks"] if "*" in b.get("text", {}).get("text", "")}
    assert rows >= {b.get("block_id") for b in redrawn["blocks"] if b.get("accessory")}
    (stale,) = [
        b for b in shown["blocks"] if "*Hiring Signals*" in b.get("text", {}).get("text", "")
    ]
    since = len(stack.standin.view_log)
    stack.driver.click(stale["accessory"])
    assert run_form_after(stack, since)["title"]["text"].startswith("Run Hiring Signals")
    # Known now: the next list shows it at once, in its first answer.
    first = command_reply(stack, "grids draft")
    assert "No BitScale API source yet" in blocks_text(first["blocks"])
    assert not [b for b in first["blocks"] if b.get("accessory")]
