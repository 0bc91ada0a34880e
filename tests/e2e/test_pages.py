"""Page scores and rewrite suggestions end to end: signed /bitscale commands, the real bot,
the Bittlebits simulator and the Slack stand-in."""

from __future__ import annotations

import json

import pytest

from bot.playground.rigs.stack import fast_stack
from bot.playground.simulators.bittlebits import BittlebitsSimulator
from bot.playground.slack.records import wait_for

URL = "https://prospect.example/pricing"


@pytest.fixture
def pages(tmp_path):
    bittlebits = BittlebitsSimulator("bb-e2e", task_seconds=6, time_scale=20)
    with fast_stack(tmp_path, bittlebits=bittlebits) as s:
        s.bot.providers.get("bittlebits").poll_interval = 0.1
        yield s


def answer(stack, text: str) -> dict:
    """The reply: inside the ack (usage, help) or sent to the response URL afterwards."""
    before = len(stack.standin.responses)
    acked, _, _ = stack.driver.command(text)
    if acked.text:
        return acked.json()
    return wait_for(lambda: len(stack.standin.responses) > before and stack.standin.responses[-1])


def thread_reply(stack, nth: int = 0):
    parent = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True)[nth:])[0]
    reply = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=parent.ts), timeout=15)[0]
    return parent, reply


def blocks_text(blocks) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_score_from_command_to_thread_reply(pages):
    said = answer(pages, f"score {URL}")
    assert "Scoring" in said["text"] and "in the thread" in said["text"]
    parent, reply = thread_reply(pages)
    assert "*Page score · prospect.example/pricing*" in blocks_text(parent.blocks)
    text = blocks_text(reply.blocks)
    first = reply.blocks[1]["text"]["text"]  # the overall picture comes first
    assert first.startswith("Overall ") and "/10" in first and "Weakest:" in first
    assert "*Citation readiness*" in text and "█" in text and "░" in text
    assert "<@U0ANA>" in text
    wait_for(lambda: pages.standin.message("C0SALES", parent.ts).text.startswith("✅"))
    assert len(pages.bittlebits.posts(URL, "score")) == 1


def test_rewrite_posts_the_top_suggestions_and_attaches_all(pages):
    answer(pages, f"rewrite <{URL}|{URL}>")  # Slack may wrap the link
    _, reply = thread_reply(pages)
    text = blocks_text(reply.blocks)
    assert "7 suggestions" in text and "→" in text and "Why:" in text
    assert text.count("*5. ") == 1 and "*6. " not in text
    upload = wait_for(lambda: [f for f in pages.standin.files.values() if f.get("thread_ts")])
    assert "all rewrite suggestions" in str(upload[0].get("title"))


def test_hostile_page_text_is_escaped_everywhere(pages):
    answer(pages, "rewrite https://hostile.example/")
    _, reply = thread_reply(pages)
    text = blocks_text(reply.blocks) + reply.text
    assert "<!channel>" not in text and "<@U0BOSS>" not in text
    assert "<https://evil.example" not in text and "&lt;!channel&gt;" in text


def test_two_reps_asking_for_the_same_page_share_one_request(pages):
    answer(pages, f"score {URL}")
    pages.driver.user.update(id="U0BEN", username="ben", name="ben")
    said = answer(pages, f"score {URL}/")
    assert "joins that request" in said["text"]
    thread_reply(pages, 0)
    thread_reply(pages, 1)
    assert len(pages.bittlebits.posts(URL, "score")) == 1
    assert pages.bittlebits.state.reposts_while_pending == 0


def test_a_revoked_task_is_resubmitted_and_still_answered(pages):
    pages.bittlebits.revoke_next(URL)
    answer(pages, f"score {URL}")
    _, reply = thread_reply(pages)
    assert "Overall" in blocks_text(reply.blocks)
    assert len(pages.bittlebits.posts(URL, "score")) == 2


def test_usage_and_a_bad_address_get_a_plain_answer(pages):
    said = answer(pages, "score")
    assert "/bitscale score <page URL>" in said["text"]
    said = answer(pages, "score not a page")
    assert "does not look like a web page address" in said["text"]


def test_help_lists_the_page_commands(pages):
    said = answer(pages, "help")
    text = blocks_text(said.get("blocks"))
    assert "/bitscale score &lt;page URL&gt;" in text or "/bitscale score <page URL>" in text
    assert "/bitscale rewrite" in text


def test_without_a_key_the_commands_say_how_to_enable_bittlebits(tmp_path):
    with fast_stack(tmp_path, bittlebits=False) as stack:
        for word in ("score", "rewrite"):
            said = answer(stack, f"{word} {URL}")
            assert "BITTLEBITS_API_KEY" in said["text"] and "not set up" in said["text"]
        assert stack.standin.posts("C0SALES") == []


def test_a_restart_mid_task_posts_the_result_once(pages):
    pages.bittlebits.time_scale = 2  # slow enough to restart in the middle
    answer(pages, f"score {URL}")
    parent = wait_for(lambda: pages.standin.posts("C0SALES", top_level=True))[0]
    run = wait_for(lambda: (r := pages.bot.store.all_runs()) and r[0].request_id and r[0])
    assert not run.finished  # the url_id is stored; the task is still pending
    pages.restart_bot()
    pages.bot.providers.get("bittlebits").poll_interval = 0.1
    pages.bittlebits.time_scale = 200
    wait_for(lambda: pages.standin.posts("C0SALES", thread_ts=parent.ts), timeout=15)
    assert len(pages.standin.posts("C0SALES", thread_ts=parent.ts)) == 1
    assert len(pages.bittlebits.posts(URL, "score")) == 1


def test_message_shortcut_offers_score_page_and_rewrite_for_a_link(pages):
    lead = pages.standin.add_message("C0SALES", f"Prospect's pricing page: <{URL}>")
    pages.driver.message_shortcut(lead)
    picker = wait_for(lambda: pages.standin.latest_view())
    shown = blocks_text(picker["blocks"])
    assert "Score page" in shown and "Rewrite suggestions" in shown and URL in shown
    action = {"action_id": "page_score", "block_id": "page_choice", "type": "button"}
    pages.driver.click({**action, "value": URL}, view=picker)
    pages.driver.click({**action, "value": URL}, view=picker)  # pressed twice: asked once
    wait_for(lambda: "Scoring" in blocks_text(pages.standin.views[picker["id"]]["blocks"]))
    in_thread = lambda: pages.standin.posts("C0SALES", thread_ts=lead.ts)  # noqa: E731
    announcement, result = wait_for(lambda: len(in_thread()) >= 2 and in_thread(), timeout=15)
    assert "Page score" in blocks_text(announcement.blocks)
    assert "Overall" in blocks_text(result.blocks)
    assert len(pages.bittlebits.posts(URL, "score")) == 1


def test_message_shortcut_without_a_link_offers_no_page_choice(pages):
    lead = pages.standin.add_message("C0SALES", "Call Kay at Kay Labs tomorrow")
    pages.driver.message_shortcut(lead)
    picker = wait_for(lambda: pages.standin.latest_view())
    assert "Score page" not in blocks_text(picker["blocks"])
