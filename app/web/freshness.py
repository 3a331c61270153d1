"""How long ago a record was verified, as people read it: "7 months ago" in the reader's
language (CLDR, through Babel), and the bands of the /currency page."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from babel.dates import format_timedelta

# The /currency bands, by months since verification; "never" for no verified_on.
BANDS = ("under_6", "6_to_12", "12_to_24", "over_24", "never")


def as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when it is
    shorter: 31 March - 1 month = 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def verified_ago(verified_on: date | str | None, today: date, lang: str,
                 today_word: str) -> str | None:
    """"7 months ago" in ``lang``; ``today_word`` for today (or a day still to come);
    None without a date."""
    day = as_date(verified_on)
    if day is None:
        return None
    if day >= today:
        return today_word
    return format_timedelta(timedelta(days=(day - today).days), granularity="day",
                            add_direction=True, locale=lang)


def band(verified_on: date | str | None, today: date) -> str:
    day = as_date(verified_on)
    if day is None:
        return "never"
    if day > months_before(today, 6):
        return "under_6"
    if day > months_before(today, 12):
        return "6_to_12"
    if day > months_before(today, 24):
        return "12_to_24"
    return "over_24"
