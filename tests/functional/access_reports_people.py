"""Access rows of the WUB drill-down (reports.wub_people), joined into the table of test_access.py (same row format)."""

from .access_common import LOGIN

READERS = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 200, "admin": 200}
BAD_INPUT = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 400, "evaluator": 400, "admin": 400}
SENT_BACK = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 302, "evaluator": 302, "admin": 302}
NO_SUCH_FORMAT = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 404, "evaluator": 404, "admin": 404}

TABLE = [
    ("reports.wub_people", "GET", {}, None, READERS),
    # A group outside a supervisor's scope lists nobody of others (200, empty).
    ("reports.wub_people", "GET", {"group_by": "province", "key": "73", "figure": "wub"}, None, READERS),
    ("reports.wub_people", "GET", {"figure": "rate"}, None, BAD_INPUT),
    ("reports.wub_people_download", "GET", {"fmt": "csv"}, None, READERS),
    ("reports.wub_people_download", "GET", {"fmt": "xlsx", "group_by": "angkatan", "key": "2022"}, None, READERS),
    ("reports.wub_people_download", "GET", {"fmt": "json"}, None, NO_SUCH_FORMAT),
    ("reports.wub_people_download", "GET", {"fmt": "csv", "as_of": "kemarin"}, None, SENT_BACK),
]
