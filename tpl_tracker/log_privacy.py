"""Logs without personal data: what a database error says about the rows it refused is cut from its traceback.

The engine hides statement parameters (`hide_parameters`), but PostgreSQL's own message repeats the values in
its DETAIL ("Failing row contains (..., 8271014101800007, 0812-...)", "Key (nik)=(...) already exists"); this
filter drops those lines from every logged traceback of the app's logger.
"""

import logging
import re
import traceback

DETAIL_LINE = re.compile(r"^\s*DETAIL:.*$", re.MULTILINE)


class NoRowDetails(logging.Filter):
    """Format the traceback of a record now, without the database's DETAIL lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = DETAIL_LINE.sub("  DETAIL: (row values withheld from the log)", text)
        return True


def init_app(app) -> None:
    """Install the filter on the app's logger (requests, jobs and commands all log through it)."""
    app.logger.addFilter(NoRowDetails())
