"""Access rows of the outcome dashboard's routes, joined into the table of test_access.py (same row format)."""

from ..clock import iso
from .access_common import LOGIN

EVALUATOR_AND_ADMIN_POST = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 403, "evaluator": 302, "admin": 302}

TABLE = [
    # Queue the computation of a date's figures: evaluators and admins, back to the dashboard (302).
    ("reports.wub_compute", "POST", {}, {"as_of": iso(6, 30)}, EVALUATOR_AND_ADMIN_POST),
]

WRITES = [
    ("reports.wub_compute", {}, {"evaluator", "admin"}),
]
