"""All models, re-exported so `from tpl_tracker.models import X` works."""

from .activity import PERMIT_OPEN_STATUSES, Activity, Evidence, PermitFacilitation, activity_businesses
from .base import utcnow
from .business import Assessment, Business, Mentorship, MentorshipRequest
from .codes import (
    ActivityType,
    AssessmentKind,
    CodeEnum,
    ContractStatus,
    EvidenceType,
    Gender,
    Grouping,
    JobOutcome,
    MarketReach,
    MonthAction,
    MonthStatus,
    PermitStatus,
    PermitType,
    RequestStatus,
    ReviewItemType,
    Role,
    SizeClass,
    SurveyStatus,
    Verification,
)
from .facilitator import POLYTECHNICS, Contract, Facilitator
from .outcome import OutcomeSurvey
from .region import Region
from .review import LOCKED_STATUSES, MonthlyReport, MonthlyReportEvent, ReviewComment, Target
from .system import AuditEntry, JobLock, JobRun, MetricSnapshot, Notification
from .user import SignInThrottle, SupervisorRegion, User, new_session_token

__all__ = [
    "LOCKED_STATUSES",
    "PERMIT_OPEN_STATUSES",
    "POLYTECHNICS",
    "Activity",
    "ActivityType",
    "Assessment",
    "AssessmentKind",
    "AuditEntry",
    "Business",
    "CodeEnum",
    "Contract",
    "ContractStatus",
    "Evidence",
    "EvidenceType",
    "Facilitator",
    "Gender",
    "Grouping",
    "JobLock",
    "JobOutcome",
    "JobRun",
    "MarketReach",
    "Mentorship",
    "MentorshipRequest",
    "MetricSnapshot",
    "MonthAction",
    "MonthStatus",
    "MonthlyReport",
    "MonthlyReportEvent",
    "Notification",
    "OutcomeSurvey",
    "PermitFacilitation",
    "PermitStatus",
    "PermitType",
    "Region",
    "RequestStatus",
    "ReviewComment",
    "ReviewItemType",
    "Role",
    "SizeClass",
    "SignInThrottle",
    "SupervisorRegion",
    "SurveyStatus",
    "Target",
    "User",
    "Verification",
    "activity_businesses",
    "new_session_token",
    "utcnow",
]
