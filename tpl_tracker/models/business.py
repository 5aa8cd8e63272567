"""IKM binaan (mentored businesses), who mentors them, and their assessments."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .codes import AssessmentKind, MarketReach, RequestStatus, SizeClass


class Business(db.Model):
    """A small or medium industry (IKM) registered in the programme."""

    __tablename__ = "businesses"
    __table_args__ = (
        sa.UniqueConstraint("normalized_name", "region_code", name="name_region"),
        SizeClass.check_constraint("size_class"),
        sa.CheckConstraint("length(kbli) = 5", name="kbli_length"),
        sa.CheckConstraint("nib IS NULL OR length(nib) = 13", name="nib_length"),
        sa.CheckConstraint("workers >= 0", name="workers"),
        sa.CheckConstraint("capital IS NULL OR capital >= 0", name="capital"),
        sa.CheckConstraint("turnover IS NULL OR turnover >= 0", name="turnover"),
        # A region's businesses by name: a supervisor's scope and a one-region list page (migration 0018).
        sa.Index("ix_businesses_region_name", "region_code", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    normalized_name: Mapped[str] = mapped_column(sa.String(160))
    owner_name: Mapped[str] = mapped_column(sa.String(120))
    owner_nik: Mapped[str | None] = mapped_column(sa.String(16))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    kecamatan_code: Mapped[str | None] = mapped_column(sa.String(13))
    desa_code: Mapped[str | None] = mapped_column(sa.String(13))
    kbli: Mapped[str] = mapped_column(sa.String(5), index=True)
    products: Mapped[str | None] = mapped_column(sa.Text)
    nib: Mapped[str | None] = mapped_column(sa.String(13), unique=True)
    size_class: Mapped[str] = mapped_column(sa.String(10), default="mikro")
    workers: Mapped[int] = mapped_column(default=0)
    capital: Mapped[int | None] = mapped_column(sa.BigInteger)  # whole Rupiah
    turnover: Mapped[int | None] = mapped_column(sa.BigInteger)  # whole Rupiah per month (as assessments; 0012)
    year_founded: Mapped[int | None] = mapped_column(sa.SmallInteger)
    # Set when the business came from a tracer survey: the former TPL who founded it.
    founder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("facilitators.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped["Region"] = relationship()  # noqa: F821
    mentorships: Mapped[list["Mentorship"]] = relationship(back_populates="business")
    # The running mentorships alone, for reading (the lists' "current mentors"): a business registered years ago has
    # many ended ones. View-only: it does not follow changes made in the same session, so writes go through
    # `mentorships`.
    current_mentorships: Mapped[list["Mentorship"]] = relationship(
        primaryjoin="and_(Business.id == Mentorship.business_id, Mentorship.end_date.is_(None))",
        order_by="Mentorship.id",
        viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<Business {self.id} {self.name}>"


# A mentorship of a business outside its TPL's kabupaten/kota (both regions as the mentorship keeps them).
CROSS_REGION = "facilitator_region_code <> business_region_code"
REGION_COPY = {"server_default": sa.FetchedValue(), "server_onupdate": sa.FetchedValue(), "info": {"copy": True}}


class Mentorship(db.Model):
    """A TPL mentoring a business over a period (open while `end_date` is empty)."""

    __tablename__ = "mentorships"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        sa.Index(
            "uq_mentorships_open_business_facilitator",
            "business_id",
            "facilitator_id",
            unique=True,
            postgresql_where=sa.text("end_date IS NULL"),
            sqlite_where=sa.text("end_date IS NULL"),
        ),
        # The businesses of a set of TPL (a supervisor's scope) from the index alone (migration 0015).
        sa.Index("ix_mentorships_facilitator_business", "facilitator_id", "business_id"),
        # The mentorships whose business lies outside their TPL's kabupaten/kota: a supervisor's businesses
        # elsewhere (migration 0021).
        sa.Index(
            "ix_mentorships_cross_region",
            "facilitator_region_code",
            "business_region_code",
            "business_id",
            postgresql_where=sa.text(CROSS_REGION),
            sqlite_where=sa.text(CROSS_REGION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("facilitators.id", ondelete="CASCADE"))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # Copies of the TPL's and the business's region, kept by the database's triggers (migration 0021) for the
    # supervisor's business scope; never set, not in the audit trail, not read by the app's Python.
    facilitator_region_code: Mapped[str | None] = mapped_column(sa.String(13), **REGION_COPY)
    business_region_code: Mapped[str | None] = mapped_column(sa.String(13), **REGION_COPY)

    business: Mapped[Business] = relationship(back_populates="mentorships")
    facilitator: Mapped["Facilitator"] = relationship()  # noqa: F821

    @property
    def is_open(self) -> bool:
        """True while the TPL still mentors the business."""
        return self.end_date is None


class MentorshipRequest(db.Model):
    """A TPL asking to mentor a business already in the registry; a supervisor decides."""

    __tablename__ = "mentorship_requests"
    __table_args__ = (RequestStatus.check_constraint("status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("facilitators.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    business: Mapped[Business] = relationship()
    facilitator: Mapped["Facilitator"] = relationship()  # noqa: F821


class Assessment(db.Model):
    """A business's condition at the start of mentoring (baseline) or later (follow-up)."""

    __tablename__ = "assessments"
    __table_args__ = (
        AssessmentKind.check_constraint("kind"),
        MarketReach.check_constraint("market_reach"),
        sa.CheckConstraint("turnover IS NULL OR turnover >= 0", name="turnover"),
        sa.CheckConstraint("workers IS NULL OR workers >= 0", name="workers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("facilitators.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    assessed_on: Mapped[date]
    turnover: Mapped[int | None] = mapped_column(sa.BigInteger)  # whole Rupiah per month
    workers: Mapped[int | None]
    production_capacity: Mapped[str | None] = mapped_column(sa.String(200))
    products: Mapped[str | None] = mapped_column(sa.Text)
    market_reach: Mapped[str] = mapped_column(sa.String(10), default="local")
    has_packaging_label: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    business: Mapped[Business] = relationship()
    facilitator: Mapped["Facilitator"] = relationship()  # noqa: F821
