"""The forecast in words, the same sentences everywhere it shows (`/bitscale credits`, the
App Home, the credit alerts, the weekly digest), dates in the reader's locale (dates.py)."""

from __future__ import annotations

from bot.insight.dates import date_range, local_date
from bot.insight.forecast import IDLE, MIN_DAYS, NOISY, SHORT, Forecast

__all__ = ["date_range", "forecast_lines", "forecast_summary", "local_date"]

NOT_ENOUGH = "not enough history yet"


def _credits(amount: float) -> str:
    return f"{round(amount):,}"


def rate_words(f: Forecast) -> str:
    assert f.rates is not None
    if f.rates.split:
        return (
            f"{_credits(f.rates.weekday)} credits a working day, "
            f"{_credits(f.rates.weekend)} a weekend day"
        )
    return f"{_credits(f.rates.weekday)} credits a day"


def forecast_lines(f: Forecast, locale: str | None = None) -> list[str]:
    """One to three short mrkdwn lines: the pace, the run-out date, the renewal."""
    if f.status == SHORT:
        return [
            f"📈 *Forecast:* {NOT_ENOUGH} ({f.days} of {MIN_DAYS} days of credit checks so "
            "far); a date shows once there is a week of them."
        ]
    if f.status == NOISY:
        spread = f"±{round(100 * (f.relative_range or 0))}%"
        return [
            f"📈 *Forecast:* {NOT_ENOUGH}: spending has been too uneven to give a date "
            f"(the pace is only known to {spread})."
        ]
    renews = f" The plan renews *{local_date(f.renews, locale)}*." if f.renews else ""
    if f.status == IDLE:
        return [f"📈 *Forecast:* no credits spent in the last {f.days} days.{renews}"]
    lines = [f"📈 *Pace:* {rate_words(f)} (the last {f.days} days, the latest week counting most)."]
    if f.run_out is None:
        lines.append("At this pace the credits last beyond the next two years.")
    else:
        late = f.run_out_late or f.run_out
        when = date_range(f.run_out_early or f.run_out, late, locale)
        lines.append(f"At this pace the credits run out *{when}*.")
    if f.renews is not None and f.left_at_renewal is not None:
        if f.left_at_renewal >= 0:
            lines.append(
                f"The plan renews *{local_date(f.renews, locale)}*, with about "
                f"{_credits(f.left_at_renewal)} credits left by then."
            )
        else:
            assert f.run_out is not None
            short = (f.renews - f.run_out).days
            lines.append(
                f"⚠️ That is {short:,} day{'s' if short != 1 else ''} before the plan renews "
                f"(*{local_date(f.renews, locale)}*): about {_credits(-f.left_at_renewal)} "
                "credits short."
            )
    elif renews:
        lines.append(renews.strip())
    return lines


def forecast_summary(f: Forecast, locale: str | None = None) -> str:
    """One plain line for notifications and screen readers."""
    if f.status in (SHORT, NOISY):
        return f"Forecast: {NOT_ENOUGH}."
    if f.status == IDLE or f.run_out is None:
        return "Forecast: the credits do not run out at this pace."
    when = date_range(f.run_out_early or f.run_out, f.run_out_late or f.run_out, locale)
    return f"Forecast: credits run out {when}."
