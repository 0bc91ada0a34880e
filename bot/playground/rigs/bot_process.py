"""The bot as a real process (`python -m bot start`) for fault and deploy tests and bench/:
HTTP mode, or Socket Mode against the Slack stand-in's WebSocket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bot.playground.rigs.stack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET


def run_bot(
    *args: str, env: dict[str, str], cwd: str | Path | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m bot <args>` run to its end with exactly `env`, its output captured: a
    start-up expected to stop at once with a message, or the shell reading a script."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(
        self,
        *,
        slack_api_url: str,
        bitscale_url: str,
        bitscale_key: str,
        db_path: str | Path,
        log_path: str | Path | None = None,
        extra_env: dict[str, str] | None = None,
        socket_mode: bool = False,
    ) -> None:
        self.port = free_port()
        self.socket_mode = socket_mode
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        self.log_path = Path(log_path or f"{db_path}.log")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BITSCALE_"))},
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api_url,
            "BITSCALE_API_URL": bitscale_url,
            "BITSCALE_API_KEY": bitscale_key,
            "DATABASE_PATH": str(db_path),
            "HOST": "127.0.0.1",  # loopback only
            "PORT": str(self.port),
            **(extra_env or {}),
        }
        if socket_mode:  # Slack reaches it over the WebSocket (PORT serves /healthz only)
            self.env.pop("SLACK_SIGNING_SECRET")
            self.env["SLACK_APP_TOKEN"] = APP_TOKEN
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0, ready: Callable[[], bool] | None = None) -> BotProcess:
        """Start and wait until it serves: GET /healthz answers, or `ready()` is true (in
        Socket Mode: the stand-in saw its connection say hello)."""
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "start"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"bot exited with {self.proc.returncode}: " + self.log_path.read_text()[-2000:]
                )
            if ready is not None:
                if ready():
                    return self
                time.sleep(0.05)
                continue
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise TimeoutError("bot did not start")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, like a crash or an OOM kill."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid
