"""Access rows of the list exports, joined into the table of test_access.py (same row format).

An export is open to whoever sees its list: the TPL list, the monthly report list and the survey list are not
a TPL's (their pages send a TPL to their own profile, months or surveys), so a TPL is refused their exports.
"""

from .access_common import ALL_200, LOGIN

NOT_TPL = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 200, "admin": 200}
CSV = {"fmt": "csv"}

TABLE = [
    ("facilitators.export", "POST", {}, CSV, NOT_TPL),
    ("facilitators.export_contracts", "POST", {}, CSV, NOT_TPL),
    ("businesses.export", "POST", {}, CSV, ALL_200),
    ("businesses.export_assessments", "POST", {}, CSV, ALL_200),
    ("activities.export", "POST", {}, CSV, ALL_200),
    ("permits.export", "POST", {}, CSV, ALL_200),
    ("reviews.export", "POST", {}, CSV, NOT_TPL),
    ("outcomes.export", "POST", {}, CSV, NOT_TPL),
]

# An export writes its audit entry: refused roles leave none.
WRITES = [
    ("facilitators.export", {}, {"supervisor", "evaluator", "admin"}),
    ("facilitators.export_contracts", {}, {"supervisor", "evaluator", "admin"}),
    ("reviews.export", {}, {"supervisor", "evaluator", "admin"}),
    ("outcomes.export", {}, {"supervisor", "evaluator", "admin"}),
]
