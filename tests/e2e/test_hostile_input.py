"""Hostile input against the running bot (loopback only): a crafted CSV must not stall
anyone else's command (N2), and slowloris connections must not keep Slack's signed
requests from being acked in time (N8)."""

from __future__ import annotations

import socket
import time

import httpx

from bot.web import http_server

SLACK_ACK_SECONDS = 3.0  # Slack gives up on an ack after 3 s


def timed(fn):
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def health_url(stack) -> str:
    return f"http://127.0.0.1:{stack.server.effective_port}/healthz"


def test_a_crafted_csv_does_not_stall_anyone_elses_command(stack):
    # A header, then `"a` lines: csv.Sniffer's regular expressions backtrack on this for
    # tens of seconds, holding the interpreter lock.
    crafted = b"company_name,website\n" + b'"a\n' * 19_000  # 57 KB, under BATCH_MAX_ROWS
    since, answer = stack.driver.upload_csv(crafted)
    assert answer.status_code == 200
    (reply, _, _), took = timed(lambda: stack.driver.command("help"))
    assert reply.status_code == 200 and took < SLACK_ACK_SECONDS
    health, took = timed(lambda: httpx.get(health_url(stack), timeout=30))
    assert health.status_code == 200 and took < SLACK_ACK_SECONDS
    # and the file itself is read (a comma-separated file of one long quoted value)
    view = stack.driver.next_view(since, "batch_map", timeout=30)
    assert view["callback_id"] == "batch_map"


def open_slowloris(port: int, count: int) -> list[socket.socket]:
    """`count` connections that each sent the start of a request and then went quiet."""
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        sockets.append(s)
    return sockets


def test_300_slowloris_connections_do_not_delay_signed_requests(stack):
    port = stack.server.effective_port
    held = open_slowloris(port, 300)
    try:
        for round_ in range(3):
            for s in held:  # each trickles a byte, as a slowloris client does
                s.send(b"a")
            (reply, _, _), took = timed(lambda: stack.driver.command("help"))
            assert reply.status_code == 200, round_
            assert took < SLACK_ACK_SECONDS, (round_, took)
        health, took = timed(lambda: httpx.get(health_url(stack), timeout=30))
        assert health.status_code == 200 and took < SLACK_ACK_SECONDS
    finally:
        for s in held:
            s.close()


def test_a_request_still_unfinished_after_the_deadline_is_dropped():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    import threading

    server = http_server(app, host="127.0.0.1", port=0, request_deadline=1.0)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        s = socket.create_connection(("127.0.0.1", server.effective_port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started, closed = time.monotonic(), False
        while time.monotonic() - started < 8:
            try:
                s.send(b"X-Slow: a\r\n")  # steady, far inside the 10 s idle timeout
            except OSError:
                closed = True
                break
            s.settimeout(0.2)
            try:
                if s.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        assert closed, "the trickling request was never dropped"
        assert time.monotonic() - started < 5
        s.close()
    finally:
        server.close()
    workers = server.task_dispatcher.threads
    assert not workers, f"{len(workers)} worker threads outlived the closed server"
