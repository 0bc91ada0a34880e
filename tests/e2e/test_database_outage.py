"""PostgreSQL going away under a running bot, for real: the bot reaches the server through
a TCP relay the test can cut (every connection dropped, new ones refused, as in a restart
or a failover) and mend. A rep who acts meanwhile is told "try again in a moment" within
Slack's 3 s, and the same command works once the server is back."""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.playground.rigs.stack import fast_stack, scaled_timing

SENTENCE = "The database is not answering right now; try again in a moment."


class Relay:
    """127.0.0.1:port → the PostgreSQL server; `cut()` drops everything, `mend()` listens
    again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._pairs: list[socket.socket] = []
        self._lock = threading.Lock()
        self.mend()

    def mend(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        try:  # wakes the accept() blocked on it; close() alone leaves it accepting
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for sock in pairs:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._pairs += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def relayed(postgres_url):
    parts = urlsplit(postgres_url)
    relay = Relay(parts.hostname or "127.0.0.1", parts.port or 5432)
    netloc = parts.netloc.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{relay.port}")
    yield relay, urlunsplit((parts.scheme, netloc, *parts[2:]))
    relay.cut()


def test_a_rep_is_told_to_try_again_while_postgresql_is_away(tmp_path, relayed):
    relay, url = relayed
    settings = {**scaled_timing(100), "DATABASE_URL": url}
    with fast_stack(tmp_path, settings=settings) as stack:
        answer, _, _ = stack.driver.command("runs")
        assert "blocks" in json.loads(answer.text)
        relay.cut()  # the server restarts: connections drop, new ones are refused
        started = time.monotonic()
        answer, _, _ = stack.driver.command("runs")
        waited = time.monotonic() - started
        assert answer.status_code == 200
        assert json.loads(answer.text) == {"response_type": "ephemeral", "text": SENTENCE}
        assert waited < 3.0  # inside Slack's deadline for an answer
        relay.mend()  # the server is back
        back = time.monotonic()
        while time.monotonic() - back < 20:
            answer, _, _ = stack.driver.command("runs")
            if "blocks" in json.loads(answer.text):
                break
        assert "blocks" in json.loads(answer.text)
        assert time.monotonic() - back < 10  # the pool reconnects within seconds
