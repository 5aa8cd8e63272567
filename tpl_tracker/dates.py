"""The programme's calendar: "today" is the date in Jakarta, whatever the server's timezone."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Jakarta"


def programme_today() -> date:
    """Today's date in the programme's timezone (BABEL_DEFAULT_TIMEZONE, Asia/Jakarta), not the server's."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return datetime.now(ZoneInfo(name)).date()
