"""Several bot processes on one PostgreSQL database, with one simulator and one Slack
stand-in: a load balancer's view of the cluster. Requests go to the processes in turn
(skipping any taken out of rotation), processes can be killed, stopped and added, and the
counts of what BitScale and Slack saw are the single-process rig's (process_rig.py).
Cluster tests and bench/cluster.py drive it."""

from __future__ import annotations

import itertools
import signal
import time
from pathlib import Path

from bot.playground.rigs.bot_process import BotProcess
from bot.playground.rigs.process_rig import ProcessRig
from bot.playground.rigs.stack import SIGNING_SECRET
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.socket_driver import SocketModeDriver
from bot.store.database import Store


class ClusterRig(ProcessRig):
    def __init__(
        self,
        workdir: Path,
        database_url: str,
        *,
        processes: int = 3,
        reader_url: str | None = None,
        **kwargs,
    ) -> None:
        """`reader_url`: where the rig itself reads the database (default: the processes'
        URL; a test that cuts the processes off gives the server's own)."""
        super().__init__(workdir, **kwargs)
        self.reader_url = reader_url or database_url
        self.workdir = Path(workdir)
        self.database_url = database_url
        self.env["DATABASE_URL"] = database_url
        self.size = processes
        self.bots: list[BotProcess] = []
        self.drivers: list[SlackDriver] = []
        self.in_rotation: list[bool] = []
        self._turn = itertools.count()
        self._names = itertools.count(1)

    # --- processes ------------------------------------------------------------------------

    def start_cluster(self) -> ClusterRig:
        for _ in range(self.size):
            self.add_process()
        return self

    def add_process(self, timeout: float = 60.0) -> int:
        """Start one more process (a deploy's new instance); returns its index."""
        name = f"bot-{next(self._names)}"
        ready = None
        if self.socket_mode:  # up once the stand-in has greeted its connection
            greeted = self.slack.socket_mode.hellos
            ready = lambda: self.slack.socket_mode.hellos > greeted  # noqa: E731
        bot = BotProcess(
            slack_api_url=self.slack.api_url,
            bitscale_url=self.sim.url,
            bitscale_key=self.sim.api_key,
            db_path=self.workdir / f"{name}.db",  # unused with DATABASE_URL: names its log
            extra_env=self.env,
            socket_mode=self.socket_mode,
        ).start(timeout=timeout, ready=ready)
        self.bots.append(bot)
        self.drivers.append(
            SocketModeDriver(self.slack)  # Slack picks the connection, not the caller
            if self.socket_mode
            else SlackDriver(bot.url, SIGNING_SECRET, self.slack)
        )
        self.in_rotation.append(True)
        self.bot, self.driver = bot, self.drivers[-1]
        return len(self.bots) - 1

    def next_driver(self) -> SlackDriver:
        """The driver of the next process in rotation (round robin, as a load balancer)."""
        live = [i for i, on in enumerate(self.in_rotation) if on]
        index = live[next(self._turn) % len(live)]
        self.driver = self.drivers[index]
        return self.driver

    def kill(self, index: int) -> None:
        """SIGKILL, out of rotation: a crash, an OOM kill, a host gone."""
        self.in_rotation[index] = False
        self.bots[index].kill()

    def drain(self, index: int) -> tuple[int | None, float]:
        """A rolling deploy's end of an instance: out of rotation first (the load balancer
        stops sending it requests), then SIGTERM; returns its exit code and how long it
        took to go."""
        self.in_rotation[index] = False
        began = time.monotonic()
        bot = self.bots[index]
        assert bot.proc is not None
        bot.proc.send_signal(signal.SIGTERM)
        try:
            code = bot.proc.wait(30)
        except Exception:  # noqa: BLE001 - the host's SIGKILL after its grace period
            bot.kill()
            code = None
        return code, time.monotonic() - began

    def submit(self, grid: str, name: str, **inputs: str) -> None:
        self.next_driver()
        super().submit(grid, name, **inputs)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.reader_url, pool_size=4)
        return self._store

    def logs(self) -> str:
        return "\n".join(b.log_path.read_text(errors="replace") for b in self.bots)

    def close(self) -> None:
        for bot in self.bots:
            bot.kill()
        for driver in self.drivers:
            driver.close()
        self.driver = None
        self.bot = None
        if self._store is not None:
            self._store.close()
        super().close()
