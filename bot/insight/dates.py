"""Dates in the reader's Slack locale (babel's CLDR data): "Dec 12–16" in en-US, "12–16
Dec" in en-GB. Shared by the forecast's sentences and the charts' axes."""

from __future__ import annotations

import re
from datetime import date

from babel import Locale, UnknownLocaleError
from babel.dates import format_interval, format_skeleton

DEFAULT_LOCALE = "en-US"


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
