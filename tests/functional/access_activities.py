"""Access rows of the activities and permits routes, joined into the table of test_access.py (same row format)."""

from .access_common import ADMIN_ONLY, ALL_200, LOGIN, ROLES  # noqa: F401

# Only the TPL writes their own work: every other role is refused by role (403), another TPL's record is 404.
TPL_ONLY = {"anonymous": LOGIN, "facilitator": 200, "supervisor": 403, "evaluator": 403, "admin": 403}
TPL_POST = {"anonymous": LOGIN, "facilitator": 302, "supervisor": 403, "evaluator": 403, "admin": 403}
OTHER_TPL_WRITE = {"anonymous": LOGIN, "facilitator": 404, "supervisor": 403, "evaluator": 403, "admin": 403}
OTHER_TPL_READ = {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 200, "admin": 200}

TABLE = [
    ("activities.index", "GET", {}, None, ALL_200),
    ("activities.create", "GET", {}, None, TPL_ONLY),
    ("activities.create", "POST", {}, {}, TPL_ONLY),
    ("activities.detail", "GET", {"activity_id": "activity"}, None, ALL_200),
    ("activities.detail", "GET", {"activity_id": "activity2"}, None, OTHER_TPL_READ),
    ("activities.edit", "GET", {"activity_id": "activity"}, None, TPL_ONLY),
    ("activities.edit", "GET", {"activity_id": "activity2"}, None, OTHER_TPL_WRITE),
    ("activities.edit", "POST", {"activity_id": "activity"}, {}, TPL_ONLY),
    ("activities.edit", "POST", {"activity_id": "activity2"}, {}, OTHER_TPL_WRITE),
    ("activities.delete", "POST", {"activity_id": "activity"}, {}, TPL_POST),
    ("activities.delete", "POST", {"activity_id": "activity2"}, {}, OTHER_TPL_WRITE),
    ("activities.evidence_add", "POST", {"activity_id": "activity"}, {}, TPL_POST),
    ("activities.evidence_add", "POST", {"activity_id": "activity2"}, {}, OTHER_TPL_WRITE),
    ("activities.evidence_delete", "POST", {"evidence_id": "evidence"}, {}, TPL_POST),
    ("activities.evidence_delete", "POST", {"evidence_id": "evidence2"}, {}, OTHER_TPL_WRITE),
    ("activities.evidence_file", "GET", {"evidence_id": "evidence"}, None, ALL_200),
    ("activities.evidence_file", "GET", {"evidence_id": "evidence2"}, None, OTHER_TPL_READ),
    # The thumbnail of an evidence photo: exactly as protected as the file.
    ("activities.evidence_thumbnail", "GET", {"evidence_id": "evidence"}, None, ALL_200),
    ("activities.evidence_thumbnail", "GET", {"evidence_id": "evidence2"}, None, OTHER_TPL_READ),
    ("permits.index", "GET", {}, None, ALL_200),
    ("permits.create", "GET", {}, None, TPL_ONLY),
    ("permits.create", "GET", {"business_id": "business"}, None, TPL_ONLY),
    ("permits.create", "GET", {"business_id": "business2"}, None, OTHER_TPL_WRITE),
    ("permits.create", "POST", {}, {}, TPL_ONLY),
    ("permits.detail", "GET", {"permit_id": "permit"}, None, ALL_200),
    ("permits.detail", "GET", {"permit_id": "permit2"}, None, OTHER_TPL_READ),
    ("permits.edit", "GET", {"permit_id": "permit"}, None, TPL_ONLY),
    ("permits.edit", "GET", {"permit_id": "permit2"}, None, OTHER_TPL_WRITE),
    ("permits.edit", "POST", {"permit_id": "permit"}, {}, TPL_POST),
    ("permits.edit", "POST", {"permit_id": "permit2"}, {}, OTHER_TPL_WRITE),
    ("permits.delete", "POST", {"permit_id": "permit"}, {}, TPL_POST),
    ("permits.delete", "POST", {"permit_id": "permit2"}, {}, OTHER_TPL_WRITE),
]

WRITES = [
    ("activities.create", {}, {"facilitator"}),
    ("activities.edit", {"activity_id": "activity"}, {"facilitator"}),
    ("activities.delete", {"activity_id": "activity"}, {"facilitator"}),
    ("activities.evidence_add", {"activity_id": "activity"}, {"facilitator"}),
    ("activities.evidence_delete", {"evidence_id": "evidence"}, {"facilitator"}),
    ("permits.create", {}, {"facilitator"}),
    ("permits.edit", {"permit_id": "permit"}, {"facilitator"}),
    ("permits.delete", {"permit_id": "permit"}, {"facilitator"}),
]
