"""Load senders for the ack benchmark, run in their own processes so the bench's own
Python (simulator, stand-in) does not slow the clock of the requests it measures."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

COMMANDS = ["help", "runs", "credits", "grids"]


def sender_process(job: dict) -> dict:
    """Run `job["threads"]` senders for `job["seconds"]` from when this process is up (spawning
    can take longer than a short round on a loaded machine): closed-loop (each
    sends as soon as its last answer came) or paced (`job["interval"]` seconds apart)."""
    signer = SignatureVerifier(job["secret"])
    latencies: dict[str, list[float]] = {"command": [], "view_submission": []}
    failures = [0]
    until = time.time() + job["seconds"]
    lock = threading.Lock()

    def send(http: httpx.Client, body: str) -> tuple[float, int]:
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signer.generate_signature(timestamp=ts, body=body),
        }
        began = time.perf_counter()
        answer = http.post(job["url"], content=body.encode(), headers=headers)
        return time.perf_counter() - began, answer.status_code

    def loop(n: int) -> None:
        with httpx.Client(timeout=30) as http:
            i = 0
            next_at = time.time()
            while time.time() < until:
                i += 1
                if job["interval"]:  # paced: one request every `interval` seconds
                    next_at += job["interval"]
                    time.sleep(max(0.0, next_at - time.time()))
                if i % 2:
                    kind = "command"
                    body = urlencode(
                        {
                            "command": "/bitscale",
                            "text": COMMANDS[i // 2 % len(COMMANDS)],
                            "team_id": "T0001",
                            "channel_id": "C0SALES",
                            "user_id": f"U0L{n}",
                            "user_name": "load",
                            "trigger_id": f"load-{n}-{i}",
                            "response_url": job["response_url"],
                            "api_app_id": "A0001",
                        }
                    )
                else:
                    kind = "view_submission"
                    # One submission in five starts a real run; the rest fail validation.
                    real = i % 10 == 0
                    values = {
                        "in0": {
                            "value": {
                                "type": "plain_text_input",
                                "value": f"P {n} {i}" if real else "",
                            }
                        },
                        "in1": {
                            "value": {"type": "plain_text_input", "value": "x.io" if real else ""}
                        },
                    }
                    view = {
                        **job["view"],
                        "id": f"load-{job['worker']}-{n}-{i}",
                        "state": {"values": values},
                    }
                    body = urlencode(
                        {
                            "payload": json.dumps(
                                {
                                    "type": "view_submission",
                                    "team": {"id": "T0001"},
                                    "user": {"id": f"U0L{n}"},
                                    "api_app_id": "A0001",
                                    "view": view,
                                }
                            )
                        }
                    )
                took, status = send(http, body)
                with lock:
                    latencies[kind].append(took)
                    failures[0] += status != 200

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(job["threads"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies": latencies, "non_200": failures[0]}
