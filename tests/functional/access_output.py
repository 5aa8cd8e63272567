"""Access rows of the mentorship output report, joined into the table of test_access.py (same row format)."""

from .access_common import LOGIN

READERS = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 200, "admin": 200}

TABLE = [
    ("reports.output", "GET", {}, None, READERS),
    # Without filters: the current year to date, by province (the download is audited, then streamed).
    ("reports.output_download", "GET", {"fmt": "csv"}, None, READERS),
    ("reports.output_download", "GET", {"fmt": "xlsx"}, None, READERS),
]

WRITES = []
