"""Deploys and crashes on BitScale's real timing: the scenario of tests/test_deploys.py
(bot/playground/rigs/deploys.py) once on a real clock, with the real 120 s sync window, a
real 25 s drain and grids of 5, 60, 110 and 150 s.

    .venv/bin/python bench/deploys.py               # both SIGTERM and SIGKILL, ~10 minutes
    .venv/bin/python bench/deploys.py --how term    # one of them
    .venv/bin/python bench/deploys.py --time-scale 20 --how term   # what the test runs

Prints each stop (when, how long the process took to go, what was in flight) and each
run's outcome: BitScale runs, thread replies, mode, and its exposure (seconds BitScale had
it before the bot stored a request id for it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.playground.rigs.deploys import Report, add_grids, run_scenario  # noqa: E402
from bot.playground.rigs.process_rig import ProcessRig  # noqa: E402


def run(how: str, time_scale: float, socket_mode: bool) -> tuple[Report, float]:
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-deploys-") as tmp:
        rig = ProcessRig(Path(tmp), time_scale=time_scale, socket_mode=socket_mode)
        add_grids(rig)
        try:
            report = run_scenario(
                rig, how, say=lambda text: print(f"  {time.monotonic() - began:6.1f}s {text[:110]}")
            )
        finally:
            rig.close()
    return report, time.monotonic() - began


def table(report: Report) -> str:
    lines = [
        f"{'stop at':<12} {'exit':>4} {'gone after':>10}  in flight",
        *(
            f"{s.step:<12} {str(s.exit_code):>4} {s.seconds:>9.1f}s  "
            + ", ".join(f"{n}={st}" for n, st in s.states.items() if not n.startswith("warm"))
            for s in report.stops
        ),
        "",
        f"{'run':<11} {'grid':<18} {'mode':<5} {'state':<11} {'BitScale':>8} {'replies':>7} "
        f"{'exposure':>9} {'of run':>7}",
    ]
    for r in report.runs.values():
        share = "" if not r.exposure or not r.duration else f"{r.exposure / r.duration:.1%}"
        exposure = "—" if r.exposure is None else f"{r.exposure:.3f}s"
        lines.append(
            f"{r.name:<11} {r.grid:<18} {r.mode or '—':<5} {r.state:<11} {r.bitscale_runs:>8} "
            f"{r.replies:>7} {exposure:>9} {share:>7}"
        )
    lines.append(f"posts after the last restart: {report.posts_after_last_restart}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--how", choices=["term", "kill", "both"], default="both")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--out", default="bench/results/deploys.json")
    args = parser.parse_args(argv)
    results = {}
    for how in ("term", "kill") if args.how == "both" else (args.how,):
        # SIGTERM over Socket Mode (most installs), SIGKILL over HTTP: both paths covered.
        socket_mode = how == "term"
        print(f"{how}: {'Socket Mode' if socket_mode else 'HTTP'}, clock x{args.time_scale:g}")
        report, seconds = run(how, args.time_scale, socket_mode)
        print(table(report))
        print(f"took {seconds:.0f}s\n")
        results[how] = {"seconds": round(seconds, 1), **asdict(report)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
