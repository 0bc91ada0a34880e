"""The message shortcut "Enrich with BitScale": picker → pre-filled form → the message's thread."""

from __future__ import annotations

import json
import time

from bot.playground.slack.form_fill import form_values, initial_inputs
from bot.playground.slack.records import wait_for

LEAD = (
    "New lead via <https://forms.typeform.com/to/x|Typeform>\n"
    "*Name:* Kay Ng\n"
    "*Email:* <mailto:kay@kay.dev|kay@kay.dev>\n"
    "Company: Kay Labs"
)


def _pick(stack, picker: dict, search: str, name: str) -> dict:
    options = json.loads(stack.driver.suggest("pick_grid", search, picker).text)["options"]
    option = next(o for o in options if o["text"]["text"] == name)
    stack.driver.click(
        {
            "action_id": "pick_grid",
            "block_id": "grid",
            "type": "external_select",
            "selected_option": option,
        },
        view=picker,
    )
    return wait_for(
        lambda: (
            stack.standin.views[picker["id"]].get("callback_id") == "run_view"
            and stack.standin.views[picker["id"]]
        )
    )


def _initial_values(form: dict) -> dict[str, str | None]:
    return initial_inputs(form)


def test_prefills_from_the_message_and_never_runs_by_itself(stack):
    lead = stack.standin.add_message(
        "C0SALES",
        "Someone asked us for a demo",
        attachments=[{"title": "Form submission", "text": LEAD}],
    )
    answer = stack.driver.message_shortcut(lead)
    assert answer.status_code == 200
    picker = wait_for(lambda: stack.standin.latest_view())
    assert picker["title"]["text"] == "Enrich with BitScale"
    shown = json.dumps(picker["blocks"])
    assert "kay@kay.dev" in shown and "Kay Ng" in shown

    form = _pick(stack, picker, "person", "Person Lookup")
    assert _initial_values(form) == {"full_name": "Kay Ng", "company_domain": "kay.dev"}

    since = len(stack.standin.view_log)
    stack.driver.message_shortcut(lead)  # the same message, another grid
    other = wait_for(lambda: stack.standin.latest_view(since))
    company = _pick(stack, other, "company enrich", "Company Enrichment")
    assert _initial_values(company) == {"company_name": "Kay Labs", "website": "kay.dev"}

    # Nothing ran: no BitScale run, no post, however long we wait for the scheduler.
    time.sleep(0.3)
    assert stack.sim.runs_for("Person Lookup") == [] and stack.sim.runs_for(
        "Company Enrichment"
    ) == []
    assert stack.standin.posts("C0SALES", thread_ts=lead.ts) == []

    stack.driver.submit(form, form_values(form))
    in_thread = lambda: stack.standin.posts("C0SALES", thread_ts=lead.ts)  # noqa: E731
    replies = wait_for(lambda: len(in_thread()) >= 2 and in_thread())
    announcement, result = replies[0], replies[1]
    assert "<@U0ANA>" in announcement.text + json.dumps(announcement.blocks)
    assert "*Person Lookup*" in announcement.blocks[0]["text"]["text"]
    assert "kay.ng@kay.dev" in json.dumps(result.blocks)
    assert stack.standin.posts("C0SALES", top_level=True) == [lead]  # nothing outside the thread
    (sim_run,) = stack.sim.runs_for("Person Lookup")
    assert sim_run.inputs == {"full_name": "Kay Ng", "company_domain": "kay.dev"}
    run = stack.bot.store.all_runs()[0]
    assert run.source == "shortcut" and run.thread_ts == lead.ts


def test_a_reply_in_a_thread_answers_in_that_thread(stack):
    parent = stack.standin.add_message("C0SALES", "leads for today")
    reply = stack.standin.add_message("C0SALES", "look up acme.io please", thread_ts=parent.ts)
    stack.driver.message_shortcut(reply)
    picker = wait_for(lambda: stack.standin.latest_view())
    form = _pick(stack, picker, "email finder", "Email Finder")
    assert _initial_values(form) == {"company_domain": "acme.io"}
    stack.driver.submit(form, form_values(form))
    wait_for(lambda: len(stack.standin.posts("C0SALES", thread_ts=parent.ts)) >= 3)


def test_a_message_with_nothing_found_says_so(stack):
    lead = stack.standin.add_message("C0SALES", "morning all")
    stack.driver.message_shortcut(lead)
    picker = wait_for(lambda: stack.standin.latest_view())
    assert "found no emails" in json.dumps(picker["blocks"])


def test_a_csv_file_goes_to_the_batch_form(stack):
    leads = stack.standin.add_file(b"company_domain\nacme.io\nkay.dev\n", "attendees.csv")
    message = stack.standin.add_message("C0SALES", "attendees", files=[leads])
    stack.driver.message_shortcut(message)
    form = wait_for(lambda: stack.standin.latest_view())
    assert form["callback_id"] == "batch_upload"
    assert "attendees.csv" in json.dumps(form["blocks"])
    assert not [b for b in form["blocks"] if b.get("element", {}).get("type") == "file_input"]
    assert stack.sim.runs_for("Email Finder") == []


def test_an_ordinary_sentence_prefills_the_person_and_an_inline_company(stack):
    note = stack.standin.add_message(
        "C0SALES", "Just met Grace Hopper from navy.example, Company: US Navy"
    )
    stack.driver.message_shortcut(note)
    picker = wait_for(lambda: stack.standin.latest_view())
    form = _pick(stack, picker, "person", "Person Lookup")
    assert _initial_values(form) == {"full_name": "Grace Hopper", "company_domain": "navy.example"}
    since = len(stack.standin.view_log)
    stack.driver.message_shortcut(note)
    company = _pick(stack, wait_for(lambda: stack.standin.latest_view(since)), "company enrich",
                    "Company Enrichment")
    assert _initial_values(company) == {"company_name": "US Navy", "website": "navy.example"}
