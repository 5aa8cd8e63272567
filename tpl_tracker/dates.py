"""The programme's calendar: "today" is the date in Jakarta, whatever the server's timezone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Jakarta"


def _zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return ZoneInfo(name)


def programme_today() -> date:
    """Today's date in the programme's timezone (BABEL_DEFAULT_TIMEZONE, Asia/Jakarta), not the server's."""
    return datetime.now(_zone()).date()


def programme_date(moment: datetime) -> date:
    """The programme day of a stored (UTC) timestamp."""
    return moment.astimezone(_zone()).date()


def programme_time(moment: datetime) -> datetime:
    """A stored (UTC) timestamp in the programme's timezone."""
    return moment.astimezone(_zone())


def day_start(day: date) -> datetime:
    """The first moment of a programme day, in UTC (to compare with stored timestamps)."""
    return datetime.combine(day, time.min, tzinfo=_zone()).astimezone(UTC)
