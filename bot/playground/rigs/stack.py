"""The whole bot on loopback: simulator + Slack stand-in + the real app, server and scheduler.

Only the two outside services are stand-ins; the Bolt app, core, scheduler and SQLite
store are production's. With `socket_mode=True` Slack reaches the bot over Socket Mode
(server.py's handler against the stand-in's WebSocket) instead of HTTP. Used by
`bitscale-bot shell`, the end-to-end tests and bench/.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.bootstrap import Bot, build_bot
from bot.config import Settings
from bot.playground.simulators import bitscale_saved as saved
from bot.playground.simulators.bitscale import Simulator
from bot.playground.simulators.bittlebits import BittlebitsSimulator
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.records import wait_for
from bot.playground.slack.socket_driver import SocketModeDriver
from bot.playground.slack.standin import SlackStandIn
from bot.scheduler import start_scheduler
from bot.server import socket_mode_handler
from bot.web import EVENTS_PATH, http_server, wsgi_app


def scaled_timing(time_scale: float) -> dict[str, str]:
    """The bot's timing settings on a simulator clock `time_scale` times real time: poll
    gaps, the scheduler's tick and the shutdown drain shrink with it, so every choice the
    bot makes from them (sync or async, when to poll) is the one it makes at real time."""
    return {
        "BITSCALE_POLL_SECONDS": f"{2.0 / time_scale:g}",
        "SHUTDOWN_DRAIN_SECONDS": f"{25.0 / time_scale:g}",
        "SCHEDULER_TICK_SECONDS": f"{max(0.02, 1.0 / time_scale):g}",
    }


SIGNING_SECRET = "playground-signing-secret"
BOT_TOKEN = "xoxb-playground"
APP_TOKEN = "xapp-playground"


class LocalStack:
    def __init__(
        self,
        db_path: str | None = None,
        *,
        simulator: Simulator | None = None,
        bitscale_url: str | None = None,
        bitscale_key: str | None = None,
        credit_channel: str | None = None,
        credit_threshold: int = 1000,
        tick_seconds: float = 0.2,
        credit_debounce: float = 30.0,
        settings: dict[str, Any] | None = None,
        socket_mode: bool = False,
        bittlebits: BittlebitsSimulator | bool = True,
        simulator_memory: str | Path | None = None,
        insight_clock: Callable[[], float] = time.time,
    ) -> None:
        """`simulator_memory`: a file the simulator keeps its runs and credits in between
        starts (the shell's, next to its --db), so runs in flight survive a restart."""
        self._tmp = None
        if db_path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="bitscale-bot-")
            db_path = str(Path(self._tmp.name) / "bot.db")
        self.db_path = db_path
        self.sim = simulator
        self.simulator_memory = Path(simulator_memory) if simulator_memory else None
        if self.sim is None and bitscale_url is None:
            self.sim = Simulator()  # BitScale's real timing: sync runs held up to 120 s
        # The page-score provider's stand-in: on unless a test says False.
        self.bittlebits = BittlebitsSimulator() if bittlebits is True else (bittlebits or None)
        self._bitscale_url = bitscale_url
        self._bitscale_key = bitscale_key
        self.standin = SlackStandIn()
        self.credit_channel = credit_channel
        self.credit_threshold = credit_threshold
        self.tick_seconds = tick_seconds
        self.credit_debounce = credit_debounce
        self.extra_settings = settings or {}
        self.socket_mode = socket_mode
        self.socket_handler = None
        self.insight_clock = insight_clock  # credit readings and digests (tests inject one)
        self.bot: Bot | None = None
        self.driver: SlackDriver | None = None

    @property
    def keeps_state(self) -> bool:
        """Whether the database outlives this stack (a --db file, not a temporary one)."""
        return self._tmp is None

    def start(self) -> LocalStack:
        if self.sim is not None and self._bitscale_url is None:
            if self.simulator_memory is not None:
                with self.sim.lock:
                    saved.load(self.sim.state, self.simulator_memory)
            self.sim.start()
            self._bitscale_url, self._bitscale_key = self.sim.url, self.sim.api_key
        self.standin.start()
        pages = {}
        if self.bittlebits is not None:
            self.bittlebits.start()
            pages = {
                "BITTLEBITS_API_KEY": self.bittlebits.api_key,
                "BITTLEBITS_API_URL": self.bittlebits.url,
            }
        self.settings = Settings(
            _env_file=None,
            **{
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": "" if self.socket_mode else SIGNING_SECRET,
                "SLACK_API_URL": self.standin.api_url,
                "BITSCALE_API_KEY": self._bitscale_key,
                "BITSCALE_API_URL": self._bitscale_url,
                "DATABASE_PATH": self.db_path,
                "CREDIT_ALERT_CHANNEL": self.credit_channel or "",
                "CREDIT_ALERT_THRESHOLD": self.credit_threshold,
                **({"SLACK_APP_TOKEN": APP_TOKEN} if self.socket_mode else {}),
                **pages,
                **self.extra_settings,
            },
        )
        self._start_bot()
        return self

    def _start_bot(self) -> None:
        self.bot = build_bot(
            self.settings, credit_debounce=self.credit_debounce, insight_clock=self.insight_clock
        )
        self.scheduler = start_scheduler(
            self.bot.runs,
            self.bot.credits,
            tick_seconds=self.tick_seconds,
            soon_check_seconds=max(self.tick_seconds, 0.05),
            batches=self.bot.batches,
            progress=self.bot.progress,
            progress_seconds=max(self.tick_seconds, 0.25),
            retention=self.bot.retention,
            jobs=self.bot.jobs,
            leader=self.bot.leader,
        )
        if self.socket_mode:
            self.socket_handler = socket_mode_handler(self.bot)
            self.socket_handler.connect()
            self.driver = SocketModeDriver(self.standin)
            wait_for(self.standin.socket_mode.connected, timeout=10)
            return self
        app = wsgi_app(self.bot.app, readiness=self.bot.readiness)
        self.server = http_server(app, host="127.0.0.1", port=0)
        threading.Thread(target=self._serve, name="bot-http", daemon=True).start()
        url = f"http://127.0.0.1:{self.server.effective_port}{EVENTS_PATH}"
        self.driver = SlackDriver(url, SIGNING_SECRET, self.standin)

    def _stop_bot(self) -> None:
        if self.driver:
            self.driver.close()
        if getattr(self, "scheduler", None):
            # Its ticks under way end first: none of them uses the store once it is closed.
            self.scheduler.shutdown(wait=True)
        if self.socket_handler is not None:
            # Closing waits out the client's 3 s receive timeout; nothing needs to wait.
            threading.Thread(target=self.socket_handler.close, daemon=True).start()
        if self.bot:
            self.bot.close()
        if getattr(self, "server", None):
            self.server.close()  # its worker threads too (bot/web.py)

    def restart_bot(self) -> None:
        """Stop the bot (app, scheduler, server) and start a new one on the same database,
        as a deploy would; the simulator and the Slack stand-in keep running."""
        self._stop_bot()
        self._start_bot()

    def _serve(self) -> None:
        try:
            self.server.run()
        except (OSError, ValueError):
            pass  # closed by stop()

    def stop(self) -> None:
        self._stop_bot()
        self.standin.stop()
        if self.sim is not None:
            self.sim.stop()
            if self.simulator_memory is not None:
                with self.sim.lock:
                    saved.save(self.sim.state, self.simulator_memory)
        if self.bittlebits is not None:
            self.bittlebits.stop()
        if self._tmp:
            self._tmp.cleanup()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def fast_stack(directory: str | Path, **kwargs: Any) -> LocalStack:
    """A LocalStack for tests (start it with `with`): its database in `directory`, the
    simulator on a clock 100x real time (runs and BitScale's 120 s sync window alike) unless
    `simulator` is given, and a 50 ms scheduler tick."""
    kwargs.setdefault("simulator", Simulator("e2e-key", time_scale=100))
    kwargs.setdefault("tick_seconds", 0.05)
    return LocalStack(str(Path(directory) / "bot.db"), **kwargs)
