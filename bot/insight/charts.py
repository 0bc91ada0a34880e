"""The two charts, drawn headless as PNGs with matplotlib (Agg), each with the sentence that
says the same thing (for screen readers and notifications):
- credits left over the last 90 days, the forecast line to the run-out day and the
  renewal day marked;
- credits a day by grid over the last 30 days, stacked.

The pictures are drawn in a child process (drawing.py, draw.py), where matplotlib is loaded, so
the bot never loads it (bench/charts.py measures what that saves). Colours are the Okabe–Ito
palette, chosen to stay apart for colour-blind readers; axes are labelled and dates are in
the reader's locale.
Drawing never raises: a failure leaves the chart without its picture, the sentence stays.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from bot.insight.chart_data import DailyByGrid, RemainingSeries
from bot.insight.dates import date_range, local_date
from bot.insight.drawing import in_child
from bot.insight.forecast import OK, spend_until

log = logging.getLogger(__name__)

# Okabe & Ito, "Color Universal Design" (2008): distinct under the common colour-vision
# deficiencies. Black is kept for the line of credits left, grey for "other grids".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
}
GRID_COLOURS = [
    OKABE_ITO[n]
    for n in (
        "blue",
        "orange",
        "bluish green",
        "vermillion",
        "sky blue",
        "reddish purple",
        "yellow",
    )
]
OTHER_COLOUR = "#999999"
SIZE = (8.0, 4.0)  # inches, at DPI: 800 × 400 pixels
DPI = 100

_lock = threading.Lock()  # pyplot-free, but font caches are shared: one drawing at a time


@dataclass(frozen=True)
class Chart:
    name: str  # a file name: "credits-left-90-days.png"
    title: str
    line: str  # the same in one sentence
    png: bytes | None  # None when drawing failed: show the line alone


def _figure():
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=SIZE, dpi=DPI)


def _date_axis(ax, locale: str | None) -> None:
    from matplotlib import dates as mdates
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=8))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _: local_date(mdates.num2date(x).date(), locale))
    )


def _layout(fig) -> None:
    # Fixed margins: tight_layout measures every label first and doubles the drawing time.
    fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.14)


def _png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _when(t: float) -> datetime:
    return datetime.fromtimestamp(t, timezone.utc)


def remaining_line(series: RemainingSeries, locale: str | None = None) -> str:
    if not series.points:
        return "Credits left: no credit checks in the last 90 days yet."
    first, last = series.points[0][1], series.points[-1][1]
    f = series.forecast
    line = f"Credits left: {last:,} now, from {first:,} at the start of the last 90 days"
    if f.status == OK and f.run_out is not None:
        when = date_range(f.run_out_early or f.run_out, f.run_out_late or f.run_out, locale)
        line += f"; at this pace they run out {when}"
    elif f.status != OK:
        line += "; not enough history yet for a forecast"
    if f.renews is not None:
        line += f"; the plan renews {local_date(f.renews, locale)}"
    return line + "."


REMAINING, DAILY = "remaining", "daily"


def remaining_chart(series: RemainingSeries, locale: str | None = None) -> Chart:
    return both(series, None, locale)[0]


def both(
    series: RemainingSeries | None, daily: DailyByGrid | None, locale: str | None = None
) -> list[Chart]:
    """The charts asked for (credits left, then by grid), drawn by one child process."""
    asked: list[tuple[str, Chart]] = []
    if series is not None:
        asked.append(
            (
                REMAINING,
                Chart(
                    "credits-left-90-days.png",
                    "Credits left, last 90 days",
                    remaining_line(series, locale),
                    None,
                ),
            )
        )
    if daily is not None:
        asked.append(
            (
                DAILY,
                Chart(
                    "credits-by-grid-30-days.png",
                    "Credits a day by grid, last 30 days",
                    daily_line(daily, locale),
                    None,
                ),
            )
        )
    data = {REMAINING: series, DAILY: daily}
    # Nothing to draw needs no child: the sentence says so.
    wanted = [(k, c) for k, c in asked if _has_data(k, data[k])]
    drawn = in_child([(k, data[k], locale) for k, _ in wanted])
    pngs = dict(zip([k for k, _ in wanted], drawn, strict=True))
    return [replace(c, png=pngs.get(k)) for k, c in asked]


def _has_data(kind: str, data) -> bool:
    return bool(data.points) if kind == REMAINING else bool(data.by_grid)


def render(kind: str, data, locale: str | None) -> bytes | None:
    """The PNG of one chart, drawn here (in the drawing process); None when it failed."""
    if kind == REMAINING:
        return _draw(lambda: _remaining_png(data, locale), "credits left")
    return _draw(lambda: _daily_png(data, locale), "credits by grid")


def _remaining_png(series: RemainingSeries, locale: str | None) -> bytes | None:
    if not series.points:
        return None
    with _lock:
        fig = _figure()
        ax = fig.add_subplot()
        xs = [_when(t) for t, _ in series.points]
        ys = [v for _, v in series.points]
        ax.step(xs, ys, where="post", color=OKABE_ITO["black"], linewidth=2, label="Credits left")
        f = series.forecast
        if f.status == OK and f.rates is not None and f.as_of is not None:
            end = f.run_out or (f.renews if f.renews else None)
            if end is not None:
                end_t = datetime(end.year, end.month, end.day, tzinfo=timezone.utc) + timedelta(1)
                left = max(0.0, f.remaining - spend_until(f.rates, f.as_of, end_t.timestamp()))
                ax.plot(
                    [_when(f.as_of), end_t],
                    [f.remaining, left],
                    linestyle="--",
                    color=OKABE_ITO["vermillion"],
                    linewidth=2,
                    label="Forecast",
                )
        if f.renews is not None:
            ax.axvline(
                datetime(f.renews.year, f.renews.month, f.renews.day, tzinfo=timezone.utc),
                color=OKABE_ITO["blue"],
                linestyle=":",
                linewidth=2,
                label="Plan renews",
            )
        ax.set_title("Credits left, last 90 days")
        ax.set_xlabel("Date (UTC)")
        ax.set_ylabel("Credits left")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(_thousands())
        _date_axis(ax, locale)
        ax.grid(axis="y", color="#DDDDDD")
        ax.legend(loc="best", frameon=False)  # where it covers nothing drawn
        _layout(fig)
        return _png(fig)


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda y, _: f"{y:,.0f}")


def daily_line(data: DailyByGrid, locale: str | None = None) -> str:
    totals = sorted(((sum(v), g) for g, v in data.by_grid.items()), reverse=True)
    if not totals or totals[0][0] == 0:
        return "Credits a day by grid: no runs in the last 30 days."
    unit = "credits (estimated)" if data.unit == "credits" else "rows"
    top = ", ".join(f"{g} {round(t):,}" for t, g in totals[:3])
    span = date_range(data.days[0], data.days[-1], locale)
    total = round(sum(t for t, _ in totals))
    return f"{unit.capitalize()} a day by grid, {span}: {total:,} in all; most on {top}."


def daily_chart(data: DailyByGrid, locale: str | None = None) -> Chart:
    return both(None, data, locale)[0]


def _daily_png(data: DailyByGrid, locale: str | None) -> bytes | None:
    if not data.by_grid:
        return None
    with _lock:
        fig = _figure()
        ax = fig.add_subplot()
        xs = [datetime(d.year, d.month, d.day, tzinfo=timezone.utc) for d in data.days]
        bottom = [0.0] * len(xs)
        for i, (grid, values) in enumerate(data.by_grid.items()):
            colour = OTHER_COLOUR if i >= len(GRID_COLOURS) else GRID_COLOURS[i]
            ax.bar(
                xs,
                values,
                bottom=bottom,
                width=0.8,
                color=colour,
                label=grid[:40],
                edgecolor="white",
                linewidth=0.5,
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_title("Credits a day by grid, last 30 days")
        ax.set_xlabel("Day (UTC)")
        ax.set_ylabel("Credits (estimated)" if data.unit == "credits" else "Rows run")
        ax.yaxis.set_major_formatter(_thousands())
        _date_axis(ax, locale)
        ax.grid(axis="y", color="#DDDDDD")
        ax.set_axisbelow(True)
        top = max(bottom) if bottom else 0
        ax.set_ylim(0, max(1.0, top) * 1.25)  # headroom for the legend above the bars
        ax.legend(loc="upper left", frameon=False, fontsize="small", ncol=4)
        _layout(fig)
        return _png(fig)


def _draw(render, what: str) -> bytes | None:
    try:
        return render()
    except Exception:  # noqa: BLE001 - the sentence is shown without its picture
        log.exception("the %s chart could not be drawn", what)
        return None
