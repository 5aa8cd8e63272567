"""All models, re-exported so `from tpl_tracker.models import X` works."""
from .activity import (
    ACTIVITY_TYPES,
    PERMIT_STATUSES,
    PERMIT_TYPES,
    Activity,
    PermitFacilitation,
    activity_businesses,
)
from .base import utcnow
from .business import ASSESSMENT_KINDS, MARKET_REACHES, SIZE_CLASSES, Assessment, Business, Mentorship
from .facilitator import CONTRACT_STATUSES, GENDERS, POLYTECHNICS, Contract, Facilitator
from .outcome import OUTCOME_STATUSES, VERIFICATIONS, OutcomeSurvey
from .region import Region
from .system import GROUPINGS, AuditEntry, JobLock, JobRun, MetricSnapshot, Notification
from .user import ROLE_VALUES, Role, SupervisorRegion, User, new_session_token

__all__ = [
    "ACTIVITY_TYPES", "ASSESSMENT_KINDS", "CONTRACT_STATUSES", "GENDERS", "GROUPINGS", "MARKET_REACHES",
    "OUTCOME_STATUSES", "PERMIT_STATUSES", "PERMIT_TYPES", "POLYTECHNICS", "ROLE_VALUES", "SIZE_CLASSES",
    "VERIFICATIONS", "Activity", "Assessment", "AuditEntry", "Business", "Contract", "Facilitator", "JobLock", "JobRun",
    "Mentorship", "MetricSnapshot", "Notification", "OutcomeSurvey", "PermitFacilitation", "Region", "Role",
    "SupervisorRegion", "User", "activity_businesses", "new_session_token", "utcnow",
]
