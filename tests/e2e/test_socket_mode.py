"""Socket Mode end to end: the bot's own Socket Mode handler (bot/server.py) connects to
the Slack stand-in's WebSocket, and the whole flow runs over envelopes and acks."""

from __future__ import annotations

import time

import pytest

from bot.playground.rigs.stack import fast_stack, scaled_timing
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import BOT_USER, wait_for


@pytest.fixture
def stack(tmp_path):
    # BitScale's timing, 100x faster
    with fast_stack(tmp_path, socket_mode=True, settings=scaled_timing(100)) as s:
        yield s


def blocks_text(blocks) -> str:
    return " ".join(str(b.get("text", {}).get("text", "")) for b in blocks)


def test_command_form_submit_announcement_and_result_over_socket_mode(stack):
    socket = stack.standin.socket_mode
    assert len(stack.standin.calls_to("apps.connections.open")) == 1
    hello_links = socket.live_links()
    assert len(hello_links) == 1 and hello_links[0].ready

    help_ack = stack.driver.command("help")[0]
    assert help_ack.status_code == 200  # acked by envelope_id within 3 s
    view = stack.driver.open_run_form("run Person Lookup")
    answer = stack.driver.submit(
        view, form_values(view, {"full_name": "Ada Lovelace", "company_domain": "ex.io"})
    )
    assert answer.status_code == 200 and answer.text == ""

    parent = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True))[0]
    assert "<@U0ANA> started *Person Lookup*" in parent.blocks[0]["text"]["text"]
    (reply,) = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=parent.ts))
    assert "ada.lovelace@ex.io" in blocks_text(reply.blocks)
    assert stack.sim.run_count == 1
    assert socket.ignored_payloads == []


def test_modal_errors_come_back_in_the_ack_payload(stack):
    view = stack.driver.open_run_form("run Company Enrichment")
    values = form_values(view, {"company_name": "  ", "website": "x.io"})
    answer = stack.driver.submit(view, values)
    assert answer.status_code == 200
    assert answer.json()["response_action"] == "errors"
    assert stack.sim.run_count == 0


def mention_event(stack) -> dict:
    said = stack.standin.post_as_user("C0SALES", "<@UBOT0001> help")
    return {"type": "app_mention", "user": "U0ANA", "channel": "C0SALES", "ts": said.ts}


def replies_to(stack, event: dict) -> list:
    return stack.standin.posts("C0SALES", thread_ts=event["ts"])


def test_mentions_arrive_as_events_and_redeliveries_are_dropped(stack):
    mention = mention_event(stack)
    assert stack.driver.event(mention, "EvSock1").status_code == 200
    assert stack.driver.event(mention, "EvSock1").status_code == 200  # Slack's retry
    wait_for(lambda: replies_to(stack, mention))
    time.sleep(0.3)
    assert len(replies_to(stack, mention)) == 1


def test_a_reconnect_in_the_middle_of_a_run_loses_nothing(stack):
    socket = stack.standin.socket_mode
    view = stack.driver.open_run_form("run Load Test")
    stack.driver.submit(
        view, form_values(view, {"company_name": "Midway", "duration_seconds": "60"})
    )
    run = wait_for(lambda: (r := stack.bot.store.all_runs()) and r[0])
    assert not run.finished  # 60 s at BitScale: 0.6 real s

    old = socket.live_links()
    socket.refresh(warning_lead=0.1, close_after=0.3)  # warning, refresh_requested, close
    wait_for(lambda: sockets_opened(stack) >= 2)  # the app asked for a new socket
    refresh_settled(stack, old)

    # a mention sent while no connection is up is owed, and delivered after reconnecting
    reconnects = sockets_opened(stack)
    stack.standin.inject(method="apps.connections.open", accept_first=True, hang=1.0)
    socket.drop_all()
    wait_for(lambda: not socket.connected())
    mention = mention_event(stack)
    assert stack.driver.event(mention, "EvSock2").error == "dispatch_failed"
    # the app notices the dropped socket at its next check (slack_sdk's ping interval, 10 s)
    wait_for(lambda: sockets_opened(stack) > reconnects, timeout=30)
    (answer,) = wait_for(lambda: replies_to(stack, mention), timeout=10)
    assert "/bitscale grids" in blocks_text(answer.blocks)

    parent = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True))[0]
    (reply,) = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=parent.ts), timeout=15)
    assert "Midway" in blocks_text(reply.blocks)
    # the new connection carries new work
    view = stack.driver.open_run_form("run Person Lookup")
    values = form_values(view, {"full_name": "Grace Hopper", "company_domain": "navy.mil"})
    assert stack.driver.submit(view, values).status_code == 200
    wait_for(lambda: len(run_results(stack)) == 2, timeout=15)
    time.sleep(0.3)  # room for a duplicate to show up
    assert stack.sim.run_count == 2 and len(run_results(stack)) == 2


def sockets_opened(stack) -> int:
    return len(stack.standin.calls_to("apps.connections.open"))


def refresh_settled(stack, old: list, quiet: float = 0.3) -> None:
    """Wait until a refresh is over: the old connections are closed, the app is connected
    on a socket from every URL it asked for, and it has asked for no new one for `quiet`
    seconds. (The app reconnects once for each disconnect message it reads: after the
    warning, and again after refresh_requested when that reached it first.)"""
    socket = stack.standin.socket_mode
    wait_for(lambda: all(link.closed for link in old) and socket.connected() and not socket.tickets)
    last = [sockets_opened(stack), time.monotonic()]

    def quiet_and_connected() -> bool:
        if sockets_opened(stack) != last[0]:
            last[:] = [sockets_opened(stack), time.monotonic()]
        return time.monotonic() - last[1] >= quiet and socket.connected()

    wait_for(quiet_and_connected)


def run_results(stack) -> list:
    parents = {m.ts for m in stack.standin.posts("C0SALES", top_level=True) if m.user == BOT_USER}
    return [m for m in stack.standin.posts("C0SALES") if m.thread_ts in parents]
