"""The charts: drawn from fixed data, the PNG's size and a few sampled pixel colours are
checked (an empty or broken chart fails), and each has its sentence; a failed drawing
leaves the sentence alone."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date, datetime, timezone

from PIL import Image

from bot.insight import charts, drawing
from bot.insight.chart_data import DailyByGrid, RemainingSeries
from bot.insight.charts import OKABE_ITO, daily_chart, remaining_chart
from bot.insight.forecast import Reading, forecast


def at(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()


def remaining_fixture() -> RemainingSeries:
    """91 daily readings from Sep 8: 150 a working day, 20 a weekend day, from 12,000."""
    readings, used, left = [], 1000, 12000
    for i in range(91):
        d = date.fromordinal(date(2026, 9, 8).toordinal() + i)
        readings.append(Reading(at(d), left, used, 13000, renews_at="2026-12-20T00:00:00Z"))
        spent = 150 if d.weekday() < 5 else 20
        used, left = used + spent, left - spent
    points = [(r.read_at, r.remaining) for r in readings]
    return RemainingSeries(points, forecast(readings), readings[-1].read_at)


def daily_fixture() -> DailyByGrid:
    days = [date.fromordinal(date(2026, 11, 8).toordinal() + i) for i in range(30)]
    return DailyByGrid(
        days,
        {
            "Company Enrichment": [50 + (i % 7) * 10 for i in range(30)],
            "Person Lookup": [30.0] * 30,
            "Job Changes": [0 if i % 2 else 40 for i in range(30)],
        },
        "credits",
    )


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def near(image: Image.Image, xy: tuple[int, int], colour: str, reach: int = 2) -> bool:
    """The colour (within a little anti-aliasing) is drawn at or next to `xy`."""
    want = hex_rgb(colour)
    x0, y0 = xy
    return any(
        sum(abs(a - b) for a, b in zip(image.getpixel((x, y)), want, strict=True)) < 40
        for x in range(x0 - reach, x0 + reach + 1)
        for y in range(y0 - reach, y0 + reach + 1)
    )


def picture(png: bytes | None) -> Image.Image:
    assert png and png[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_the_credits_left_chart_draws_the_line_the_forecast_and_the_renewal():
    chart = remaining_chart(remaining_fixture(), "en-US")
    image = picture(chart.png)
    assert image.size == (800, 400) and len(chart.png) > 10_000
    assert near(image, (5, 5), "#FFFFFF")  # the background
    assert near(image, (300, 142), OKABE_ITO["black"])  # credits left, mid-October
    assert near(image, (500, 230), OKABE_ITO["black"])
    assert near(image, (657, 300), OKABE_ITO["vermillion"])  # the forecast, dashed
    assert near(image, (734, 152), OKABE_ITO["blue"])  # the renewal, dotted
    assert not near(image, (300, 300), OKABE_ITO["black"])  # nothing under the line
    # 1,880 left on Dec 7; Mon–Fri 150 and weekends 20: Dec 7–11 750, Dec 12–13 40,
    # Dec 14–18 750 (340 left), Dec 19–20 40, Dec 21 150, Dec 22 runs out.
    assert chart.line == (
        "Credits left: 1,880 now, from 12,000 at the start of the last 90 days; at this "
        "pace they run out Dec 22; the plan renews Dec 20."
    )


def test_the_daily_chart_stacks_each_grid_in_its_own_colour():
    chart = daily_chart(daily_fixture(), "en-GB")
    image = picture(chart.png)
    assert image.size == (800, 400)
    assert near(image, (441, 300), OKABE_ITO["blue"])  # Company Enrichment, at the bottom
    assert near(image, (441, 234), OKABE_ITO["orange"])  # Person Lookup on top of it
    assert near(image, (427, 213), OKABE_ITO["bluish green"])  # Job Changes, every other day
    assert chart.line == (
        "Credits (estimated) a day by grid, 8 Nov – 7 Dec: 3,850 in all; most on Company "
        "Enrichment 2,350, Person Lookup 900, Job Changes 600."
    )


def test_a_failed_drawing_keeps_the_sentence(monkeypatch):
    def broken():
        raise RuntimeError("no fonts")

    monkeypatch.setattr(charts, "_figure", broken)  # in this process, where render() runs
    assert charts.render(charts.DAILY, daily_fixture(), None) is None


def test_a_drawing_process_that_dies_keeps_the_sentences(monkeypatch):
    monkeypatch.setattr(drawing, "COMMAND", [sys.executable, "-c", "import sys; sys.exit(3)"])
    left, by_grid = charts.both(remaining_fixture(), daily_fixture())
    assert left.png is None and left.line.startswith("Credits left: 1,880 now")
    assert by_grid.png is None and by_grid.line.startswith("Credits (estimated) a day by grid")


def test_the_bot_never_loads_the_plotting_library():
    """Both charts come back as PNGs, and matplotlib was imported by the child alone."""
    probe = (
        "import sys; from tests.insight.test_charts import daily_fixture, remaining_fixture; "
        "from bot.insight.charts import both; "
        "a, b = both(remaining_fixture(), daily_fixture()); "
        "assert a.png[:4] == b.png[:4] == b'\\x89PNG'; "
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_nothing_to_draw_says_so():
    empty = remaining_chart(RemainingSeries([], forecast([]), 0.0))
    assert empty.png is None and "no credit checks" in empty.line
    none = daily_chart(DailyByGrid(daily_fixture().days, {}, "rows"))
    assert none.png is None and "no runs in the last 30 days" in none.line


def test_the_legend_never_hides_the_renewal_line():
    """The 90-day chart's legend sat over the renewal line when the plan renews soon (the
    line crossed its words); it goes where it covers nothing drawn."""
    image = picture(remaining_chart(remaining_fixture(), "en-GB").png)
    dark = [
        (x, y)
        for x in range(728, 741)
        for y in range(50, 115)  # below the frame, where the legend stood
        if sum(image.getpixel((x, y))) < 200  # the legend's black words
    ]
    assert dark == []
