"""All models, re-exported so `from tpl_tracker.models import X` works."""

from .activity import (
    ACTIVITY_TYPES,
    EVIDENCE_TYPES,
    PERMIT_OPEN_STATUSES,
    PERMIT_STATUSES,
    PERMIT_TYPES,
    Activity,
    Evidence,
    PermitFacilitation,
    activity_businesses,
)
from .base import utcnow
from .business import (
    ASSESSMENT_KINDS,
    MARKET_REACHES,
    REQUEST_STATUSES,
    SIZE_CLASSES,
    Assessment,
    Business,
    Mentorship,
    MentorshipRequest,
)
from .facilitator import CONTRACT_STATUSES, GENDERS, POLYTECHNICS, Contract, Facilitator
from .outcome import OUTCOME_STATUSES, VERIFICATIONS, OutcomeSurvey
from .region import Region
from .review import (
    LOCKED_STATUSES,
    MONTH_ACTIONS,
    MONTH_STATUSES,
    REVIEW_ITEM_TYPES,
    MonthlyReport,
    MonthlyReportEvent,
    ReviewComment,
    Target,
)
from .system import GROUPINGS, AuditEntry, JobLock, JobRun, MetricSnapshot, Notification
from .user import ROLE_VALUES, Role, SupervisorRegion, User, new_session_token

__all__ = [
    "ACTIVITY_TYPES",
    "ASSESSMENT_KINDS",
    "CONTRACT_STATUSES",
    "EVIDENCE_TYPES",
    "GENDERS",
    "GROUPINGS",
    "LOCKED_STATUSES",
    "MARKET_REACHES",
    "MONTH_ACTIONS",
    "MONTH_STATUSES",
    "OUTCOME_STATUSES",
    "PERMIT_OPEN_STATUSES",
    "PERMIT_STATUSES",
    "PERMIT_TYPES",
    "POLYTECHNICS",
    "REQUEST_STATUSES",
    "REVIEW_ITEM_TYPES",
    "ROLE_VALUES",
    "SIZE_CLASSES",
    "VERIFICATIONS",
    "Activity",
    "Assessment",
    "AuditEntry",
    "Business",
    "Contract",
    "Evidence",
    "Facilitator",
    "JobLock",
    "JobRun",
    "Mentorship",
    "MentorshipRequest",
    "MetricSnapshot",
    "MonthlyReport",
    "MonthlyReportEvent",
    "Notification",
    "OutcomeSurvey",
    "PermitFacilitation",
    "Region",
    "ReviewComment",
    "Role",
    "SupervisorRegion",
    "Target",
    "User",
    "activity_businesses",
    "new_session_token",
    "utcnow",
]
