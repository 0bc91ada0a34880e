"""Every provider exchange has an overall deadline, not only a per-read timeout (N14): an
answer sent a byte at a time must not hold a poller for ever."""

from __future__ import annotations

import json
import threading
import time

import pytest

from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.errors import BitScaleError
from bot.providers.http_limits import overall_deadline
from bot.providers.limiter import RateLimiter
from tests.providers.bitscale.test_client import WORKSPACE
from tests.slack.test_file_download import Host


def test_the_deadline_is_a_third_more_than_the_read_timeout():
    import httpx

    assert overall_deadline(httpx.Timeout(15.0, connect=5.0)) == 20.0
    assert overall_deadline(None) == 40.0


@pytest.fixture
def trickling_host():
    body = json.dumps(WORKSPACE).encode()
    stop = threading.Event()

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:  # every read well inside the read timeout, never the whole
            if stop.is_set():
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.05)

    host = Host(trickle)
    yield host
    stop.set()
    host.close()


def test_a_status_answer_sent_a_byte_at_a_time_times_out_at_the_deadline(trickling_host):
    client = BitScaleClient(
        "bs-key",
        trickling_host.url,
        get_timeout=0.6,  # per read; the whole answer would take over 10 s
        max_retries=0,
        limiter=RateLimiter(100),
    )
    started = time.monotonic()
    with pytest.raises(BitScaleError) as caught:
        client.workspace()
    took = time.monotonic() - started
    assert caught.value.code == "TIMEOUT" and "did not answer in time" in str(caught.value)
    assert took < 3, took  # 0.8 s deadline, not the ~10 s the trickle takes
    client.close()
