"""The monthly report a TPL submits and the supervisor reviews, and the targets it is measured against."""

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .business import REGION_COPY
from .codes import MonthAction, MonthStatus, ReviewItemType

LOCKED_STATUSES = (MonthStatus.SUBMITTED, MonthStatus.APPROVED)


SUBMITTED = sa.text("status = 'submitted'")


class MonthlyReport(db.Model):
    """One TPL's month (`period` is its first day) and where it stands in the review."""

    __tablename__ = "monthly_reports"
    __table_args__ = (
        sa.UniqueConstraint("facilitator_id", "period", name="facilitator_period"),
        MonthStatus.check_constraint("status"),
        # A supervisor's review queue, by the copies of the TPL's supervisor and region (migration 0024).
        sa.Index(
            "ix_monthly_reports_supervisor_submitted",
            "supervisor_id",
            "submitted_at",
            "id",
            postgresql_where=SUBMITTED,
            sqlite_where=SUBMITTED,
        ),
        sa.Index(
            "ix_monthly_reports_region_submitted",
            "region_code",
            "submitted_at",
            "id",
            postgresql_where=SUBMITTED,
            sqlite_where=SUBMITTED,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("facilitators.id", ondelete="CASCADE"), index=True)
    period: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="draft", index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(sa.Text)  # the last return comment for the whole month
    # Copies of the TPL's supervisor and region, kept by the database's triggers (migration 0024) for a supervisor's
    # review queue; never set, not in the audit trail, not read by the app's Python.
    supervisor_id: Mapped[int | None] = mapped_column(**REGION_COPY)
    region_code: Mapped[str | None] = mapped_column(sa.String(13), **REGION_COPY)

    facilitator: Mapped["Facilitator"] = relationship()  # noqa: F821
    reviewer: Mapped[Optional["User"]] = relationship()  # noqa: F821
    events: Mapped[list["MonthlyReportEvent"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="MonthlyReportEvent.id"
    )

    @property
    def is_locked(self) -> bool:
        """Submitted and approved months refuse edits to their activities, permits and assessments."""
        return self.status in LOCKED_STATUSES


class MonthlyReportEvent(db.Model):
    """One transition of a month: who, when, what and why."""

    __tablename__ = "monthly_report_events"
    __table_args__ = (MonthAction.check_constraint("action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("monthly_reports.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(10))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str | None] = mapped_column(sa.Text)

    report: Mapped[MonthlyReport] = relationship(back_populates="events")
    actor: Mapped[Optional["User"]] = relationship()  # noqa: F821
    item_comments: Mapped[list["ReviewComment"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="ReviewComment.id"
    )


class ReviewComment(db.Model):
    """A supervisor's comment on one item of a returned month."""

    __tablename__ = "review_comments"
    __table_args__ = (ReviewItemType.check_constraint("item_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("monthly_report_events.id", ondelete="CASCADE"), index=True)
    item_type: Mapped[str] = mapped_column(sa.String(12))
    item_id: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text)

    event: Mapped[MonthlyReportEvent] = relationship(back_populates="item_comments")


class Target(db.Model):
    """What a supervisor expects of one TPL in one year."""

    __tablename__ = "targets"
    __table_args__ = (
        sa.UniqueConstraint("facilitator_id", "year", name="facilitator_year"),
        sa.CheckConstraint("visits_per_month >= 0", name="visits"),
        sa.CheckConstraint("businesses >= 0", name="businesses"),
        sa.CheckConstraint("permits_per_year >= 0", name="permits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("facilitators.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    visits_per_month: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    businesses: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    permits_per_year: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    facilitator: Mapped["Facilitator"] = relationship()  # noqa: F821


class RosterFlag(db.Model):
    """A TPL's roster flags as of one day, kept by services/roster_flags.py so that the roster's flag filters read
    them instead of computing every TPL's month (a row of another day is not read: the roster computes it)."""

    __tablename__ = "roster_flags"

    facilitator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facilitators.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    as_of: Mapped[date]
    no_activity: Mapped[bool]
    month_late: Mapped[bool]
    below_target: Mapped[bool]
    # Copies of the TPL's supervisor and region, kept by the database's triggers (migration 0022) for a
    # supervisor's flag filter; never set by the app.
    supervisor_id: Mapped[int | None] = mapped_column(index=True, **REGION_COPY)
    region_code: Mapped[str | None] = mapped_column(sa.String(13), index=True, **REGION_COPY)
