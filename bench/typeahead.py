"""Grid type-ahead on a cold cache in a large workspace, and `/bitscale help` meanwhile.

    python bench/typeahead.py                # 10,000 grids, 18 keystrokes at once
    python bench/typeahead.py --grids 2000 --skip-walk

The real bot over loopback against the simulator (5 requests a second, like BitScale).
Times each keystroke's answer and a `/bitscale help` sent while they wait, then (unless
--skip-walk) how long walking every page takes, which is what one keystroke used to cost
on the request thread. Prints the numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.playground.rigs.stack import LocalStack
from bot.playground.simulators.bitscale import Simulator  # noqa: E402
from bot.playground.simulators.sim_grid import SimGrid  # noqa: E402
from bot.playground.slack.records import wait_for  # noqa: E402
from bot.providers.bitscale.transport import Priority  # noqa: E402
from bot.slack import blocks as kit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--keystrokes", type=int, default=18)
    parser.add_argument("--skip-walk", action="store_true")
    args = parser.parse_args()
    sim = Simulator("bench-key", time_scale=100)
    for i in range(args.grids):
        grid = SimGrid(f"Account Research {i:05d}", "", ["company_name"], [], lambda x: {})
        sim.state.grids[grid.id] = grid
    with tempfile.TemporaryDirectory() as tmp:
        with LocalStack(str(Path(tmp) / "bot.db"), simulator=sim, tick_seconds=0.05) as stack:
            stack.driver.shortcut()
            view = wait_for(lambda: stack.standin.latest_view())
            took: dict[str, float] = {}
            loading: list[str] = []

            def keystroke(text: str) -> None:
                start = time.perf_counter()
                answer = stack.driver.suggest(kit.PICK_GRID_ACTION, text, view)
                took[text] = time.perf_counter() - start
                options = json.loads(answer.text)["options"]
                if any(o["value"] == kit.LOADING_GRIDS for o in options):
                    loading.append(text)

            typed = [f"Account Research {i:03d}" for i in range(args.keystrokes)]
            threads = [threading.Thread(target=keystroke, args=(t,)) for t in typed]
            for thread in threads:
                thread.start()
            start = time.perf_counter()
            stack.driver.command("help")
            help_took = time.perf_counter() - start
            for thread in threads:
                thread.join()
            times = sorted(took.values())
            print(f"grids: {args.grids:,}, keystrokes at once on a cold cache: {len(times)}")
            print(
                f"keystroke answer: median {statistics.median(times) * 1000:.0f} ms, "
                f"slowest {times[-1] * 1000:.0f} ms; said 'loading': {len(loading)}"
            )
            print(f"/bitscale help meanwhile: {help_took * 1000:.0f} ms")
            if not args.skip_walk:
                # The background fetch first (it shares the rate budget), then a walk alone.
                wait_for(lambda: stack.bot.catalog.all_grids(cached_only=True), timeout=300)
                start = time.perf_counter()
                stack.bot.catalog.walk_grids(Priority.INTERACTIVE)
                print(
                    f"walking every page once (the old first keystroke): "
                    f"{time.perf_counter() - start:.1f} s"
                )


if __name__ == "__main__":
    main()
