"""Access rows of the reviews routes, joined into the table of test_access.py (same row format)."""

from ..clock import YEAR, period
from .access_common import ADMIN_ONLY, ALL_200, LOGIN, ROLES  # noqa: F401

SUPERVISOR_ONLY = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 403, "admin": 403}
# Another province's TPL: their own TPL and other supervisors get 404, readers of the whole country see it.
OTHER_PROVINCE = {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 200, "admin": 200}

TABLE = [
    ("reviews.index", "GET", {}, None, ALL_200),
    ("reviews.queue", "GET", {}, None, SUPERVISOR_ONLY),
    ("reviews.month", "GET", {"facilitator_id": "tpl", "period": period(3)}, None, ALL_200),
    ("reviews.month", "GET", {"facilitator_id": "tpl2", "period": period(3)}, None, OTHER_PROVINCE),
    # Not a month, or a month outside every contract period.
    (
        "reviews.month",
        "GET",
        {"facilitator_id": "tpl", "period": f"{YEAR}-13"},
        None,
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 404, "admin": 404},
    ),
    (
        "reviews.month",
        "GET",
        {"facilitator_id": "tpl", "period": period(12, years=-1)},
        None,
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 404, "admin": 404},
    ),
    ("reviews.detail", "GET", {"report_id": "month"}, None, dict.fromkeys(ROLES, 302)),
    (
        "reviews.detail",
        "GET",
        {"report_id": "month2"},
        None,
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 302, "admin": 302},
    ),
    # The TPL submits their own March (a past month of the contract): back to the month page.
    (
        "reviews.submit",
        "POST",
        {"facilitator_id": "tpl", "period": period(3)},
        {"note": "Lengkap"},
        {"anonymous": LOGIN, "facilitator": 302, "supervisor": 403, "evaluator": 403, "admin": 403},
    ),
    (
        "reviews.submit",
        "POST",
        {"facilitator_id": "tpl2", "period": period(3)},
        {"note": "Lengkap"},
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 403, "evaluator": 403, "admin": 403},
    ),
    # The world's month is a draft: a supervisor's decision is refused on the page (200, nothing written).
    (
        "reviews.review",
        "POST",
        {"report_id": "month"},
        {"decision": "approve"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 403, "admin": 403},
    ),
    (
        "reviews.review",
        "POST",
        {"report_id": "month2"},
        {"decision": "approve"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 404, "evaluator": 403, "admin": 403},
    ),
    (
        "reviews.reopen",
        "POST",
        {"report_id": "month"},
        {"reason": "Salah tanggal"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 403, "admin": 403},
    ),
    (
        "reviews.reopen",
        "POST",
        {"report_id": "month2"},
        {"reason": "Salah tanggal"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 404, "evaluator": 403, "admin": 403},
    ),
]

WRITES = [
    ("reviews.submit", {"facilitator_id": "tpl", "period": period(3)}, {"facilitator"}),
    ("reviews.review", {"report_id": "month"}, {"supervisor"}),
    ("reviews.reopen", {"report_id": "month"}, {"supervisor"}),
]
