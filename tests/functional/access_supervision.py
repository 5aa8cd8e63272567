"""Access rows of the supervision routes, joined into the table of test_access.py (same row format)."""

from ..clock import YEAR
from .access_common import ADMIN_ONLY, ALL_200, LOGIN, ROLES  # noqa: F401

READERS = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 200, "admin": 200}
READERS_IN_SCOPE = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 404, "evaluator": 200, "admin": 200}
SUPERVISOR_ONLY = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 403, "admin": 403}
SUPERVISOR_OUT_OF_SCOPE = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 404, "evaluator": 403, "admin": 403}

TARGETS = {"year": str(YEAR), "visits_per_month": "8", "businesses": "10", "permits_per_year": "12"}

TABLE = [
    ("supervision.roster", "GET", {}, None, READERS),
    ("supervision.facilitator_work", "GET", {"facilitator_id": "tpl"}, None, READERS),
    ("supervision.facilitator_work", "GET", {"facilitator_id": "tpl2"}, None, READERS_IN_SCOPE),
    ("supervision.targets", "GET", {"facilitator_id": "tpl"}, None, SUPERVISOR_ONLY),
    ("supervision.targets", "GET", {"facilitator_id": "tpl2"}, None, SUPERVISOR_OUT_OF_SCOPE),
    (
        "supervision.targets",
        "POST",
        {"facilitator_id": "tpl"},
        TARGETS,
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 302, "evaluator": 403, "admin": 403},
    ),
    ("supervision.targets", "POST", {"facilitator_id": "tpl2"}, TARGETS, SUPERVISOR_OUT_OF_SCOPE),
    ("supervision.handover", "GET", {"facilitator_id": "tpl"}, None, SUPERVISOR_ONLY),
    ("supervision.handover", "GET", {"facilitator_id": "tpl2"}, None, SUPERVISOR_OUT_OF_SCOPE),
    # tpl2 is outside the supervisor's scope: the handover form answers with the refusal (200, nothing written).
    (
        "supervision.handover",
        "POST",
        {"facilitator_id": "tpl"},
        {"mentorship_ids": "mentorship", "reason": "x"},
        SUPERVISOR_ONLY,
    ),
    ("supervision.handover", "POST", {"facilitator_id": "tpl2"}, {"reason": "x"}, SUPERVISOR_OUT_OF_SCOPE),
]

WRITES = [
    ("supervision.targets", {"facilitator_id": "tpl"}, {"supervisor"}),
    ("supervision.handover", {"facilitator_id": "tpl"}, {"supervisor"}),
]
