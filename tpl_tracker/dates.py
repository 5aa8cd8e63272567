"""The programme's calendar: "today" is the date in Jakarta, whatever the server's timezone."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Jakarta"

# The moment being replayed, if any: only the demo seeder sets it (`replaying`), to write its history through the
# services at the dates it happened. None everywhere else: the clock is the real one.
_replayed_moment: ContextVar[datetime | None] = ContextVar("replayed_moment", default=None)


def _zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return ZoneInfo(name)


@contextmanager
def replaying(moment: datetime) -> Iterator[None]:
    """Within the block, `now_utc()`, `utcnow()` and `programme_today()` answer the given past moment (demo seeding)."""
    if moment.tzinfo is None:
        raise ValueError("replaying needs a timezone-aware moment")
    token = _replayed_moment.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _replayed_moment.reset(token)


def replayed_moment() -> datetime | None:
    """The moment `replaying` is replaying, or None when the clock is the real one."""
    return _replayed_moment.get()


def now_utc() -> datetime:
    """The current moment as a timezone-aware UTC datetime (the replayed one inside `replaying`)."""
    moment = _replayed_moment.get()
    return moment if moment is not None else datetime.now(UTC)


def programme_zone() -> ZoneInfo:
    """The programme's timezone (BABEL_DEFAULT_TIMEZONE, Asia/Jakarta: WIB)."""
    return _zone()


def programme_today() -> date:
    """Today's date in the programme's timezone (BABEL_DEFAULT_TIMEZONE, Asia/Jakarta), not the server's."""
    return now_utc().astimezone(_zone()).date()


def programme_date(moment: datetime) -> date:
    """The programme day of a stored (UTC) timestamp."""
    return moment.astimezone(_zone()).date()


def programme_time(moment: datetime) -> datetime:
    """A stored (UTC) timestamp in the programme's timezone."""
    return moment.astimezone(_zone())


def day_start(day: date) -> datetime:
    """The first moment of a programme day, in UTC (to compare with stored timestamps)."""
    return datetime.combine(day, time.min, tzinfo=_zone()).astimezone(UTC)
