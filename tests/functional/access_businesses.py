"""Access rows of the businesses routes, joined into the table of test_access.py (same row format)."""

from ..clock import TODAY
from .access_common import ADMIN_ONLY, ALL_200, LOGIN, ROLES  # noqa: F401

TPL_ONLY = {"anonymous": LOGIN, "facilitator": 200, "supervisor": 403, "evaluator": 403, "admin": 403}
TPL_WRITE = {"anonymous": LOGIN, "facilitator": 302, "supervisor": 403, "evaluator": 403, "admin": 403}
TPL_404 = {"anonymous": LOGIN, "facilitator": 404, "supervisor": 403, "evaluator": 403, "admin": 403}
OTHER_TPL_RECORD = {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 200, "admin": 200}
SUPERVISOR_ONLY = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 403, "admin": 403}
NO_REQUEST = 999999  # no such request: the supervisor gets 404, the other roles are refused before looking

TABLE = [
    ("businesses.index", "GET", {}, None, ALL_200),
    ("businesses.region_children", "GET", {"code": "82.71"}, None, ALL_200),
    ("businesses.create", "GET", {}, None, TPL_ONLY),
    ("businesses.create", "POST", {}, {}, TPL_ONLY),
    ("businesses.detail", "GET", {"business_id": "business"}, None, ALL_200),
    ("businesses.detail", "GET", {"business_id": "business2"}, None, OTHER_TPL_RECORD),
    ("businesses.history", "GET", {"business_id": "business"}, None, ALL_200),
    ("businesses.history", "GET", {"business_id": "business2"}, None, OTHER_TPL_RECORD),
    ("businesses.edit", "GET", {"business_id": "business"}, None, TPL_ONLY),
    ("businesses.edit", "GET", {"business_id": "business2"}, None, TPL_404),
    ("businesses.edit", "POST", {"business_id": "business"}, {}, TPL_ONLY),
    ("businesses.edit", "POST", {"business_id": "business2"}, {}, TPL_404),
    ("businesses.stop_mentoring", "GET", {"business_id": "business"}, None, TPL_ONLY),
    ("businesses.stop_mentoring", "GET", {"business_id": "business2"}, None, TPL_404),
    (
        "businesses.stop_mentoring",
        "POST",
        {"business_id": "business"},
        {"end_date": TODAY.isoformat(), "reason": "Usaha berhenti produksi"},
        TPL_WRITE,
    ),
    ("businesses.stop_mentoring", "POST", {"business_id": "business2"}, {}, TPL_404),
    # Out of the TPL's scope and not found by their own duplicate check: not found.
    ("businesses.request_mentoring", "POST", {"business_id": "business2"}, {"reason": "Dekat wilayah saya"}, TPL_404),
    # Already mentored by the TPL: the request page explains it, nothing is written.
    ("businesses.request_mentoring", "POST", {"business_id": "business"}, {}, TPL_ONLY),
    ("businesses.requests", "GET", {}, None, SUPERVISOR_ONLY),
    (
        "businesses.decide_request",
        "POST",
        {"request_id": NO_REQUEST},
        {"decision": "approve"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 404, "evaluator": 403, "admin": 403},
    ),
    ("businesses.assessment_create", "GET", {"business_id": "business"}, None, TPL_ONLY),
    ("businesses.assessment_create", "GET", {"business_id": "business2"}, None, TPL_404),
    ("businesses.assessment_create", "POST", {"business_id": "business"}, {}, TPL_ONLY),
    ("businesses.assessment_create", "POST", {"business_id": "business2"}, {}, TPL_404),
    ("businesses.assessment_edit", "GET", {"assessment_id": "assessment"}, None, TPL_ONLY),
    ("businesses.assessment_edit", "GET", {"assessment_id": "assessment2"}, None, TPL_404),
    # An empty body leaves the form on the assessment's own values: they are saved again, unchanged.
    ("businesses.assessment_edit", "POST", {"assessment_id": "assessment"}, {}, TPL_WRITE),
    ("businesses.assessment_edit", "POST", {"assessment_id": "assessment2"}, {}, TPL_404),
    ("businesses.assessment_delete", "POST", {"assessment_id": "assessment"}, {}, TPL_WRITE),
    ("businesses.assessment_delete", "POST", {"assessment_id": "assessment2"}, {}, TPL_404),
]

WRITES = [
    ("businesses.create", {}, {"facilitator"}),
    ("businesses.edit", {"business_id": "business"}, {"facilitator"}),
    ("businesses.stop_mentoring", {"business_id": "business"}, {"facilitator"}),
    ("businesses.request_mentoring", {"business_id": "business2"}, {"facilitator"}),
    ("businesses.decide_request", {"request_id": NO_REQUEST}, {"supervisor"}),
    ("businesses.assessment_create", {"business_id": "business"}, {"facilitator"}),
    ("businesses.assessment_edit", {"assessment_id": "assessment"}, {"facilitator"}),
    ("businesses.assessment_delete", {"assessment_id": "assessment"}, {"facilitator"}),
]
