"""Every list of stored codes, declared once: the values the database accepts and how the interface names them.

Each list is a `CodeEnum`: its members are the stored strings, in the order forms offer them, each with a
translated label. The CHECK constraint of the column, the form choices, the importer's vocabulary and the
labels on the pages all come from it (tests/unit/test_codes.py compares the enums with the migrated schema).
"""

import enum
import functools

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from .base import in_list


class CodeEnum(enum.StrEnum):
    """A list of stored codes; a member is its stored value, with an optional label (the value when none)."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self):
        """How the interface names this code (translated when shown)."""
        return self.value if self._label is None else self._label

    @classmethod
    def values(cls) -> list[str]:
        """The stored values, in declaration order."""
        return list(_stored_values(cls))

    @classmethod
    def label_of(cls, value: str | None):
        """The label of a stored value; an unknown value is shown as it is."""
        return cls(value).label if value in cls.values() else value

    @classmethod
    def choices(cls, blank=None) -> list[SelectChoice]:
        """The options of a select field, in declaration order; `blank` labels a leading empty option."""
        options = [SelectChoice(member.value, member.label) for member in cls]
        return [SelectChoice("", blank), *options] if blank is not None else options

    @classmethod
    def check_constraint(cls, column: str) -> sa.CheckConstraint:
        """The CHECK that `column` holds one of the codes; named after the column and tagged with this enum."""
        return sa.CheckConstraint(in_list(column, cls.values()), name=column, info={"codes": cls})


@functools.cache
def _stored_values(codes: type[CodeEnum]) -> tuple[str, ...]:
    """The stored values of a code list, listed once (the checkers ask for them on every row of an import)."""
    return tuple(member.value for member in codes)


class Role(CodeEnum):
    """What a user may do (see DESIGN.md)."""

    FACILITATOR = "facilitator", _l("TPL (field facilitator)")
    SUPERVISOR = "supervisor", _l("Supervisor (Pembina)")
    EVALUATOR = "evaluator", _l("Evaluator (Ditjen IKMA)")
    ADMIN = "admin", _l("Administrator")


class Gender(CodeEnum):
    """A TPL's gender as the NIK encodes it."""

    MALE = "L", _l("Male (L)")
    FEMALE = "P", _l("Female (P)")


class ContractStatus(CodeEnum):
    """Where a contract stands."""

    ACTIVE = "active", _l("Active")
    COMPLETED = "completed", _l("Completed")
    TERMINATED = "terminated", _l("Terminated")


class ActivityType(CodeEnum):
    """What kind of work an activity was."""

    VISIT = "kunjungan", _l("Visit")
    TRAINING = "pelatihan", _l("Training")
    PERMIT_FACILITATION = "fasilitasi_perizinan", _l("Permit facilitation")
    PRODUCT_DEVELOPMENT = "pengembangan_produk", _l("Product development")
    MARKETING = "pemasaran", _l("Marketing / market access")
    OTHER = "lainnya", _l("Other")


class EvidenceType(CodeEnum):
    """The content types an evidence file may have (checked from its bytes)."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    PDF = "application/pdf"


class PermitType(CodeEnum):
    """The permits and certificates a TPL helps a business obtain."""

    NIB = "nib", _l("NIB")
    PIRT = "pirt", _l("SPP-IRT / P-IRT")
    HALAL = "halal", _l("Halal certificate (Sertifikat Halal)")
    TRADEMARK = "merek", _l("Trademark (HKI Merek)")
    SNI = "sni", _l("SNI")
    TKDN = "tkdn", _l("TKDN-IK")
    BPOM = "bpom", _l("BPOM MD")


class PermitStatus(CodeEnum):
    """Where a permit stands: planned -> submitted -> issued or rejected."""

    PLANNED = "planned", _l("Planned")
    SUBMITTED = "submitted", _l("Submitted")
    ISSUED = "issued", _l("Issued")
    REJECTED = "rejected", _l("Rejected")


class SizeClass(CodeEnum):
    """A business's size class."""

    MICRO = "mikro", _l("Micro")
    SMALL = "kecil", _l("Small")
    MEDIUM = "menengah", _l("Medium")


class MarketReach(CodeEnum):
    """How far a business sells."""

    LOCAL = "local", _l("Local")
    REGIONAL = "regional", _l("Regional (province)")
    NATIONAL = "national", _l("National")
    EXPORT = "export", _l("Export")


class AssessmentKind(CodeEnum):
    """A baseline when mentoring starts, follow-ups later."""

    BASELINE = "baseline", _l("Baseline")
    FOLLOW_UP = "follow_up", _l("Follow-up")


class RequestStatus(CodeEnum):
    """Where a request to mentor a business stands."""

    PENDING = "pending", _l("Pending")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")


class MonthStatus(CodeEnum):
    """Where a TPL's month stands in the review.

    draft: never submitted; submitted: waiting for review (locked); returned: back with the TPL (editable,
    also after a reopen); approved: locked for good unless a supervisor reopens it.
    """

    DRAFT = "draft", _l("Draft (not submitted)")
    SUBMITTED = "submitted", _l("Submitted")
    RETURNED = "returned", _l("Returned for correction")
    APPROVED = "approved", _l("Approved")


class MonthAction(CodeEnum):
    """A transition of a month."""

    SUBMIT = "submit", _l("Submitted")
    APPROVE = "approve", _l("Approved")
    RETURN = "return", _l("Returned for correction")
    REOPEN = "reopen", _l("Reopened")


class ReviewItemType(CodeEnum):
    """The kinds of item a review comment may point at."""

    ACTIVITY = "activity"
    PERMIT = "permit"
    ASSESSMENT = "assessment"


class SurveyStatus(CodeEnum):
    """What a former TPL is doing, as a tracer survey records it."""

    WIRAUSAHA = "wirausaha", _l("Running own business")
    EMPLOYED = "bekerja", _l("Employed")
    CIVIL_SERVANT = "asn", _l("Civil servant (ASN)")
    STUDY = "studi", _l("Further study")
    NOT_WORKING = "belum_bekerja", _l("Not working")
    OTHER = "lainnya", _l("Other")


class Verification(CodeEnum):
    """Whether a tracer survey has been checked."""

    UNVERIFIED = "unverified", _l("Unverified")
    VERIFIED = "verified", _l("Verified")
    REJECTED = "rejected", _l("Rejected")


class Grouping(CodeEnum):
    """How the WUB figures are broken down."""

    TOTAL = "total", _l("Whole country")
    ANGKATAN = "angkatan", _l("Angkatan")
    PROVINCE = "province", _l("Province of the last placement")
    EXIT_YEAR = "exit_year", _l("Exit year")
    POLYTECHNIC = "polytechnic", _l("Home polytechnic")


class WorkStatus(CodeEnum):
    """Where a piece of background work (a large import) stands."""

    QUEUED = "queued", _l("Waiting")
    RUNNING = "running", _l("Running")
    DONE = "done", _l("Finished")
    FAILED = "failed", _l("Failed")
    INTERRUPTED = "interrupted", _l("Interrupted")


class JobOutcome(CodeEnum):
    """How a scheduled job's run ended (or that it is still running)."""

    RUNNING = "running", _l("Running")
    SUCCESS = "success", _l("Succeeded")
    FAILED = "failed", _l("Failed")
    SKIPPED = "skipped", _l("Skipped")
    INTERRUPTED = "interrupted", _l("Interrupted")
    QUEUED = "queued", _l("Queued")


class LinkPurpose(CodeEnum):
    """What a password link is for: an invitation to a new account (7 days), or a reset (1 hour)."""

    INVITATION = "invitation", _l("Invitation")
    RESET = "reset", _l("Password reset")


class LinkDelivery(CodeEnum):
    """How a password link reaches its owner."""

    EMAIL = "email", _l("By email")
    MANUAL = "manual", _l("Handed over by an administrator")


class LinkState(CodeEnum):
    """Where a password link stands (not stored: read from its times, see PasswordLink.state)."""

    QUEUED = "queued", _l("Waiting to be sent")
    VALID = "valid", _l("Valid")
    USED = "used", _l("Used")
    EXPIRED = "expired", _l("Expired")
    REPLACED = "replaced", _l("Replaced or withdrawn")
    FAILED = "failed", _l("Could not be sent")
