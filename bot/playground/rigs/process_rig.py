"""The bot as a real process on one database, with the simulator and the Slack stand-in:
start it, stop it the way a host or a crash does, start it again, and count what BitScale
and Slack saw. Deploy and crash tests and bench/ drive it."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from bot.playground.rigs.bot_process import BotProcess
from bot.playground.rigs.stack import SIGNING_SECRET, scaled_timing
from bot.playground.simulators.bitscale import Simulator
from bot.playground.simulators.bitscale_state import SimRun
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import BOT_USER, Message, wait_for
from bot.playground.slack.socket_driver import SocketModeDriver
from bot.playground.slack.standin import SlackStandIn
from bot.store.database import Store
from bot.store.run_record import Run


class ProcessRig:
    def __init__(
        self,
        workdir: Path,
        *,
        time_scale: float = 1.0,
        env: dict[str, str] | None = None,
        socket_mode: bool = False,
        latency: float = 0.0,
        scale_bot_timing: bool = True,
    ) -> None:
        """`scale_bot_timing`: the bot's clocks (poll gaps, the tick, the drain) run as fast
        as the simulator's; False keeps the bot's own timing while BitScale runs fast."""
        self.time_scale = time_scale
        self.sim = Simulator("rig-key", time_scale=time_scale, latency=latency).start()
        self.slack = SlackStandIn().start()
        self.db = Path(workdir) / "bot.db"
        timing = scaled_timing(time_scale) if scale_bot_timing else {}
        self.env = {"RUN_EXPIRY_MINUTES": "30", **timing, **(env or {})}
        self.socket_mode = socket_mode
        self.bot: BotProcess | None = None
        self.driver: SlackDriver | None = None
        self._store: Store | None = None

    @property
    def drain_seconds(self) -> float:
        return float(self.env["SHUTDOWN_DRAIN_SECONDS"])

    # --- the process ------------------------------------------------------------------------

    def start_bot(self) -> BotProcess:
        ready = None
        if self.socket_mode:
            greeted = self.slack.socket_mode.hellos
            ready = lambda: self.slack.socket_mode.hellos > greeted  # noqa: E731
        self.bot = BotProcess(
            slack_api_url=self.slack.api_url,
            bitscale_url=self.sim.url,
            bitscale_key=self.sim.api_key,
            db_path=self.db,
            extra_env=self.env,
            socket_mode=self.socket_mode,
        ).start(timeout=60, ready=ready)
        if self.driver:
            self.driver.close()
        self.driver = (
            SocketModeDriver(self.slack)
            if self.socket_mode
            else SlackDriver(self.bot.url, SIGNING_SECRET, self.slack)
        )
        return self.bot

    def stop_bot(self, how: str) -> tuple[int | None, float]:
        """`term` (a deploy: SIGTERM, then SIGKILL after 30 s as hosts do) or `kill` (a
        crash). Returns the exit code and the seconds the process took to go."""
        assert self.bot is not None and self.bot.proc is not None
        began = time.monotonic()
        if how == "kill":
            self.bot.kill()
            return self.bot.proc.returncode, time.monotonic() - began
        self.bot.proc.send_signal(signal.SIGTERM)
        try:
            code = self.bot.proc.wait(30)
        except Exception:  # noqa: BLE001 - the host's SIGKILL after its grace period
            self.bot.kill()
            code = None
        return code, time.monotonic() - began

    def restart(self, how: str = "kill") -> tuple[int | None, float]:
        stopped = self.stop_bot(how)
        self.start_bot()
        return stopped

    def close(self) -> None:
        if self.bot:
            self.bot.kill()
        if self.driver:
            self.driver.close()
        self.slack.stop()
        self.sim.stop()

    # --- asking and counting ------------------------------------------------------------

    def submit(self, grid: str, name: str, **inputs: str) -> None:
        """Open the grid's form as a rep would and submit it with company_name = `name`."""
        self.submit_form(self.open_form(grid), name, **inputs)

    def submit_inputs(self, grid: str, inputs: dict[str, str]) -> None:
        """Open the grid's form and submit it with these inputs (by key or label)."""
        self._submit(self.open_form(grid), inputs)

    def open_form(self, grid: str) -> dict:
        assert self.driver is not None
        return self.driver.open_run_form(f"run {grid}", timeout=30)

    def submit_form(self, view: dict, name: str, **inputs: str) -> None:
        self._submit(view, {"company_name": name, **inputs})

    def _submit(self, view: dict, inputs: dict[str, str]) -> None:
        assert self.driver is not None
        answer = self.driver.submit(view, form_values(view, inputs))
        assert answer.status_code == 200, answer.text

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.db)
        return self._store

    def runs(self) -> list[Run]:
        return self.store.all_runs()

    def run(self, name: str) -> Run | None:
        return next((r for r in self.runs() if r.inputs.get("company_name") == name), None)

    def wait_run(self, name: str, condition, timeout: float = 60.0) -> Run:
        def check():
            run = self.run(name)
            return run if run is not None and condition(run) else None

        return wait_for(check, timeout=timeout, interval=0.02)

    def sim_runs(self, name: str) -> list[SimRun]:
        with self.sim.lock:
            return [r for r in self.sim.state.runs.values() if r.inputs.get("company_name") == name]

    def results(self, channel: str = "C0SALES") -> list[Message]:
        """What the bot posted in threads or with metadata in a channel: results, replies,
        batch summaries."""
        return [m for m in self.slack.posts(channel) if m.thread_ts or m.metadata]

    def replies(self, run: Run) -> list[Message]:
        """The bot's replies in the run's thread (its result, or what went wrong)."""
        if not run.message_ts:
            return []
        return [
            m
            for m in self.slack.posts(run.post_channel, thread_ts=run.reply_ts)
            if m.user == BOT_USER
        ]
