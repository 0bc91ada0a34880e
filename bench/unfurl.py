"""LinkedIn previews: from link_shared to chat.unfurl, for a profile with a stored result.

    python bench/unfurl.py                      # 60 previews quiet, 60 during a 300-run flood
    python bench/unfurl.py --samples 20 --flood 100

The real bot over loopback HTTP (signed Events API requests) against the simulator and the
Slack stand-in. Each sample pastes another profile whose result is stored in the channel,
so the card is drawn from the store at the channel's full level: no BitScale request. It
measures the ack of the link_shared request (goal < 100 ms) and the time until the
stand-in accepted the chat.unfurl (goal p95 < 2 s), first on a quiet bot (the baseline),
then while 300 runs flood it (mentions in another channel, each a run of a 2-second grid
within BitScale's 5 requests a second). Prints the numbers and their ratio to the
baseline; asserts nothing. Run it under the heavy lock on a shared machine.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.playground.rigs.stack import LocalStack, scaled_timing  # noqa: E402
from bot.playground.simulators.bitscale import Simulator  # noqa: E402
from bot.playground.simulators.demo_grids import linkedin_grid  # noqa: E402
from bot.playground.slack.records import wait_for  # noqa: E402
from bot.previews.rules import Level  # noqa: E402
from bot.runs.reuse import input_key  # noqa: E402
from bot.store.run_record import Run, new_run_id  # noqa: E402

CHANNEL, FLOOD_CHANNEL = "C0LEADS", "C0FLOOD"
_ids = itertools.count(1)


def profile(n: int) -> str:
    return f"https://www.linkedin.com/in/bench-person-{n}"


def store_results(stack: LocalStack, grid_id: str, count: int) -> None:
    now = time.time() - 600
    for n in range(count):
        inputs = {"linkedin_url": profile(n)}
        stack.bot.store.insert_run(
            Run(
                id=new_run_id(),
                grid_id=grid_id,
                target=grid_id,
                grid_name="LinkedIn Profile",
                inputs=inputs,
                output_columns=None,
                user_id="U0MARIA",
                channel_id=CHANNEL,
                post_channel=CHANNEL,
                state="completed",
                outputs={"full_name": {"name": "Full name", "value": f"Person {n}"}},
                created_at=now,
                finished_at=now,
                notified_at=now,
                input_key=input_key(grid_id, inputs),
            )
        )


def previews(stack: LocalStack, first: int, count: int) -> tuple[list[float], list[float]]:
    """(ack seconds, link_shared → chat.unfurl seconds) for `count` pasted profiles."""
    unfurled: dict[str, float] = {}
    stack.standin.on_event(
        lambda kind, item: (
            unfurled.setdefault(item[1], time.perf_counter()) if kind == "unfurl" else None
        )
    )
    acks, latencies = [], []
    for n in range(first, first + count):
        message = stack.driver.post(CHANNEL, f"<{profile(n)}>", user="U0ANA")
        began = time.perf_counter()
        answer = stack.driver.share_links(message)
        acks.append(time.perf_counter() - began)
        assert answer.status_code == 200
        wait_for(lambda ts=message.ts: ts in unfurled, timeout=60)
        latencies.append(unfurled[message.ts] - began)
    return acks, latencies


def flood(stack: LocalStack, runs: int) -> threading.Thread:
    """`runs` mentions in another channel, each starting a run, sent by 8 senders."""
    numbers = iter(range(runs))
    lock = threading.Lock()

    def sender() -> None:
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            text = f"<@UBOT0001> company{n}.com"
            message = stack.standin.add_message(FLOOD_CHANNEL, text, user="U0FLOOD")
            event = {
                "type": "app_mention",
                "user": "U0FLOOD",
                "channel": FLOOD_CHANNEL,
                "ts": message.ts,
                "text": text,
            }
            stack.driver.event(event, f"EvFLOOD{next(_ids)}")

    senders = [threading.Thread(target=sender, daemon=True) for _ in range(8)]
    for thread in senders:
        thread.start()
    waiter = threading.Thread(target=lambda: [t.join() for t in senders], daemon=True)
    waiter.start()
    return waiter


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, acks: list[float], latencies: list[float]) -> dict[str, float]:
    numbers = {
        "ack_p50": pct(acks, 0.5) * 1000,
        "ack_p95": pct(acks, 0.95) * 1000,
        "unfurl_p50": pct(latencies, 0.5) * 1000,
        "unfurl_p95": pct(latencies, 0.95) * 1000,
    }
    print(
        f"{name}: ack p50 {numbers['ack_p50']:.1f} ms, p95 {numbers['ack_p95']:.1f} ms · "
        f"link_shared → chat.unfurl p50 {numbers['unfurl_p50']:.0f} ms, "
        f"p95 {numbers['unfurl_p95']:.0f} ms ({len(latencies)} previews)"
    )
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--flood", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-unfurl-") as tmp:
        sim = Simulator("bench-key", time_scale=10)
        stack = LocalStack(
            str(Path(tmp) / "bot.db"), simulator=sim, tick_seconds=0.1, settings=scaled_timing(10)
        )
        with stack:
            grid = sim.add_grid(linkedin_grid())
            email = sim.grid_named("Email Finder")
            services = stack.bot.services
            services.defaults.set(CHANNEL, grid.id, grid.name, "U0ADMIN")
            services.defaults.set(FLOOD_CHANNEL, email.id, email.name, "U0ADMIN")
            services.previews.set_level(CHANNEL, Level.FULL, "U0ADMIN")
            stack.bot.catalog.form(grid.id)  # warm, as `/bitscale default` leaves it
            stack.bot.catalog.form(email.id)
            store_results(stack, grid.id, 2 * args.samples)
            before = sim.count()
            quiet = report("quiet", *previews(stack, 0, args.samples))
            if sim.count() != before:
                print(f"note: {sim.count() - before} BitScale requests during quiet previews")
            started = time.perf_counter()
            waiter = flood(stack, args.flood)
            time.sleep(0.5)  # the flood is under way
            busy = report(
                f"during a {args.flood}-run flood", *previews(stack, args.samples, args.samples)
            )
            store = stack.bot.store
            done = "source = 'mention' AND notified_at IS NOT NULL"
            print(
                f"flood: {store.count_runs(done)} of {args.flood} runs answered when sampling ended"
            )
            waiter.join()
            wait_for(lambda: store.count_runs(done) >= args.flood, timeout=900, interval=0.5)
            print(
                f"flood: {len(sim.runs_for('Email Finder'))} runs sent in "
                f"{time.perf_counter() - started:.0f} s"
            )
            for key in ("ack_p95", "unfurl_p50", "unfurl_p95"):
                print(f"ratio flood/quiet {key}: {busy[key] / max(quiet[key], 1e-9):.2f}x")
            goal = "met" if busy["unfurl_p95"] < 2000 and busy["ack_p95"] < 100 else "NOT met"
            print(f"goal (p95 < 2 s, ack < 100 ms, during the flood): {goal}")
            logging.getLogger("bot").setLevel(logging.CRITICAL)  # shutdown's own noise


if __name__ == "__main__":
    main()
