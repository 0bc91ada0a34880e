"""What the charts cost: drawing time and the memory the plotting library adds.

    python bench/charts.py            # 20 drawings of each chart
    python bench/charts.py --quick

Each measurement runs in a fresh Python process, so "before" really is a bot that never
drew a chart:
- time: the 90-day chart (91 readings and its forecast) and the 30-day stacked bars, the
  first drawing (matplotlib imported on the way) and the median of the next ones, each
  against the baseline of saving an empty 800 × 400 figure measured in the same process;
- memory: the resident set size of a process that imported the bot's modules (idle),
  then after the bot drew both charts 20 times the way it does (in a child process,
  draw.py: matplotlib never loaded in the bot), and for comparison after drawing them in
  the process itself (matplotlib loaded, as the bot did before);
- the wall time of one drawing through the child process (start-up and import included).
Prints the numbers; asserts nothing. The machine is shared: read the ratios first.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import bot.bootstrap  # noqa: F401  the bot, idle: everything but the charts is imported

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

sys.path.insert(0, sys.argv[1] + "/tests/insight")
from test_charts import daily_fixture, remaining_fixture
from bot.insight import charts

repeat = int(sys.argv[2])
series, daily = remaining_fixture(), daily_fixture()
idle = rss_mb()
t = time.perf_counter()
pair = charts.both(series, daily, "en-US")
child_s = time.perf_counter() - t
assert all(c.png for c in pair)
for _ in range(repeat):
    charts.both(series, daily, "en-US")
assert "matplotlib" not in sys.modules
child_mb = rss_mb()
t = time.perf_counter()
first = charts.render(charts.REMAINING, series, "en-US")
cold = time.perf_counter() - t
assert first
charts.render(charts.DAILY, daily, "en-US")
loaded = rss_mb()

def timed(fn):
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return statistics.median(out)

def empty():
    fig = charts._figure(); fig.add_subplot(); charts._png(fig)

baseline = timed(empty)
remaining = timed(lambda: charts.render(charts.REMAINING, series, "en-US"))
bars = timed(lambda: charts.render(charts.DAILY, daily, "en-US"))
after = rss_mb()
print(json.dumps({"idle_mb": idle, "child_mb": child_mb, "child_s": child_s,
                  "loaded_mb": loaded, "after_mb": after, "cold_s": cold,
                  "baseline_s": baseline, "remaining_s": remaining, "daily_s": bars}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 drawings instead of 20")
    parser.add_argument("--out", help="also write the numbers here, as JSON")
    args = parser.parse_args()
    repeat = 3 if args.quick else 20
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"Charts, {repeat} drawings each (a shared machine: ratios are the steadier numbers)")
    print(f"  empty 800x400 figure saved (baseline): {r['baseline_s'] * 1000:7.1f} ms")
    print(
        f"  90-day credits left + forecast:        {r['remaining_s'] * 1000:7.1f} ms "
        f"({r['remaining_s'] / r['baseline_s']:.1f}x baseline; budget 300 ms)"
    )
    print(
        f"  30-day stacked bars by grid:           {r['daily_s'] * 1000:7.1f} ms "
        f"({r['daily_s'] / r['baseline_s']:.1f}x baseline)"
    )
    print(f"  first drawing, matplotlib imported:    {r['cold_s'] * 1000:7.1f} ms")
    print(f"  both charts through the child process:  {r['child_s'] * 1000:7.1f} ms (wall)")
    print(
        f"  memory: idle bot {r['idle_mb']:.1f} MB; after {repeat + 1} pairs drawn by the "
        f"child {r['child_mb']:.1f} MB (+{r['child_mb'] - r['idle_mb']:.1f} MB; budget +30)"
    )
    print(
        f"  for comparison, drawn in the bot itself (matplotlib loaded): {r['loaded_mb']:.1f} "
        f"MB (+{r['loaded_mb'] - r['idle_mb']:.1f} MB), after {2 * repeat} more "
        f"{r['after_mb']:.1f} MB"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
