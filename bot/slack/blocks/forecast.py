"""The forecast in words, the same sentences everywhere it shows (`/bitscale credits`, the
App Home, the credit alerts, the weekly digest). Dates are written in the reader's Slack
locale (babel's CLDR data), "Dec 12–16" in en-US, "12–16 Dec" in en-GB."""

from __future__ import annotations

import re
from datetime import date

from babel import Locale, UnknownLocaleError
from babel.dates import format_interval, format_skeleton

from bot.insight.forecast import IDLE, MIN_DAYS, NOISY, SHORT, Forecast

DEFAULT_LOCALE = "en-US"
NOT_ENOUGH = "not enough history yet"


def babel_locale(locale: str | None) -> Locale:
    """Slack's `en-US` as babel's locale; anything unknown reads as en-US."""
    try:
        return Locale.parse((locale or DEFAULT_LOCALE).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en_US")


def local_date(day: date, locale: str | None = None) -> str:
    return format_skeleton("MMMd", day, locale=babel_locale(locale))


def date_range(first: date, last: date, locale: str | None = None) -> str:
    if first == last:
        return local_date(first, locale)
    text = format_interval(first, last, "MMMd", locale=babel_locale(locale))
    # CLDR puts thin spaces around the dash; "Dec 12–16" within a month, spaced across.
    dash = "–" if (first.year, first.month) == (last.year, last.month) else " – "
    return re.sub(r"\s*[–~～-]\s*", dash, text, count=1) if "–" in text else text


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
