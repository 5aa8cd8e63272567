"""What a TPL does: activities with the businesses involved, and permit facilitation."""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, in_list, utcnow
from .business import REGION_COPY
from .codes import ActivityType, EvidenceType, PermitStatus, PermitType

# The statuses from which a permit can still move: one such facilitation per business and permit type.
PERMIT_OPEN_STATUSES = (PermitStatus.PLANNED.value, PermitStatus.SUBMITTED.value)

activity_businesses = sa.Table(
    "activity_businesses",
    db.metadata,
    sa.Column("activity_id", sa.ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    # A business's history reads its activities through this index (the key leads with the activity).
    sa.Column("business_id", sa.ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Activity(db.Model):
    """One logged activity of a TPL, involving one or more businesses."""

    __tablename__ = "activities"
    __table_args__ = (
        ActivityType.check_constraint("type"),
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours"),
        sa.CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        sa.CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
        sa.Index("ix_activities_supervisor_date", "supervisor_id", "date", "id"),
        sa.Index("ix_activities_region_date", "region_code", "date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("facilitators.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(sa.String(30))
    description: Mapped[str] = mapped_column(sa.Text)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Copies of the TPL's supervisor and region, kept by the database's triggers (migration 0025) for a supervisor's
    # lists; never set, not in the audit trail, not read by the app's Python.
    supervisor_id: Mapped[int | None] = mapped_column(**REGION_COPY)
    region_code: Mapped[str | None] = mapped_column(sa.String(13), **REGION_COPY)

    facilitator: Mapped["Facilitator"] = relationship()  # noqa: F821
    businesses: Mapped[list["Business"]] = relationship(secondary=activity_businesses)  # noqa: F821
    evidence: Mapped[list["Evidence"]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="Evidence.id"
    )


class Evidence(db.Model):
    """A photo or PDF proving an activity; kept in the database (no web root, shared by every host)."""

    __tablename__ = "evidence"
    __table_args__ = (
        EvidenceType.check_constraint("content_type"),
        sa.CheckConstraint("size > 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="evidence")


class PermitFacilitation(db.Model):
    """A permit or certificate a TPL helps a business obtain (planned -> submitted -> issued/rejected)."""

    __tablename__ = "permits"
    __table_args__ = (
        PermitType.check_constraint("permit_type"),
        PermitStatus.check_constraint("status"),
        sa.CheckConstraint("expires_on IS NULL OR issued_on IS NULL OR expires_on > issued_on", name="expiry"),
        sa.Index(
            "uq_permits_open_business_type",
            "business_id",
            "permit_type",
            unique=True,
            postgresql_where=sa.text(in_list("status", PERMIT_OPEN_STATUSES)),
            sqlite_where=sa.text(in_list("status", PERMIT_OPEN_STATUSES)),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("facilitators.id"), index=True)
    permit_type: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10), default="planned")
    document_number: Mapped[str | None] = mapped_column(sa.String(40))
    planned_on: Mapped[dt.date | None]
    submitted_on: Mapped[dt.date | None]
    issued_on: Mapped[dt.date | None]
    rejected_on: Mapped[dt.date | None]
    expires_on: Mapped[dt.date | None] = mapped_column(index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Copies of the TPL's supervisor and region, kept by the database's triggers (migration 0025) for a supervisor's
    # lists; never set, not in the audit trail, not read by the app's Python.
    supervisor_id: Mapped[int | None] = mapped_column(index=True, **REGION_COPY)
    region_code: Mapped[str | None] = mapped_column(sa.String(13), index=True, **REGION_COPY)

    business: Mapped["Business"] = relationship()  # noqa: F821
    facilitator: Mapped["Facilitator"] = relationship()  # noqa: F821

    @hybrid_property
    def status_on(self) -> dt.date | None:
        """The date of the current status (planned, submitted, issued or rejected), in Python and in SQL."""
        return getattr(self, f"{self.status}_on")

    @status_on.inplace.expression
    @classmethod
    def _status_on_expression(cls):
        # The statuses are written as constants, as in ix_permits_status_on: SQLite and PostgreSQL use an index on an
        # expression only for a query that spells it alike (a bound parameter in place of 'issued' does not match).
        return sa.case(
            *(
                (cls.status == sa.literal_column(f"'{status}'"), getattr(cls, f"{status}_on"))
                for status in ("submitted", "issued", "rejected")
            ),
            else_=cls.planned_on,
        )


# The permit list shows the latest status date first (services/permits.py): read in this index's order, a page
# costs the same at 500 or 500,000 permits instead of sorting them all.
sa.Index("ix_permits_status_on", PermitFacilitation.status_on, PermitFacilitation.id)
