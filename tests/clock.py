"""The tests' clock: frozen at one moment of the tests' year, moved whole years ahead by TEST_YEARS_AHEAD.

Every date a test or fixture uses is built from here (`on(3, 10)` is 10 March of the tests' year), never
from the real calendar, so the suite gives the same answers on any day; CI runs it once more with
TEST_YEARS_AHEAD=2 so that a date written as a literal cannot hide.
"""

import os
from datetime import UTC, date, datetime, timedelta

BASE_YEAR = 2026
YEARS_AHEAD = int(os.environ.get("TEST_YEARS_AHEAD", "0") or 0)
YEAR = BASE_YEAR + YEARS_AHEAD
# 10:00 in Jakarta on 2 December: the month of December is open, the contract year ends in four weeks.
NOW = datetime(YEAR, 12, 2, 3, 0, tzinfo=UTC)
TODAY = date(YEAR, 12, 2)
YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)


def on(month: int, day: int, years: int = 0) -> date:
    """A date of the tests' year (`years` before or after it when given)."""
    return date(YEAR + years, month, day)


def moment(month: int, day: int, hour: int = 3, minute: int = 0, years: int = 0) -> datetime:
    """A UTC moment of the tests' year (03:00 UTC is 10:00 in Jakarta)."""
    return datetime(YEAR + years, month, day, hour, minute, tzinfo=UTC)


def dmy(month: int, day: int, years: int = 0) -> str:
    """A date of the tests' year as the forms take it: DD/MM/YYYY."""
    return on(month, day, years).strftime("%d/%m/%Y")


def iso(month: int, day: int, years: int = 0) -> str:
    """A date of the tests' year as ISO text: YYYY-MM-DD."""
    return on(month, day, years).isoformat()


def period(month: int, years: int = 0) -> str:
    """A month of the tests' year as the URLs and filters take it: YYYY-MM."""
    return f"{YEAR + years}-{month:02d}"
