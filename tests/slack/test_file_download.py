"""Downloading a shared file: the bot token only to Slack's hosts (N1), an overall deadline
(N15), and a decoded-size cap that holds against a gzip bomb (N16). Small hostile servers
on loopback play the file hosts."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.slack.files import FileProblem, fetch_file
from bot.slack.token_hosts import may_carry_token


class Host:
    """A loopback HTTP server answering every GET with `answer(handler)`; it records the
    Authorization and Accept-Encoding headers it was sent."""

    def __init__(self, answer):
        self.seen: list[dict[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.seen.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "accept-encoding": self.headers.get("Accept-Encoding"),
                    }
                )
                try:
                    answer(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def plain_csv(handler, body=b"name,website\nAcme,acme.io\n"):
    handler.send_response(200)
    handler.send_header("Content-Type", "text/csv")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class FakeClient:
    """The slice of WebClient fetch_file uses: files.info naming `url`."""

    token = "xoxb-secret-bot-token"

    def __init__(self, url: str, base_url: str):
        self.url, self.base_url = url, base_url

    def files_info(self, file):
        return {
            "file": {
                "id": file,
                "name": "leads.csv",
                "filetype": "csv",
                "size": 30,
                "url_private_download": self.url,
            }
        }


@pytest.fixture
def hosts():
    made: list[Host] = []

    def make(answer=plain_csv):
        made.append(Host(answer))
        return made[-1]

    yield make
    for host in made:
        host.close()


def test_only_slacks_https_hosts_and_the_configured_api_origin_get_the_token():
    assert may_carry_token("https://files.slack.com/files-pri/T1-F1/a.csv")
    assert may_carry_token("https://acme.enterprise.slack.com/files-pri/T1-F1/a.csv")
    assert not may_carry_token("http://files.slack.com/files-pri/T1-F1/a.csv")  # plain http
    assert not may_carry_token("https://files.slack.com.evil.example/a.csv")
    assert not may_carry_token("https://evilslack.com/a.csv")
    assert not may_carry_token("https://files.slack.com:8443/a.csv")
    assert not may_carry_token("ftp://files.slack.com/a.csv")
    api = "http://127.0.0.1:5000/api/"
    assert may_carry_token("http://127.0.0.1:5000/files-pri/a.csv", api)
    assert not may_carry_token("http://127.0.0.1:5001/files-pri/a.csv", api)
    assert not may_carry_token("https://127.0.0.1:5000/files-pri/a.csv", api)


def test_a_file_url_on_another_host_is_refused_and_never_sent_the_token(hosts, tmp_path):
    slack, other = hosts(), hosts()
    client = FakeClient(other.url + "/files-pri/T1-F1/leads.csv", slack.url + "/api/")
    with pytest.raises(FileProblem, match="I can't open that file"):
        fetch_file(client, "F1", max_bytes=1_000_000)
    assert other.seen == []  # not even asked, so no token either
    # The configured Slack origin is fine (the stand-in, a proxy).
    client = FakeClient(slack.url + "/files-pri/T1-F1/leads.csv", slack.url + "/api/")
    shared = fetch_file(client, "F1", max_bytes=1_000_000)
    assert shared.data.startswith(b"name,website")
    assert slack.seen[-1]["authorization"] == "Bearer xoxb-secret-bot-token"


def test_a_redirect_to_another_host_is_followed_without_the_token(hosts, tmp_path):
    cdn = hosts()

    def redirect(handler):
        handler.send_response(302)
        handler.send_header("Location", cdn.url + "/signed/leads.csv")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    slack = hosts(redirect)
    client = FakeClient(slack.url + "/files-pri/T1-F1/leads.csv", slack.url + "/api/")
    fetch_file(client, "F1", max_bytes=1_000_000)
    assert slack.seen[0]["authorization"] == "Bearer xoxb-secret-bot-token"
    assert cdn.seen == [
        {"path": "/signed/leads.csv", "authorization": None, "accept-encoding": "identity"}
    ]


def test_a_host_sending_one_byte_at_a_time_meets_the_overall_deadline(hosts, tmp_path):
    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(100000):
            handler.wfile.write(b"a")
            handler.wfile.flush()
            time.sleep(0.02)  # far inside any per-read timeout

    slow = hosts(trickle)
    client = FakeClient(slow.url + "/files-pri/T1-F1/leads.csv", slow.url + "/api/")
    started = time.monotonic()
    with pytest.raises(FileProblem, match="took too long"):
        fetch_file(client, "F1", max_bytes=1_000_000, deadline_seconds=0.5)
    assert time.monotonic() - started < 5  # the deadline, not the per-read timeout
    assert list(tmp_path.iterdir()) == []  # nothing of it on the disk


def test_a_gzip_bomb_is_refused_without_inflating_it_in_memory(hosts, tmp_path):
    bomb = gzip.compress(b"0" * 100_000_000, compresslevel=9)  # ~100 KB on the wire

    def compressed(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    host = hosts(compressed)
    client = FakeClient(host.url + "/files-pri/T1-F1/leads.csv", host.url + "/api/")
    tracemalloc.start()
    try:
        with pytest.raises(FileProblem, match="larger than 5 MB"):
            fetch_file(client, "F1", max_bytes=5_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert host.seen[0]["accept-encoding"] == "identity"
    assert peak < 8_000_000  # decoded a piece at a time, never a whole network chunk
