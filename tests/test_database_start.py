"""`bitscale-bot start` with a DATABASE_URL that cannot be used, as a real process: the
server down, a refused password, an unknown user, a missing database or a malformed URL is
one line on stderr and exit 2, and the password is never printed."""

from __future__ import annotations

import os
import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from bot.playground.rigs.bot_process import run_bot
from bot.playground.rigs.stack import BOT_TOKEN, SIGNING_SECRET

PASSWORD = "hunter2-not-for-logs"


def start(tmp_path, url: str) -> tuple[int, list[str], str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BITSCALE_"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached: the database comes first
        "BITSCALE_API_KEY": "bs-start-up-key",
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
    }
    env.pop("DATABASE_PATH", None)
    done = run_bot("start", env=env, cwd=tmp_path)
    everything = done.stdout + done.stderr
    assert "Traceback" not in everything
    return done.returncode, done.stderr.strip().splitlines(), everything


def _one_reply(connection: socket.socket) -> None:
    """A PostgreSQL server that wants a password and refuses it (what a wrong password in
    DATABASE_URL meets; the test server itself trusts every local connection)."""
    with connection:
        while True:  # SSL and GSS encryption requests: "N", no
            length, code = struct.unpack("!ii", connection.recv(8))
            if code not in (80877103, 80877104):
                connection.recv(length - 8)  # the rest of the startup message
                break
            connection.sendall(b"N")
        connection.sendall(b"R" + struct.pack("!ii", 8, 3))  # cleartext password, please
        connection.recv(1024)  # the password message
        fields = b'SFATAL\x00C28P01\x00Mpassword authentication failed for user "root"\x00\x00'
        connection.sendall(b"E" + struct.pack("!i", 4 + len(fields)) + fields)


@pytest.fixture
def refusing_server() -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_one_reply, args=(connection,), daemon=True).start()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    yield port
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(); close() alone does not
    listener.close()
    server.join(timeout=5)


def test_a_wrong_password_is_one_line_without_it(tmp_path, refusing_server):
    url = f"postgresql://root:{PASSWORD}@127.0.0.1:{refusing_server}/bot"
    code, lines, everything = start(tmp_path, url)
    assert code == 2
    assert lines == [
        f"bitscale-bot: The PostgreSQL database at postgresql://root:***@127.0.0.1:"
        f'{refusing_server}/bot cannot be used: connection to server at "127.0.0.1", port '
        f'{refusing_server} failed: password authentication failed for user "root". Check '
        "DATABASE_URL (host, port, user, password, database name) and that the server is "
        "running."
    ]
    assert PASSWORD not in everything


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (f"postgresql://root:{PASSWORD}@127.0.0.1:1/test", "port 1 failed: Connection refused"),
        (f"postgresql://nobody:{PASSWORD}@127.0.0.1:5432/test", 'role "nobody" does not exist'),
        (f"postgres://root:{PASSWORD}@127.0.0.1:5432/no_such_db", '"no_such_db" does not exist'),
    ],
)
def test_an_unusable_database_stops_start_up_in_one_line(tmp_path, url, said, postgres_url):
    code, lines, everything = start(tmp_path, url)
    assert code == 2
    (line,) = lines
    assert line.startswith("bitscale-bot: The PostgreSQL database at postgres")
    assert said in line and ":***@127.0.0.1:" in line
    assert PASSWORD not in everything


@pytest.mark.parametrize(
    "url",
    [f"mysql://root:{PASSWORD}@db/bot", f"postgresql://root:{PASSWORD}@/bot", "postgresql:/x"],
)
def test_a_malformed_url_is_refused_by_the_settings_without_showing_it(tmp_path, url):
    code, lines, everything = start(tmp_path, url)
    assert code == 2
    assert lines == [
        "bitscale-bot: DATABASE_URL is malformed: expected postgresql://user:password@host:5432/"
        "database (or postgres://, as host add-ons write it); leave it unset to use SQLite at "
        "DATABASE_PATH."
    ]
    assert PASSWORD not in everything
