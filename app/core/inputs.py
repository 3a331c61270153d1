"""What an input may hold: what the database stores and the code computes with.

- Text never holds NUL (U+0000): PostgreSQL ``text`` and ``jsonb`` refuse it.
- Integers stay within their column (``INTEGER``, ``BIGINT``).
- Moments and days lie between 1900 and 2200: a ``timestamptz`` written with an offset
  near year 1 or 9999 is stored but cannot be read back into Python, and local-time
  arithmetic near year 9999 overflows.

Every bound is a 422 with the field's pointer, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator

NUL = "\x00"
NUL_MESSAGE = "must not contain the NUL character (U+0000)"

INT32_MAX = 2**31 - 1  # PostgreSQL INTEGER
INT64_MAX = 2**63 - 1  # PostgreSQL BIGINT
# BIGINT ids (delivery ids) as accepted: what a JSON number holds exactly (a double; also
# JavaScript's safe integers), since the OpenAPI document writes bounds as doubles.
ID_MAX = 2**53 - 1

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
EARLIEST = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
LATEST = datetime.combine(LAST_DAY, datetime.max.time(), tzinfo=UTC)
MOMENT_RANGE = "between 1900-01-01T00:00:00Z and 2200-12-31T23:59:59Z"
DAY_RANGE = "between 1900-01-01 and 2200-12-31"


def refuse_nul(value: str) -> str:
    if NUL in value:
        raise ValueError(NUL_MESSAGE)
    return value


Text = Annotated[str, AfterValidator(refuse_nul)]
"""A string the database can hold: every request-body string field uses it."""


def nul_locations(value: Any, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Where NUL occurs in a decoded JSON document: string values, and object keys."""
    if isinstance(value, str):
        if NUL in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                yield (*loc, key)
            else:
                yield from nul_locations(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_locations(item, (*loc, index))


def as_utc(value: datetime) -> datetime:
    """Naive times are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def within_moments(value: datetime) -> datetime:
    if not EARLIEST <= as_utc(value) <= LATEST:
        raise ValueError(f"must be {MOMENT_RANGE}")
    return value


def within_days(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must be {DAY_RANGE}")
    return value


Moment = Annotated[datetime, AfterValidator(within_moments)]
"""A date-time between 1900 and 2200 (naive: UTC)."""

Day = Annotated[date, AfterValidator(within_days)]
"""A calendar date between 1900 and 2200."""
